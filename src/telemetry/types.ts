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
  /** ISO time of the last failed export. */
  readonly lastErrorAt: string | null;
  /** Failures since the last success (0 when the sink is fine); drives the retry backoff. */
  readonly consecutiveErrors: number;
  /** Whether the exporter's timer is armed (between `start()` and `stop()`). */
  readonly running: boolean;
}

/** Outcome of one export attempt; `exportNow()` resolves with it and never rejects. */
export type ExportResult =
  | { readonly ok: true; readonly durationMs: number }
  | { readonly ok: false; readonly durationMs: number; readonly error: string };

/** A periodic exporter (Pushgateway, InfluxDB). Never throws out of its timer; never overlaps two exports. */
export interface TelemetryExporter {
  readonly name: string;
  /** Arms the timer: one export at once, then one per interval (sooner, with backoff, after a failure). Idempotent. */
  start(): void;
  /** Disarms the timer and waits for an export in flight. Idempotent. */
  stop(): Promise<void>;
  /** Exports now (joins the export in flight, if any); resolves with the outcome, never rejects. */
  exportNow(): Promise<ExportResult>;
  status(): ExporterStatus;
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

/** Signal names an alert rule can test (snake_case, as written in YAML). */
export type AlertSignalName = 'error_rate' | 'latency_p95_ms' | 'breaker_open' | 'process_unhealthy' | 'restarts';

export type AlertOperator = '>' | '>=' | '<' | '<=' | '==' | '!=';

/**
 * A parsed alert rule. `breaker_open` is 1/0, `process_unhealthy` is the number of unhealthy
 * processes; a rule without a comparison means `> 0`.
 */
export interface AlertRule {
  /** Label in metrics, logs and webhooks; defaults to the rule as written. */
  readonly name: string;
  /** The rule as written (whitespace normalised), e.g. 'error_rate > 0.1 for 30s'. */
  readonly source: string;
  readonly signal: AlertSignalName;
  readonly op: AlertOperator;
  readonly threshold: number;
  /** `for <d>`: the condition must hold continuously this long before firing (0 = at once). */
  readonly forMs: number;
  /** `in <d>` (restarts only): the signal is the increase of the counter within this sliding window. */
  readonly windowMs: number | null;
  /** Per-rule webhook; overrides the engine's. */
  readonly webhookUrl: string | null;
}

export interface Alert {
  readonly id: string;
  /** The rule's name (the rule as written unless the YAML gave `name`). */
  readonly name: string;
  readonly rule: string; // the rule as written, e.g. 'error_rate > 0.1 for 30s'
  readonly state: 'firing' | 'resolved';
  readonly firing: string; // ISO time it fired
  readonly resolved: string | null;
  /** The signal's value when the alert fired (null when the signal had no value). */
  readonly value: number | null;
}

/** A function that stops a subscription. */
export interface Disposable {
  dispose(): void;
}

/** Evaluates alert rules over sampled signals; see `createAlertEngine`. */
export interface AlertEngine {
  /** Arms the evaluation timer (one tick per `intervalMs`). Idempotent. */
  start(): void;
  /** Disarms the timer and waits for webhook deliveries in flight. Idempotent. */
  stop(): Promise<void>;
  /** Samples and evaluates once at `now` (default: the engine's clock); returns the alerts that fired or resolved. */
  tick(now?: number): Alert[];
  /** Every alert, firing ones first, then resolved ones newest first (bounded history). For `/v1/alerts`. */
  list(): Alert[];
  /** Called synchronously for every alert that fires or resolves (`alert.state` tells which). */
  onAlert(listener: (alert: Alert) => void): Disposable;
  /** Resolves when the webhook deliveries started so far have finished. */
  flush(): Promise<void>;
  readonly rules: readonly AlertRule[];
}
