import { Counter, Gauge } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPushgatewayExporter, createTelemetry, createTelemetryRegistry, type TelemetryExporter } from '../../src/telemetry/index.js';
import { binaryGate, PUSHGATEWAY_BIN, startPushgateway, type ExternalServer } from '../helpers/servers.js';

const gate = binaryGate('prometheus-pushgateway', PUSHGATEWAY_BIN, 'prometheus-pushgateway');

/** The value of the first series of `metric` carrying `job="<job>"` in a Pushgateway's /metrics, or null. */
async function pushedValue(gateway: ExternalServer, metric: string, job: string): Promise<number | null> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith(`${metric}{`) && line.includes(`job="${job}"`)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe.skipIf(gate.skip)('Pushgateway exporter against a real Pushgateway', () => {
  let gateway: ExternalServer;
  const exporters: TelemetryExporter[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    gateway = await startPushgateway();
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all(exporters.map((e) => e.stop()));
    await gateway?.dispose();
  });

  function setup(job: string): { exporter: TelemetryExporter; gauge: Gauge } {
    const registry = createTelemetryRegistry({ defaultLabels: { app: 'faultline_it' } });
    // Each push collects the registry once, so this counter says how many pushes were rendered.
    new Counter({
      name: 'it_collections_total',
      help: 'Times the registry was collected.',
      registers: [registry],
      collect() {
        this.inc();
      },
    });
    const gauge = new Gauge({ name: 'it_process_up', help: 'Process up.', labelNames: ['process'], registers: [registry] });
    gauge.set({ process: 'api' }, 1);
    const exporter = createPushgatewayExporter({ url: gateway.url, job, intervalMs: 1000, registry });
    exporters.push(exporter);
    return { exporter, gauge };
  }

  it('lands at least 5 exports at a 1 s interval with no error, and the pushed series read back with the job label', async () => {
    const { exporter, gauge } = setup('faultline_it');
    gauge.set({ process: 'api' }, 42);
    exporter.start();
    await vi.waitFor(() => expect(exporter.status().exportCount).toBeGreaterThanOrEqual(5), { timeout: 15_000, interval: 100 });
    await exporter.stop();
    const status = exporter.status();
    expect(status).toMatchObject({ name: 'pushgateway', url: gateway.url, intervalMs: 1000, errorCount: 0, lastError: null });
    expect(status.lastExportAt).not.toBeNull();
    expect(await pushedValue(gateway, 'it_collections_total', 'faultline_it')).toBe(status.exportCount);
    expect(await pushedValue(gateway, 'it_process_up', 'faultline_it')).toBe(42);
    // The daemon's process metrics travel with it.
    expect(await pushedValue(gateway, 'process_resident_memory_bytes', 'faultline_it')).toBeGreaterThan(0);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(/^it_process_up\{app="faultline_it",instance="",job="faultline_it",process="api"\} 42$/m);
  });

  it('counts errors while the gateway is down without blocking the host, and resumes when it is back on the same port', async () => {
    const { exporter } = setup('faultline_outage');
    exporter.start();
    await vi.waitFor(() => expect(exporter.status().exportCount).toBeGreaterThanOrEqual(1), { timeout: 10_000, interval: 50 });
    const before = (await pushedValue(gateway, 'it_collections_total', 'faultline_outage')) ?? 0;

    await gateway.stop();
    let ticks = 0;
    const heartbeat = setInterval(() => ticks++, 50);
    try {
      await vi.waitFor(() => expect(exporter.status().errorCount).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 50 });
      const down = exporter.status();
      expect(down.lastError).toMatch(/ECONNREFUSED/);
      expect(down.consecutiveErrors).toBeGreaterThanOrEqual(3);
      expect(down.running).toBe(true);
      expect(await exporter.exportNow()).toMatchObject({ ok: false });
      expect(ticks).toBeGreaterThan(3); // the event loop kept turning during the outage

      const exportsBeforeRestart = exporter.status().exportCount;
      await gateway.start();
      await vi.waitFor(() => expect(exporter.status().exportCount).toBeGreaterThan(exportsBeforeRestart), { timeout: 10_000, interval: 50 });
      expect(exporter.status().consecutiveErrors).toBe(0);
      expect(await pushedValue(gateway, 'it_collections_total', 'faultline_outage')).toBeGreaterThan(before);
      expect(unhandled).toEqual([]);
    } finally {
      clearInterval(heartbeat);
      await exporter.stop();
    }
  });

  it('createTelemetry wires an exporter from TIMESERIES_* and the alert engine on one registry', async () => {
    const telemetry = createTelemetry({
      env: { TIMESERIES_TYPE: 'prometheus', TIMESERIES_URL: gateway.url },
      alerts: { interval_ms: 100, rules: ['breaker_open'] },
      sample: () => ({ breakerOpen: true }),
    });
    telemetry.start();
    try {
      await vi.waitFor(() => expect(telemetry.alerts?.list()).toHaveLength(1), { timeout: 5000, interval: 20 });
      expect((await telemetry.exporters[0]?.exportNow())?.ok).toBe(true);
      expect(telemetry.exporterStatus()).toMatchObject([{ name: 'pushgateway', url: gateway.url, intervalMs: 10_000, errorCount: 0 }]);
      expect(await pushedValue(gateway, 'faultline_alerts_fired_total', 'faultline')).toBe(1);
      expect((await telemetry.metrics()).body).toContain('faultline_alerts_firing{rule="breaker_open",app="faultline"} 1');
    } finally {
      await telemetry.stop();
    }
  });
});
