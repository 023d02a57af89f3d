import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePlan, type FaultPlanWire } from '../../src/plan/index.js';
import { createHttpProxy } from '../../src/proxy/http/index.js';
import { createTcpProxy } from '../../src/proxy/tcp/index.js';
import { installPlan, schedulePlan } from '../../src/proxy/schedule.js';
import { client, startUpstream, type Upstream } from './http/helpers.js';

let upstream: Upstream;
let proxy: ReturnType<typeof createHttpProxy>;
let http: ReturnType<typeof client>;

const plan = (extra: Partial<FaultPlanWire> = {}) =>
  parsePlan({ service: 'api', fault_type: 'abort', fault_config: { http_status: 503 }, api: '/pay/*', method: 'POST', ...extra });

beforeEach(async () => {
  upstream = await startUpstream();
  proxy = createHttpProxy({ name: 'api', listen: '127.0.0.1:0', upstream: upstream.url });
  await proxy.start();
  http = client(`http://${proxy.listen}`);
});

afterEach(async () => {
  await http.close();
  await proxy.close();
  await upstream.close();
});

const status = async (method = 'POST', path = '/pay/1'): Promise<number> => (await http.send(method, path, { body: '{}' })).status;

describe('installPlan', () => {
  it('turns an HTTP plan into a rule on its route and removes it', async () => {
    const remove = installPlan(proxy, plan({ percentage: 100 }), 'apply-1');
    expect(proxy.listRules()).toEqual([expect.objectContaining({ id: 'apply-1', method: 'POST', path: '/pay/*', type: 'abort', percentage: 100 })]);
    expect(await status()).toBe(503);
    expect(await status('GET')).toBe(200);
    remove();
    remove();
    expect(await status()).toBe(200);
    expect(proxy.observe('apply-1')?.faulted).toBe(1);
  });

  it('refuses a process fault and a TCP toxic on an HTTP proxy with FL_ERR_PROXY_FAULT_MISMATCH', () => {
    expect(() => installPlan(proxy, parsePlan({ service: 'api', fault_type: 'kill' }), 'k')).toThrow(expect.objectContaining({ code: 'FL_ERR_PROXY_FAULT_MISMATCH' }));
    expect(() => installPlan(proxy, parsePlan({ service: 'api', fault_type: 'latency', fault_config: { latency: 10 } }), 'l')).toThrow(
      expect.objectContaining({ code: 'FL_ERR_PROXY_FAULT_MISMATCH' }),
    );
    expect(() => installPlan(proxy, parsePlan({ service: 'api', fault_type: 'down' }), 'd')).toThrow(expect.objectContaining({ code: 'FL_ERR_PROXY_FAULT_MISMATCH' }));
    expect(proxy.listRules()).toEqual([]);
  });
});

describe('schedulePlan', () => {
  it('installs after the start delay and removes after the duration', async () => {
    const t0 = Date.now();
    const f = schedulePlan(proxy, plan({ start_delay_ms: 300, duration_seconds: 0.6 }), { id: 'apply-2' });
    expect(await status()).toBe(200);
    await f.started;
    const startedAfter = Date.now() - t0;
    expect(startedAfter).toBeGreaterThanOrEqual(290);
    expect(startedAfter).toBeLessThan(2_000);
    expect(await status()).toBe(503);
    expect(await f.ended).toBe('completed');
    const endedAfter = Date.now() - t0;
    expect(endedAfter).toBeGreaterThanOrEqual(880);
    expect(endedAfter).toBeLessThan(3_000);
    expect(proxy.listRules()).toEqual([]);
    expect(await status()).toBe(200);
  });

  it('honours absolute start and end times, and a window already over installs nothing', async () => {
    const now = Date.now();
    const f = schedulePlan(proxy, plan(), { id: 'abs', startAt: now + 100, endAt: now + 400 });
    await f.started;
    expect(Date.now() - now).toBeGreaterThanOrEqual(90);
    expect(await f.ended).toBe('completed');
    expect(Date.now() - now).toBeGreaterThanOrEqual(390);
    const past = schedulePlan(proxy, plan(), { id: 'past', startAt: now - 10_000, endAt: now - 5_000 });
    expect(await past.ended).toBe('completed');
    expect(proxy.listRules()).toEqual([]);
  });

  it('cancel before the start prevents it; cancel is idempotent', async () => {
    const f = schedulePlan(proxy, plan({ start_delay_ms: 200 }), { id: 'never' });
    f.cancel();
    f.cancel();
    expect(await f.ended).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 300));
    expect(proxy.listRules()).toEqual([]);
    expect(await status()).toBe(200);
  });

  it('cancel while running restores clean behaviour at once', async () => {
    const f = schedulePlan(proxy, plan({ duration_seconds: 60 }), { id: 'run' });
    await f.started;
    expect(await status()).toBe(503);
    f.cancel();
    expect(await status()).toBe(200);
    expect(await f.ended).toBe('cancelled');
  });

  it('rejects started when the install fails (id taken)', async () => {
    installPlan(proxy, plan(), 'dup');
    const f = schedulePlan(proxy, plan(), { id: 'dup' });
    await expect(f.started).rejects.toMatchObject({ code: 'FL_ERR_PROXY_CONFLICT' });
    expect(await f.ended).toBe('cancelled');
  });

  it('ends when the proxy closes', async () => {
    const f = schedulePlan(proxy, plan({ duration_seconds: 60 }), { id: 'closing' });
    await f.started;
    await proxy.close();
    expect(await f.ended).toBe('cancelled');
  });
});

describe('installPlan on a TCP proxy', () => {
  it('installs a toxic with toxicity = percentage / 100, and down disables then re-enables', async () => {
    const tcp = createTcpProxy({ name: 'db', listen: '127.0.0.1:0', upstream: upstream.address });
    await tcp.start();
    try {
      const remove = installPlan(tcp, parsePlan({ service: 'db', fault_type: 'latency', fault_config: { latency: 50, stream: 'upstream' }, percentage: 40 }), 'lat');
      expect(tcp.listToxics()).toEqual([expect.objectContaining({ name: 'lat', type: 'latency', stream: 'upstream', toxicity: 0.4, config: expect.objectContaining({ latency: 50 }) })]);
      remove();
      expect(tcp.listToxics()).toEqual([]);
      expect(() => installPlan(tcp, plan(), 'http-on-tcp')).toThrow(expect.objectContaining({ code: 'FL_ERR_PROXY_FAULT_MISMATCH' }));
      const f = schedulePlan(tcp, parsePlan({ service: 'db', fault_type: 'down', duration_seconds: 0.3 }), { id: 'down' });
      await f.started;
      expect(tcp.enabled).toBe(false);
      expect(await f.ended).toBe('completed');
      expect(tcp.enabled).toBe(true);
    } finally {
      await tcp.close();
    }
  });
});
