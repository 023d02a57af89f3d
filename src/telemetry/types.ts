/**
 * The telemetry module's public contract (owned by telemetry; the executor codes against it).
 */

/** Health of one exporter, shown in `/v1/health` and in the run manifest. */
export interface ExporterStatus {
  readonly name: string; // 'pushgateway' | 'influxdb'
  readonly url: string;
  readonly intervalMs: number;
  readonly exportCount: number;
  readonly errorCount: number;
  readonly lastError: string | null;
  readonly lastExportAt: string | null; // ISO
}

/** What alert rules are evaluated over; the owner of the data (executor, drill) provides a sampler. */
export interface AlertSignals {
  /** Errors / requests over the last sample interval (0..1), when there was traffic. */
  readonly errorRate?: number;
  readonly latencyP95Ms?: number;
  readonly breakerOpen?: boolean;
  /** Names of processes currently not healthy. */
  readonly unhealthyProcesses?: readonly string[];
  /** Cumulative restart count over all processes. */
  readonly restarts?: number;
}

export interface Alert {
  readonly id: string;
  readonly rule: string; // the rule as written, e.g. 'error_rate > 0.1 for 30s'
  readonly state: 'firing' | 'resolved';
  readonly firing: string; // ISO time it fired
  readonly resolved: string | null;
  readonly value: number | null;
}
