import type { FaultPlan, FaultPlanWire } from '../plan/index.js';

export type ApplicationStatus = 'pending' | 'running' | 'completed' | 'cancelled' | 'failed';

/** `POST /v1/faults/apply`'s answer. */
export interface ApplyResult {
  readonly applyId: string;
  readonly status: 'applied' | 'scheduled';
}

/** `GET /v1/faults/:apply_id/status`. Times are ISO strings (null until known). */
export interface FaultStatus {
  readonly applyId: string;
  readonly status: ApplicationStatus;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly errorMsg: string | null;
}

/** `GET /v1/faults/:apply_id/metrics`. */
export interface FaultMetrics {
  readonly applyId: string;
  readonly requests: number;
  readonly faulted: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly avg: number; readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  readonly errorRate: number;
  readonly logs: readonly unknown[];
}

/** What {@link ExecutorClient.applyAndObserve} returns: the plan, how it ended, and what was seen. */
export interface RawObservation {
  readonly applyId: string;
  readonly plan: FaultPlanWire;
  readonly status: ApplicationStatus;
  readonly startTime: string | null;
  readonly endTime: string | null;
  readonly errorMsg: string | null;
  readonly metrics: FaultMetrics;
  /** Wall time from apply to the end of observation. */
  readonly elapsedMs: number;
}

/** `GET /v1/health`. */
export interface ExecutorHealth {
  readonly status: string;
  readonly version: string;
  readonly uptimeS: number;
  readonly [key: string]: unknown;
}

/** A plan as given to the client: code form (parsed) or wire form (validated by the executor). */
export type PlanInput = FaultPlan | FaultPlanWire;

/** The executor's control API, whatever carries it. */
export interface ExecutorClient {
  apply(plan: PlanInput): Promise<ApplyResult>;
  status(applyId: string): Promise<FaultStatus>;
  metrics(applyId: string): Promise<FaultMetrics>;
  list(): Promise<FaultStatus[]>;
  cancel(applyId: string): Promise<void>;
  halt(): Promise<void>;
  /** Applies, polls status until the application ends, fetches metrics. */
  applyAndObserve(plan: PlanInput, options?: { timeoutMs?: number; pollIntervalMs?: number }): Promise<RawObservation>;
  /** True when the executor answers `/v1/health`; cached for `healthCheckIntervalMs`. Never throws. */
  checkHealth(): Promise<boolean>;
}
