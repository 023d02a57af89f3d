/**
 * The client SDK against a real `faultline serve`, with a faultline HTTP proxy in between to make
 * the executor fail the way a real one does (503s, refused connections, slow answers): the
 * toolkit tested with itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  ExecutorBadRequestError,
  ExecutorConnectionError,
  ExecutorNotFoundError,
  ExecutorTimeoutError,
  HttpExecutorClient,
  ExecutorUnauthorizedError,
} from '../../src/client/index.js';
import { parsePlan } from '../../src/plan/index.js';
import { createHttpProxy, installPlan, type HttpProxy } from '../../src/proxy/index.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';

const TOKEN = 'client-test-token';

describe('HttpExecutorClient against a real daemon', () => {
  let daemon: Daemon;
  let front: HttpProxy;
  let frontUrl: string;
  const clients: HttpExecutorClient[] = [];
  const removers: (() => void)[] = [];

  /** A fault on the way to the executor (the front proxy), removed after the test. */
  function frontFault(wire: Record<string, unknown>): void {
    removers.push(installPlan(front, parsePlan({ service: 'front', duration_seconds: 60, ...wire }), `f${removers.length}`));
  }

  function client(options: Partial<ConstructorParameters<typeof HttpExecutorClient>[0]> = {}): HttpExecutorClient {
    const c = new HttpExecutorClient({
      baseUrl: frontUrl,
      token: TOKEN,
      retry: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3, jitter: 'none' },
      ...options,
    });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    daemon = await startDaemon({
      token: TOKEN,
      config: { proxies: [{ name: 'api', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', protocol: 'http' }] },
    });
    front = createHttpProxy({ name: 'front', listen: '127.0.0.1:0', upstream: daemon.url });
    await front.start();
    frontUrl = `http://${front.listen}`;
  });

  afterEach(async () => {
    for (const remove of removers.splice(0)) remove();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    if (!front.enabled) await front.setEnabled(true);
  });

  afterAll(async () => {
    await front?.close();
    await daemon?.stop();
  });

  it('applies, polls to the end and returns the observation', async () => {
    const c = client();
    const obs = await c.applyAndObserve(
      { service: 'api', fault_type: 'abort', fault_config: { http_status: 418 }, duration_seconds: 0.5 },
      { pollIntervalMs: 50, timeoutMs: 10_000 },
    );
    expect(obs.status).toBe('completed');
    expect(obs.startTime).not.toBeNull();
    expect(obs.endTime).not.toBeNull();
    expect(obs.metrics.applyId).toBe(obs.applyId);
    expect(obs.elapsedMs).toBeGreaterThanOrEqual(450);
    expect(await c.checkHealth()).toBe(true);
  });

  it('cancels an application and reads its status and metrics', async () => {
    const c = client();
    const { applyId, status } = await c.apply({ service: 'api', fault_type: 'delay', fault_config: { delay_ms: 10 }, duration_seconds: 30 });
    expect(status).toBe('applied');
    expect((await c.status(applyId)).status).toBe('running');
    expect((await c.list()).map((s) => s.applyId)).toContain(applyId);
    await c.cancel(applyId);
    expect((await c.status(applyId)).status).toBe('cancelled');
    expect((await c.metrics(applyId)).requests).toBe(0);
    await c.halt();
  });

  it('retries a 503 and succeeds once the executor answers', async () => {
    frontFault({ fault_type: 'abort', fault_config: { http_status: 503, count: 2 } });
    const c = client();
    const health = await c.health();
    expect(health.status).toBe('ok');
    const m = c.clientMetrics();
    expect(m.retries).toBe(2);
    expect(m.total).toBe(1);
    expect(m.success).toBe(1);
  });

  it('retries a refused connection until the executor is back', async () => {
    await front.setEnabled(false);
    setTimeout(() => void front.setEnabled(true), 150);
    const c = client({ retry: { initialDelayMs: 100, maxDelayMs: 400, maxAttempts: 5, jitter: 'none', strategy: 'linear' } });
    expect((await c.health()).status).toBe('ok');
    expect(c.clientMetrics().retries).toBeGreaterThanOrEqual(1);
  });

  it('does not retry a 400, and hands back the field errors', async () => {
    const before = front.stats().requests;
    const c = client();
    const err = await c.apply({ service: 'api', fault_type: 'delay', percentage: 150 } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorBadRequestError);
    expect((err as ExecutorBadRequestError).issues).toContainEqual(expect.objectContaining({ path: 'percentage' }));
    expect(front.stats().requests - before).toBe(1);
    expect(c.clientMetrics().retries).toBe(0);
    expect(c.clientMetrics().failuresByKind).toEqual({ bad_request: 1 });
  });

  it('maps 401 and 404 to their errors', async () => {
    const anonymous = client({ token: '' });
    await expect(anonymous.halt()).rejects.toBeInstanceOf(ExecutorUnauthorizedError);
    await expect(client().status('no-such-application')).rejects.toBeInstanceOf(ExecutorNotFoundError);
  });

  it('times out a slow answer (and retries it, since a GET is safe to repeat)', async () => {
    frontFault({ fault_type: 'delay', fault_config: { delay_ms: 2_000 } });
    const c = client({ readTimeoutMs: 200, retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 'none' } });
    const started = Date.now();
    await expect(c.health()).rejects.toBeInstanceOf(ExecutorTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(c.clientMetrics().retries).toBe(1);
  });

  it('does not repeat a timed-out apply, which may have been applied', async () => {
    frontFault({ fault_type: 'delay', method: 'POST', api: '/v1/faults/apply', fault_config: { delay_ms: 1_000 } });
    const c = client({ readTimeoutMs: 200 });
    await expect(c.apply({ service: 'api', fault_type: 'delay', fault_config: { delay_ms: 1 }, duration_seconds: 1 })).rejects.toBeInstanceOf(ExecutorTimeoutError);
    expect(c.clientMetrics().retries).toBe(0);
  });

  it('opens the breaker after the threshold, fails fast, then half-opens and closes', async () => {
    frontFault({ fault_type: 'abort', fault_config: { http_status: 503 } });
    const c = client({ retry: { maxAttempts: 1 }, breaker: { failureThreshold: 3, resetTimeoutMs: 300 } });
    for (let i = 0; i < 3; i++) await expect(c.health()).rejects.toMatchObject({ status: 503 });
    expect(c.breakerState).toBe('open');
    const seen = front.stats().requests;
    await expect(c.health()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(front.stats().requests).toBe(seen);
    for (const remove of removers.splice(0)) remove();
    await new Promise((r) => setTimeout(r, 350));
    expect(c.breakerState).toBe('half_open');
    expect((await c.health()).status).toBe('ok');
    expect(c.breakerState).toBe('closed');
    const m = c.clientMetrics();
    expect(m.breakerOpens).toBe(1);
    expect(m.total).toBe(5);
    expect(m.success + m.failure).toBe(m.total);
    expect(m.failuresByKind).toMatchObject({ response: 3, circuit_open: 1 });
    expect(m.successRate).toBeCloseTo(1 / 5);
  });

  it('reports a connection error when nothing listens', async () => {
    const c = new HttpExecutorClient({ baseUrl: 'http://127.0.0.1:9', retry: { maxAttempts: 2, initialDelayMs: 10 } });
    clients.push(c);
    await expect(c.health()).rejects.toBeInstanceOf(ExecutorConnectionError);
    expect(await c.checkHealth()).toBe(false);
  });
});
