import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createTelemetryRegistry, formatMetrics, getOrCreateCounter } from '../../src/telemetry/index.js';

describe('createTelemetryRegistry', () => {
  it('adds the default labels and the process metrics to every exposition', async () => {
    const registry = createTelemetryRegistry({ defaultLabels: { app: 'faultline', run_id: 'r1' } });
    new Counter({ name: 'fl_restarts_total', help: 'Restarts.', labelNames: ['process'], registers: [registry] }).inc({ process: 'api' });
    const { contentType, body } = await formatMetrics(registry);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('fl_restarts_total{process="api",app="faultline",run_id="r1"} 1');
    expect(body).toMatch(/^process_cpu_user_seconds_total\{app="faultline",run_id="r1"\} [\d.e-]+$/m);
    expect(body).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('labels series app="faultline" by default and can leave the process metrics out', async () => {
    const registry = createTelemetryRegistry({ processMetrics: false });
    new Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc();
    const { body } = await formatMetrics(registry);
    expect(body).toContain('x_total{app="faultline"} 1');
    expect(body).not.toContain('process_cpu');
  });

  it('getOrCreateCounter returns the metric already registered under the name', () => {
    const registry = createTelemetryRegistry({ processMetrics: false });
    const a = getOrCreateCounter(registry, { name: 'c_total', help: 'c' });
    const b = getOrCreateCounter(registry, { name: 'c_total', help: 'c' });
    expect(a).toBe(b);
  });
});
