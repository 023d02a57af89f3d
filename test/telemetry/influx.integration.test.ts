import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createInfluxExporter, createTelemetryRegistry, type TelemetryExporter } from '../../src/telemetry/index.js';
import { binaryGate, INFLUXD_BIN, startInfluxDb, type InfluxServer } from '../helpers/servers.js';

const gate = binaryGate('influxd', INFLUXD_BIN, 'influxdb');

function metricsRegistry(): { registry: ReturnType<typeof createTelemetryRegistry>; requests: Counter } {
  const registry = createTelemetryRegistry({ defaultLabels: { app: 'faultline_it' } });
  const requests = new Counter({ name: 'it_requests_total', help: 'Requests.', labelNames: ['route'], registers: [registry] });
  requests.inc({ route: '/pay ment,x=1' }, 7);
  // A trailing backslash cannot be written in line protocol: one such label must not fail the batch.
  requests.inc({ route: 'C:\\dir\\' }, 1);
  new Gauge({ name: 'it_process_up', help: 'Up.', labelNames: ['process'], registers: [registry] }).set({ process: 'api' }, 42);
  const latency = new Histogram({ name: 'it_latency_seconds', help: 'Latency.', buckets: [0.1, 1], registers: [registry] });
  latency.observe(0.05);
  latency.observe(0.5);
  return { registry, requests };
}

function rows(result: Awaited<ReturnType<InfluxServer['query']>>): unknown[][] {
  return result.results[0]?.series?.[0]?.values ?? [];
}

describe.skipIf(gate.skip)('InfluxDB exporter against a real InfluxDB 1.x', () => {
  let influx: InfluxServer;
  const exporters: TelemetryExporter[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    influx = await startInfluxDb({ databases: ['faultline_it'] });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await Promise.all(exporters.map((e) => e.stop()));
    await influx?.dispose();
  });

  it('lands at least 5 exports at a 1 s interval with no error, and the points read back with their escaped tags', async () => {
    const { registry } = metricsRegistry();
    const exporter = createInfluxExporter({ url: influx.url, version: 1, db: 'faultline_it', intervalMs: 1000, registry, measurementPrefix: 'fl_' });
    exporters.push(exporter);
    exporter.start();
    await vi.waitFor(() => expect(exporter.status().exportCount).toBeGreaterThanOrEqual(5), { timeout: 15_000, interval: 100 });
    await exporter.stop();
    const status = exporter.status();
    expect(status).toMatchObject({ name: 'influxdb', errorCount: 0, lastError: null });

    const up = rows(await influx.query(`SELECT "value", "process", "app" FROM "fl_it_process_up"`, 'faultline_it'));
    expect(up.length).toBe(status.exportCount);
    expect(up.every((r) => r[1] === 42 && r[2] === 'api' && r[3] === 'faultline_it')).toBe(true);

    const requests = rows(await influx.query(`SELECT last("value") FROM "fl_it_requests_total" WHERE "route" = '/pay ment,x=1'`, 'faultline_it'));
    expect(requests[0]?.[1]).toBe(7);

    const latency = rows(await influx.query(`SELECT last("count"), last("sum"), last("0.1"), last("+Inf") FROM "fl_it_latency_seconds"`, 'faultline_it'));
    expect(latency[0]?.slice(1)).toEqual([2, 0.55, 1, 2]);

    const memory = rows(await influx.query(`SELECT last("value") FROM "fl_process_resident_memory_bytes"`, 'faultline_it'));
    expect(memory[0]?.[1]).toBeGreaterThan(0);
  });

  it('counts errors while InfluxDB is down without blocking the host, and resumes when it is back on the same port', async () => {
    const { registry, requests } = metricsRegistry();
    const exporter = createInfluxExporter({ url: influx.url, version: 1, db: 'faultline_it', intervalMs: 1000, registry, measurementPrefix: 'outage_' });
    exporters.push(exporter);
    exporter.start();
    await vi.waitFor(() => expect(exporter.status().exportCount).toBeGreaterThanOrEqual(1), { timeout: 10_000, interval: 50 });

    await influx.stop();
    let ticks = 0;
    const heartbeat = setInterval(() => ticks++, 50);
    try {
      await vi.waitFor(() => expect(exporter.status().errorCount).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 50 });
      expect(exporter.status().lastError).toMatch(/ECONNREFUSED/);
      expect(await exporter.exportNow()).toMatchObject({ ok: false });
      expect(ticks).toBeGreaterThan(3);

      requests.inc({ route: 'after' }, 99);
      const exportsBeforeRestart = exporter.status().exportCount;
      await influx.start();
      await vi.waitFor(() => expect(exporter.status().exportCount).toBeGreaterThan(exportsBeforeRestart), { timeout: 10_000, interval: 50 });
      expect(exporter.status().consecutiveErrors).toBe(0);
      const after = rows(await influx.query(`SELECT last("value") FROM "outage_it_requests_total" WHERE "route" = 'after'`, 'faultline_it'));
      expect(after[0]?.[1]).toBe(99);
      expect(unhandled).toEqual([]);
    } finally {
      clearInterval(heartbeat);
      await exporter.stop();
    }
  });

  it('reports a missing database as an error, and creates it when asked to', async () => {
    const { registry } = metricsRegistry();
    const plain = createInfluxExporter({ url: influx.url, version: 1, db: 'missing_db', intervalMs: 1000, registry });
    const missing = await plain.exportNow();
    expect(missing).toMatchObject({ ok: false });
    expect(plain.status().lastError).toMatch(/404.*database not found/);

    const creating = createInfluxExporter({ url: influx.url, version: 1, db: 'created_db', intervalMs: 1000, registry, createDatabase: true });
    expect(await creating.exportNow()).toMatchObject({ ok: true });
    expect(rows(await influx.query(`SELECT last("value") FROM "it_process_up"`, 'created_db'))[0]?.[1]).toBe(42);
  });
});

describe('InfluxDB 2.x write API', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((r) => (server === null ? r() : server.close(() => r())));
    server = null;
  });

  it('POSTs line protocol to /api/v2/write with org, bucket, ms precision and a Token header', async () => {
    const seen: { url: string | undefined; auth: string | undefined; body: string }[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url, auth: req.headers.authorization, body });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { registry } = metricsRegistry();
    const exporter = createInfluxExporter({ url, version: 2, org: 'my org', bucket: 'b1', token: 's3cret', intervalMs: 1000, registry });
    expect(await exporter.exportNow()).toMatchObject({ ok: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('/api/v2/write?org=my+org&bucket=b1&precision=ms');
    expect(seen[0]?.auth).toBe('Token s3cret');
    expect(seen[0]?.body).toMatch(/^it_process_up,app=faultline_it,process=api value=42 \d{13}$/m);
  });

  it('records the server error message of a rejected write', async () => {
    server = createServer((_req, res) => {
      res.statusCode = 401;
      res.end('{"code":"unauthorized","message":"unauthorized access"}');
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { registry } = metricsRegistry();
    const exporter = createInfluxExporter({ url, version: 2, org: 'o', bucket: 'b', token: 'bad', intervalMs: 1000, registry });
    expect(await exporter.exportNow()).toMatchObject({ ok: false, error: 'influxdb answered 401: {"code":"unauthorized","message":"unauthorized access"}' });
    expect(exporter.status().errorCount).toBe(1);
  });
});
