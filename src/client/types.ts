import type { ApplicationStatus, ApplyResultWire, Camelize, FaultPlan, FaultPlanWire, FaultSource, MetricsWire, StatusWire } from '../plan/index.js';

export type { ApplicationStatus, FaultSource };

/** `POST /v1/faults/apply`'s answer (the wire shape is the plan module's `applyResultSchema`). */
export type ApplyResult = Readonly<Pick<Camelize<ApplyResultWire>, 'applyId' | 'status'>> & Readonly<Partial<Pick<Camelize<ApplyResultWire>, 'startTime' | 'endTime'>>>;

/** `GET /v1/faults/:apply_id/status` (`statusSchema`, camelCase). Times are ISO strings. */
export type FaultStatus = Readonly<Camelize<StatusWire>>;

/** `GET /v1/faults/:apply_id/metrics` (`metricsSchema`, camelCase). */
export type FaultMetrics = Readonly<Camelize<MetricsWire>>;

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
