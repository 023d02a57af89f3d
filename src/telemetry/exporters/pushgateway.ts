import { Pushgateway, type Registry } from 'prom-client';
import type { TelemetryExporter } from '../types.js';
import { createPeriodicExporter, defaultTimeoutMs, type ExporterCommonOptions } from './periodic.js';

/** Options of {@link createPushgatewayExporter}. */
export interface PushgatewayExporterOptions extends ExporterCommonOptions {
  /** Base URL of the Pushgateway, e.g. `http://127.0.0.1:9091`. */
  readonly url: string;
  /** The `job` label of the pushed group. */
  readonly job: string;
  /** The registry whose metrics are pushed (also where export outcomes are counted). */
  readonly registry: Registry;
  /** Further grouping-key labels (`/metrics/job/<job>/<label>/<value>`), e.g. `{ instance: 'host-1' }`. */
  readonly groupings?: Readonly<Record<string, string>>;
}

/**
 * Pushes the registry to a Prometheus Pushgateway on an interval (PUT: the group is replaced, so a
 * series that disappeared from the registry disappears from the gateway).
 * @example
 * const exporter = createPushgatewayExporter({ url: 'http://127.0.0.1:9091', job: 'faultline', intervalMs: 10_000, registry });
 * exporter.start();
 */
export function createPushgatewayExporter(options: PushgatewayExporterOptions): TelemetryExporter {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(options.intervalMs);
  const gateway = new Pushgateway(options.url, { timeout: timeoutMs }, options.registry);
  const params = options.groupings === undefined ? { jobName: options.job } : { jobName: options.job, groupings: { ...options.groupings } };
  return createPeriodicExporter({
    ...options,
    timeoutMs,
    name: options.name ?? 'pushgateway',
    send: async () => {
      await gateway.push(params);
    },
  });
}
