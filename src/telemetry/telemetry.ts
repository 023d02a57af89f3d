import type { Registry } from 'prom-client';
import { createAlertEngine } from './alerts/engine.js';
import { createExporters, exportersFromConfig, parseAlertsConfig } from './config.js';
import type { TelemetryLogger } from './exporters/periodic.js';
import { createTelemetryRegistry, formatMetrics } from './registry.js';
import type { AlertEngine, AlertSignals, ExporterStatus, TelemetryExporter } from './types.js';

/** Options of {@link createTelemetry}. */
export interface TelemetryOptions {
  /** The `telemetry:` YAML section as parsed from YAML (validated here). */
  readonly telemetry?: unknown;
  /** The `alerts:` YAML section (validated here). */
  readonly alerts?: unknown;
  /** Where `TIMESERIES_*` are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The registry to use (default: a new one from `createTelemetryRegistry({ defaultLabels })`). */
  readonly registry?: Registry;
  readonly defaultLabels?: Readonly<Record<string, string>>;
  readonly logger?: TelemetryLogger;
  /** Samples the alert signals; without it no alert engine is created. */
  readonly sample?: () => AlertSignals;
  /** Alert evaluation interval when the YAML gives none (default 1000 ms). */
  readonly alertIntervalMs?: number;
}

/** The daemon's telemetry: registry, exporters and alert engine, started and stopped together. */
export interface Telemetry {
  readonly registry: Registry;
  readonly exporters: readonly TelemetryExporter[];
  /** Null when no `sample` was given. */
  readonly alerts: AlertEngine | null;
  start(): void;
  /** Stops exporters and alerts and waits for exports and webhooks in flight. */
  stop(): Promise<void>;
  /** For `/v1/health` and the run manifest. */
  exporterStatus(): ExporterStatus[];
  /** The `/metrics` body and content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

/**
 * Builds the daemon's telemetry from the YAML sections and the environment (nothing starts until
 * `start()`).
 * @throws ValidationError (`FL_ERR_TELEMETRY_CONFIG_INVALID`) for a bad section or `TIMESERIES_*` variable.
 * @example
 * const telemetry = createTelemetry({ telemetry: yaml.telemetry, alerts: yaml.alerts, logger, sample: () => signals() });
 * telemetry.start();
 * app.get('/metrics', async (_req, reply) => { const m = await telemetry.metrics(); reply.type(m.contentType).send(m.body); });
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const specs = exportersFromConfig(options.telemetry, options.env ?? process.env);
  const alertsConfig = parseAlertsConfig(options.alerts);
  const registry = options.registry ?? createTelemetryRegistry(options.defaultLabels === undefined ? {} : { defaultLabels: options.defaultLabels });
  const deps = options.logger === undefined ? { registry } : { registry, logger: options.logger };
  const exporters = createExporters(specs, deps);
  const alerts =
    options.sample === undefined
      ? null
      : createAlertEngine({
          rules: alertsConfig.rules,
          sample: options.sample,
          intervalMs: alertsConfig.intervalMs ?? options.alertIntervalMs ?? 1000,
          registry,
          ...(alertsConfig.webhookUrl === undefined ? {} : { webhookUrl: alertsConfig.webhookUrl }),
          ...(options.logger === undefined ? {} : { logger: options.logger }),
        });
  return {
    registry,
    exporters,
    alerts,
    start() {
      for (const e of exporters) e.start();
      alerts?.start();
    },
    async stop() {
      await Promise.all([...exporters.map((e) => e.stop()), alerts?.stop()]);
    },
    exporterStatus: () => exporters.map((e) => e.status()),
    metrics: () => formatMetrics(registry),
  };
}
