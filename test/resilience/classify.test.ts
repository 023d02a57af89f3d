import { describe, expect, it } from 'vitest';
import { TaskCancelledError, BulkheadRejectedError } from 'cockatiel';
import { classify, parseRetryAfter, CircuitOpenError, TimeoutError } from '../../src/resilience/index.js';
import { FaultInjectionError } from '../../src/inject/index.js';

const withCode = (code: string): Error => Object.assign(new Error(code), { code });
const named = (name: string): Error => Object.assign(new Error(name), { name });

describe('classify: errors row by row', () => {
  const rows: [string, unknown, boolean, string][] = [
    ['cockatiel TaskCancelledError', new TaskCancelledError('t'), true, 'timeout'],
    ['AbortError', named('AbortError'), true, 'timeout'],
    ['DOMException TimeoutError', named('TimeoutError'), true, 'timeout'],
    ['faultline TimeoutError', new TimeoutError(100), true, 'timeout'],
    ['ETIMEDOUT', withCode('ETIMEDOUT'), true, 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', withCode('UND_ERR_CONNECT_TIMEOUT'), true, 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', withCode('UND_ERR_HEADERS_TIMEOUT'), true, 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', withCode('UND_ERR_BODY_TIMEOUT'), true, 'timeout'],
    ['ECONNREFUSED', withCode('ECONNREFUSED'), true, 'connection_refused'],
    ['ECONNRESET', withCode('ECONNRESET'), true, 'connection_reset'],
    ['EPIPE', withCode('EPIPE'), true, 'broken_pipe'],
    ['ENOTFOUND', withCode('ENOTFOUND'), true, 'dns'],
    ['EAI_AGAIN', withCode('EAI_AGAIN'), true, 'dns'],
    ['fetch failed with an ECONNREFUSED cause', new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }), true, 'connection_refused'],
    ['pg 57P01 admin_shutdown', withCode('57P01'), true, 'pg_admin_shutdown'],
    ['pg 08006 connection_failure', withCode('08006'), true, 'pg_connection_failure'],
    ['pg 08001 unable to connect', withCode('08001'), true, 'pg_connection_refused'],
    ['pg 08003 connection does not exist', withCode('08003'), true, 'pg_connection_does_not_exist'],
    ['pg 40001 serialization_failure', withCode('40001'), true, 'pg_serialization_failure'],
    ['pg 53300 too_many_connections', withCode('53300'), true, 'pg_too_many_connections'],
    ['pg 23505 unique_violation', withCode('23505'), false, 'pg_23505'],
    ['object with status 503', { status: 503 }, true, 'service_unavailable'],
    ['object with statusCode 404', { statusCode: 404 }, false, 'not_found'],
    ['breaker open', new CircuitOpenError('open', 10), false, 'circuit_open'],
    ['cockatiel bulkhead rejection', new BulkheadRejectedError(1, 0), false, 'bulkhead_full'],
    ['injected network_timeout', new FaultInjectionError('network_timeout'), true, 'network_timeout'],
    ['injected service_unavailable', new FaultInjectionError('service_unavailable'), true, 'service_unavailable'],
    ['injected resource_exhaustion', new FaultInjectionError('resource_exhaustion'), true, 'resource_exhaustion'],
    ['injected data_corruption', new FaultInjectionError('data_corruption'), false, 'data_corruption'],
    ['injected random_error', new FaultInjectionError('random_error'), false, 'random_error'],
    ['plain Error', new Error('what'), false, 'unknown'],
    ['a string', 'boom', false, 'unknown'],
    ['null', null, false, 'unknown'],
  ];
  it.each(rows)('%s -> retryable %s, kind %s', (_name, input, retryable, kind) => {
    const c = classify(input);
    expect(c.retryable).toBe(retryable);
    expect(c.kind).toBe(kind);
  });
});

describe('classify: HTTP statuses row by row', () => {
  const rows: [number, boolean, string][] = [
    [429, true, 'rate_limited'],
    [500, true, 'server_error'],
    [502, true, 'bad_gateway'],
    [503, true, 'service_unavailable'],
    [504, true, 'gateway_timeout'],
    [400, false, 'bad_request'],
    [401, false, 'unauthorized'],
    [403, false, 'forbidden'],
    [404, false, 'not_found'],
    [409, false, 'conflict'],
    [422, false, 'unprocessable'],
    [418, false, 'client_error'],
    [200, false, 'unknown'],
  ];
  it.each(rows)('%i -> retryable %s, kind %s', (status, retryable, kind) => {
    expect(classify(status)).toEqual({ retryable, kind });
  });
});

describe('classify: Retry-After', () => {
  it('reads delay-seconds from a plain header record, any case', () => {
    expect(classify(429, { 'Retry-After': '3' })).toEqual({ retryable: true, kind: 'rate_limited', retryAfterMs: 3000 });
  });

  it('reads a fetch Headers object', () => {
    expect(classify(503, new Headers({ 'retry-after': '1' })).retryAfterMs).toBe(1000);
  });

  it('reads the headers an error carries', () => {
    expect(classify({ statusCode: 429, headers: { 'retry-after': '7' } }).retryAfterMs).toBe(7000);
  });

  it('turns an HTTP date into milliseconds from now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    const inFuture = new Date(Date.now() + 10_000).toUTCString();
    const ms = classify(429, { 'retry-after': inFuture }).retryAfterMs ?? -1;
    expect(ms).toBeGreaterThan(8_000);
    expect(ms).toBeLessThanOrEqual(10_000);
  });

  it('ignores an unparseable Retry-After', () => {
    expect(classify(429, { 'retry-after': 'soon' })).toEqual({ retryable: true, kind: 'rate_limited' });
  });
});
