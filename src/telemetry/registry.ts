import { collectDefaultMetrics, Counter, Gauge, Registry, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';

/** Options of {@link createTelemetryRegistry}. */
export interface TelemetryRegistryOptions {
  /** Labels added to every series (default `{ app: 'faultline' }`). Avoid `job` and `instance`: Pushgateway owns them. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /** Register the daemon's process metrics (CPU, memory, event loop, GC, handles). Default true. */
  readonly processMetrics?: boolean;
  /** Prefix of the process metrics' names (default none: `process_cpu_seconds_total`, `nodejs_*`). */
  readonly processMetricsPrefix?: string;
}

/**
 * Creates the daemon's one metrics registry: default labels and the process metrics. Other modules
 * register their metrics on it (`new Counter({ ..., registers: [registry] })`).
 * @example
 * const registry = createTelemetryRegistry({ defaultLabels: { app: 'faultline', run_id: runId } });
 */
export function createTelemetryRegistry(options: TelemetryRegistryOptions = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ ...(options.defaultLabels ?? { app: 'faultline' }) });
  if (options.processMetrics ?? true) {
    collectDefaultMetrics(options.processMetricsPrefix === undefined ? { register: registry } : { register: registry, prefix: options.processMetricsPrefix });
  }
  return registry;
}

/** The Prometheus text exposition of a registry, and its content type, for `GET /metrics`. */
export async function formatMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** Returns the counter already registered under `config.name`, or registers it (idempotent across callers). */
export function getOrCreateCounter<T extends string>(registry: Registry, config: Omit<CounterConfiguration<T>, 'registers'>): Counter<T> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Counter) return existing as Counter<T>;
  return new Counter<T>({ ...config, registers: [registry] });
}

/** Returns the gauge already registered under `config.name`, or registers it (idempotent across callers). */
export function getOrCreateGauge<T extends string>(registry: Registry, config: Omit<GaugeConfiguration<T>, 'registers'>): Gauge<T> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Gauge) return existing as Gauge<T>;
  return new Gauge<T>({ ...config, registers: [registry] });
}
