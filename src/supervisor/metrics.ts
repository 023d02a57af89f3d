import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Health } from './types.js';

const TIME_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/** Health as a number for the `faultline_process_health` gauge. */
export const healthValue: Record<Health, number> = { healthy: 2, degraded: 1, unhealthy: 0 };

/** The supervisor's Prometheus metrics, labelled by `process`. */
export interface SupervisorMetrics {
  readonly up: Gauge<'process'>;
  readonly restarts: Counter<'process' | 'cause'>;
  readonly restartMs: Histogram<'process'>;
  readonly recoveryMs: Histogram<'process'>;
  readonly health: Gauge<'process'>;
}

function reuse<T>(registry: Registry, name: string, make: () => T): T {
  // Two supervisors on one registry share the metric families instead of failing to register.
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** Registers (or reuses) the supervisor's metrics on `registry`. */
export function createSupervisorMetrics(registry: Registry): SupervisorMetrics {
  const registers = [registry];
  return {
    up: reuse(registry, 'faultline_process_up', () =>
      new Gauge({ name: 'faultline_process_up', help: '1 when the supervised process is running, else 0', labelNames: ['process'], registers }),
    ),
    restarts: reuse(registry, 'faultline_process_restarts_total', () =>
      new Counter({
        name: 'faultline_process_restarts_total',
        help: 'Restarts of the supervised process (cause: exit = automatic, manual = restart())',
        labelNames: ['process', 'cause'],
        registers,
      }),
    ),
    restartMs: reuse(registry, 'faultline_process_restart_ms', () =>
      new Histogram({
        name: 'faultline_process_restart_ms',
        help: 'Milliseconds from exit seen to new pid spawned',
        labelNames: ['process'],
        buckets: TIME_BUCKETS_MS,
        registers,
      }),
    ),
    recoveryMs: reuse(registry, 'faultline_process_recovery_ms', () =>
      new Histogram({
        name: 'faultline_process_recovery_ms',
        help: 'Milliseconds from exit seen to the health check passing again',
        labelNames: ['process'],
        buckets: TIME_BUCKETS_MS,
        registers,
      }),
    ),
    health: reuse(registry, 'faultline_process_health', () =>
      new Gauge({ name: 'faultline_process_health', help: 'Process health: 2 healthy, 1 degraded, 0 unhealthy', labelNames: ['process'], registers }),
    ),
  };
}
