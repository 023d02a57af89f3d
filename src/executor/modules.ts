/**
 * Where the executor meets the modules it runs (proxy, supervisor, telemetry): the factories and
 * config sections it takes from them, adapted in one place.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { createHttpProxy, createTcpProxy, type Proxy } from '../proxy/index.js';
import { createSupervisor, processesConfigSchema, type Supervisor } from '../supervisor/index.js';
import {
  alertsConfigSchema,
  createAlertEngine,
  createExporters,
  createTelemetryRegistry,
  exportersFromConfig,
  telemetryConfigSchema,
  type Alert,
  type AlertEngine,
  type AlertSignals,
  type AlertsConfig,
  type ExporterStatus,
  type TelemetryExporter,
} from '../telemetry/index.js';
import type { ProxySpec } from './proxies.js';

/** The default proxy factory: the proxy module's TCP and HTTP proxies. */
export function defaultProxyFactory(spec: ProxySpec): Proxy {
  const options = { name: spec.name, listen: spec.listen, upstream: spec.upstream };
  return spec.protocol === 'http' ? createHttpProxy(options) : createTcpProxy(options);
}

/** `processes:` in faultline.yaml (the supervisor's schema). */
export const processesSection = processesConfigSchema.default([]);
/** `telemetry:` in faultline.yaml (the telemetry module's schema). */
export const telemetrySection = telemetryConfigSchema.optional();
/** `alerts:` in faultline.yaml (the telemetry module's schema; parses to rules). */
export const alertsSection = alertsConfigSchema.optional();

/** Creates and starts the supervisor for the configured processes, or nothing when there are none. */
export async function startSupervisor(
  processes: z.output<typeof processesSection>,
  options: { runsDir?: string; logger: Logger; registry: Registry },
): Promise<Supervisor | undefined> {
  if (processes.length === 0) return undefined;
  const supervisor = createSupervisor(processes, {
    registry: options.registry,
    logger: options.logger.child({ component: 'supervisor' }),
    ...(options.runsDir !== undefined ? { runsDir: options.runsDir } : {}),
  });
  try {
    await supervisor.start();
  } catch (err) {
    await supervisor.stop().catch(() => undefined);
    throw err;
  }
  return supervisor;
}

/** Telemetry as the executor uses it: one registry, exporters, alerts. */
export interface TelemetryHandle {
  readonly registry: Registry;
  exporters(): ExporterStatus[];
  alerts(): Alert[];
  /** Starts the exporters and the alert engine. */
  start(sample: () => AlertSignals): void;
  stop(): Promise<void>;
}

/**
 * Creates the registry and, from the config sections (and `TIMESERIES_*`), the exporters and the
 * alert engine; nothing runs until `start`.
 * @throws ValidationError (FL_ERR_TELEMETRY_CONFIG_INVALID) for a bad section or variable.
 */
export function createTelemetry(
  telemetry: z.output<typeof telemetrySection>,
  alerts: AlertsConfig | undefined,
  options: { logger: Logger; env?: Readonly<Record<string, string | undefined>> },
): TelemetryHandle {
  const registry = createTelemetryRegistry();
  const logger = options.logger.child({ component: 'telemetry' });
  const exporters: TelemetryExporter[] = createExporters(exportersFromConfig(telemetry, options.env ?? process.env), { registry, logger });
  let engine: AlertEngine | undefined;
  return {
    registry,
    exporters: () => exporters.map((e) => e.status()),
    alerts: () => engine?.list() ?? [],
    start(sample) {
      for (const e of exporters) e.start();
      if (alerts && alerts.rules.length > 0) {
        engine = createAlertEngine({
          rules: alerts.rules,
          sample,
          registry,
          logger,
          ...(alerts.intervalMs !== undefined ? { intervalMs: alerts.intervalMs } : {}),
          ...(alerts.webhookUrl !== undefined ? { webhookUrl: alerts.webhookUrl } : {}),
        });
        engine.start();
      }
    },
    async stop() {
      await Promise.allSettled([...exporters.map((e) => e.stop()), engine?.stop()]);
    },
  };
}
