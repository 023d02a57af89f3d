import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAlertEngine, parseAlertRule, parseAlertsConfig, type Alert, type AlertSignals } from '../../src/telemetry/index.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** A synthetic request stream: per 1 s tick, 100 requests of which `errorsAt(t)` fail. */
function errorStream(errorsAt: (t: number) => number): { sample: () => AlertSignals; at: (t: number) => void } {
  let now = 0;
  return {
    at: (t) => void (now = t),
    sample: () => {
      const requests = 100;
      const errors = errorsAt(now);
      return { errorRate: errors / requests };
    },
  };
}

describe('alert engine (fake clock)', () => {
  it('fires error_rate > 0.1 for 5s only after the condition held for its window, and resolves when the rate drops', () => {
    // 5% errors until 5 s, 30% from 5 s to 15 s, 1% after.
    const stream = errorStream((t) => (t < 5000 ? 5 : t < 15_000 ? 30 : 1));
    const registry = new Registry();
    const engine = createAlertEngine({ rules: [parseAlertRule('error_rate > 0.1 for 5s')], sample: stream.sample, registry });
    const events: Alert[] = [];
    engine.onAlert((a) => events.push(a));

    for (let t = 0; t <= 20_000; t += 1000) {
      stream.at(t);
      engine.tick(t);
      if (t === 9000) expect(engine.list()).toEqual([]); // held 4 s of 5: not yet
    }
    expect(events.map((e) => [e.state, e.firing, e.resolved])).toEqual([
      ['firing', iso(10_000), null],
      ['resolved', iso(10_000), iso(15_000)],
    ]);
    expect(events[0]).toMatchObject({ rule: 'error_rate > 0.1 for 5s', name: 'error_rate > 0.1 for 5s', value: 0.3 });
    expect(events[1]?.id).toBe(events[0]?.id);
    expect(engine.list()).toEqual([events[1]]);
  });

  it('restarts the for-window when the condition lapses for one sample', () => {
    const rates = new Map([
      [0, 0.5],
      [1000, 0.5],
      [2000, 0.5],
      [3000, 0.0],
      [4000, 0.5],
      [5000, 0.5],
      [6000, 0.5],
      [7000, 0.5],
    ]);
    let t = 0;
    const engine = createAlertEngine({ rules: [parseAlertRule('error_rate > 0.1 for 3s')], sample: () => ({ errorRate: rates.get(t) ?? 0 }) });
    const fired: number[] = [];
    engine.onAlert((a) => a.state === 'firing' && fired.push(Date.parse(a.firing)));
    for (t = 0; t <= 7000; t += 1000) engine.tick(t);
    expect(fired).toEqual([7000]);
  });

  it('treats a missing signal (no traffic) as not holding', () => {
    let signals: AlertSignals = { errorRate: 0.9 };
    const engine = createAlertEngine({ rules: [parseAlertRule('error_rate > 0.1')], sample: () => signals });
    expect(engine.tick(0).map((a) => a.state)).toEqual(['firing']);
    signals = {};
    expect(engine.tick(1000).map((a) => a.state)).toEqual(['resolved']);
  });

  it('fires restarts > 3 in 60s on the increase within the window, not on restarts before the engine started', () => {
    const restartsAt: Record<number, number> = { 0: 10, 10: 12, 20: 13, 30: 14 };
    let t = 0;
    let last = 10;
    const engine = createAlertEngine({
      rules: [parseAlertRule('restarts > 3 in 60s')],
      sample: () => ({ restarts: (last = restartsAt[t / 1000] ?? last) }),
    });
    const events: Alert[] = [];
    engine.onAlert((a) => events.push(a));
    for (t = 0; t <= 100_000; t += 10_000) engine.tick(t);
    // 10 -> 14 by 30 s: 4 in the window; by 70 s the window's baseline is 12 (at 10 s): 2, resolved.
    expect(events.map((e) => [e.state, e.firing, e.resolved, e.value])).toEqual([
      ['firing', iso(30_000), null, 4],
      ['resolved', iso(30_000), iso(70_000), 4],
    ]);
  });

  it('fires process_unhealthy for 10s, latency_p95_ms > 5000 and breaker_open from their signals', () => {
    let signals: AlertSignals = {};
    const { rules } = parseAlertsConfig(['process_unhealthy for 10s', 'latency_p95_ms > 5000', { rule: 'breaker_open', name: 'breaker' }]);
    const engine = createAlertEngine({ rules, sample: () => signals });
    signals = { unhealthyProcesses: ['api'], latencyP95Ms: 6000, breakerOpen: true };
    expect(engine.tick(0).map((a) => a.name)).toEqual(['latency_p95_ms > 5000', 'breaker']);
    expect(engine.tick(9000)).toEqual([]);
    expect(engine.tick(10_000).map((a) => [a.name, a.value])).toEqual([['process_unhealthy for 10s', 1]]);
    signals = { unhealthyProcesses: [], latencyP95Ms: 100, breakerOpen: false };
    expect(engine.tick(11_000).map((a) => a.state)).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('lists firing alerts first, then resolved ones newest first; a disposed listener is not called', () => {
    let signals: AlertSignals = { breakerOpen: true, errorRate: 0.5 };
    const engine = createAlertEngine({ rules: [parseAlertRule('breaker_open'), parseAlertRule('error_rate > 0.1')], sample: () => signals });
    const listener = vi.fn();
    const sub = engine.onAlert(listener);
    engine.tick(0);
    expect(listener).toHaveBeenCalledTimes(2);
    sub.dispose();
    signals = { breakerOpen: false, errorRate: 0.5 };
    engine.tick(1000);
    expect(listener).toHaveBeenCalledTimes(2);
    expect(engine.list().map((a) => [a.name, a.state])).toEqual([
      ['error_rate > 0.1', 'firing'],
      ['breaker_open', 'resolved'],
    ]);
  });

  it('counts fired alerts by rule and exposes the firing state in metrics', async () => {
    const registry = new Registry();
    let open = true;
    const engine = createAlertEngine({ rules: [parseAlertRule('breaker_open')], sample: () => ({ breakerOpen: open }), registry });
    engine.tick(0);
    expect(await registry.metrics()).toContain('faultline_alerts_fired_total{rule="breaker_open"} 1');
    expect(await registry.metrics()).toContain('faultline_alerts_firing{rule="breaker_open"} 1');
    open = false;
    engine.tick(1000);
    open = true;
    engine.tick(2000);
    expect(await registry.metrics()).toContain('faultline_alerts_fired_total{rule="breaker_open"} 2');
  });

  it('skips a tick whose sampler throws, logs and counts it', async () => {
    const registry = new Registry();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const engine = createAlertEngine({
      rules: [parseAlertRule('breaker_open')],
      registry,
      logger: logger as never,
      sample: () => {
        throw new Error('recorder gone');
      },
    });
    expect(engine.tick(0)).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith({ err: 'recorder gone' }, 'alert sampler threw; tick skipped');
    expect(await registry.metrics()).toContain('faultline_alert_sample_errors_total 1');
  });

  it('evaluates on its own timer after start()', async () => {
    const engine = createAlertEngine({ rules: [parseAlertRule('breaker_open')], sample: () => ({ breakerOpen: true }), intervalMs: 20 });
    engine.start();
    try {
      await vi.waitFor(() => expect(engine.list()).toHaveLength(1), { timeout: 2000, interval: 10 });
    } finally {
      await engine.stop();
    }
  });
});

describe('alert webhook', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((r) => (server === null ? r() : server.close(() => r())));
    server = null;
  });

  async function listen(handler: (req: IncomingMessage, body: string) => number): Promise<string> {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.statusCode = handler(req, body);
        res.end();
      });
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server?.address() as AddressInfo).port}/hook`;
  }

  it('POSTs the firing and the resolved alert as JSON to a real HTTP server', async () => {
    const received: { method: string | undefined; type: string | undefined; body: Record<string, unknown> }[] = [];
    const url = await listen((req, body) => {
      received.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body) as Record<string, unknown> });
      return 204;
    });
    let rate = 0.5;
    const registry = new Registry();
    const engine = createAlertEngine({ rules: [parseAlertRule('error_rate > 0.1')], sample: () => ({ errorRate: rate }), webhookUrl: url, registry });
    engine.tick(1000);
    rate = 0;
    engine.tick(2000);
    await engine.flush();
    expect(received.map((r) => [r.method, r.type, r.body['state'], r.body['rule'], r.body['firing'], r.body['resolved']])).toEqual([
      ['POST', 'application/json', 'firing', 'error_rate > 0.1', iso(1000), null],
      ['POST', 'application/json', 'resolved', 'error_rate > 0.1', iso(1000), iso(2000)],
    ]);
    expect(await registry.metrics()).toContain('faultline_alert_webhooks_total{result="ok"} 2');
  });

  it("sends to the rule's own webhook instead of the engine's", async () => {
    const hits: string[] = [];
    const url = await listen((req) => {
      hits.push(req.url ?? '');
      return 200;
    });
    const { rules } = parseAlertsConfig([{ rule: 'breaker_open', webhook: url.replace('/hook', '/own') }]);
    const engine = createAlertEngine({ rules, sample: () => ({ breakerOpen: true }), webhookUrl: url });
    engine.tick(0);
    await engine.flush();
    expect(hits).toEqual(['/own']);
  });

  it('counts a failed webhook (error status or nobody listening) without throwing', async () => {
    const url = await listen(() => 500);
    const registry = new Registry();
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const { rules } = parseAlertsConfig(['breaker_open', { rule: 'error_rate > 0.1', webhook: 'http://127.0.0.1:1/closed' }]);
    const engine = createAlertEngine({ rules, sample: () => ({ breakerOpen: true, errorRate: 1 }), webhookUrl: url, registry, logger: logger as never });
    expect(() => engine.tick(0)).not.toThrow();
    await engine.flush();
    expect(await registry.metrics()).toContain('faultline_alert_webhooks_total{result="error"} 2');
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ err: 'webhook answered 500' }), 'alert webhook failed');
  });
});
