import { describe, expect, it } from 'vitest';
import { faultTimeIssues, parsePlan, safeParsePlan, ValidationError, type FieldIssue } from '../../src/plan/index.js';

const http = { service: 'payments-api', fault_type: 'delay', fault_config: { delay_ms: 100 }, percentage: 50, duration_seconds: 30 };
const tcp = { service: 'postgres', fault_type: 'latency', fault_config: { latency: 100 } };
const proc = { service: 'payments-api', fault_type: 'kill' };
const without = (o: Record<string, unknown>, key: string): Record<string, unknown> => {
  const { [key]: _drop, ...rest } = o;
  return rest;
};

function issuesOf(input: unknown): FieldIssue[] {
  const r = safeParsePlan(input);
  if (r.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return r.issues;
}

/** [what, plan, path, message pattern] */
const rows: [string, unknown, string, RegExp][] = [
  ['a plan that is not an object', 'delay please', '(root)', /must be an object/],
  ['an array', [http], '(root)', /must be an object/],
  ['missing service', without(http, 'service'), 'service', /is required/],
  ['empty service', { ...http, service: '' }, 'service', /must not be empty/],
  ['service of the wrong type', { ...http, service: 42 }, 'service', /must be a string/],
  ['missing fault_type', without(http, 'fault_type'), 'fault_type', /is required/],
  ['unknown fault_type', { ...http, fault_type: 'explode' }, 'fault_type', /unknown fault type; expected one of .*delay/],
  ['unknown field at the top', { ...http, colour: 'red' }, 'colour', /unknown field/],
  ['camelCase field at the top', { ...http, faultType: 'delay' }, 'faultType', /unknown field/],
  ['unknown field in fault_config', { ...http, fault_config: { delay_ms: 1, bogus: true } }, 'fault_config.bogus', /unknown field/],
  ['fault_config of the wrong type', { ...http, fault_config: 'slow' }, 'fault_config', /must be an object/],
  ['fault_config null', { ...http, fault_config: null }, 'fault_config', /must be an object/],
  ['percentage below 0', { ...http, percentage: -1 }, 'percentage', /must be between 0 and 100/],
  ['percentage above 100', { ...http, percentage: 100.5 }, 'percentage', /must be between 0 and 100/],
  ['percentage as a string', { ...http, percentage: '50' }, 'percentage', /must be a number/],
  ['negative duration', { ...http, duration_seconds: -5 }, 'duration_seconds', /must be > 0/],
  ['zero duration', { ...http, duration_seconds: 0 }, 'duration_seconds', /must be > 0/],
  ['duration beyond the maximum', { ...http, duration_seconds: 10 ** 9 }, 'duration_seconds', /must be at most/],
  ['negative start delay', { ...http, start_delay_ms: -1 }, 'start_delay_ms', /must be >= 0/],
  ['fractional start delay', { ...http, start_delay_ms: 1.5 }, 'start_delay_ms', /int/],
  ['bad method', { ...http, method: 'FETCH' }, 'method', /must be one of GET, HEAD, POST/],
  ['lower-case method', { ...http, method: 'post' }, 'method', /must be one of/],
  ['bad header name', { ...http, headers: { 'bad header': 'x' } }, 'headers.bad header', /./],
  ['header value not a string', { ...http, headers: { 'x-tenant': 5 } }, 'headers.x-tenant', /must be a string/],
  ['headers not an object', { ...http, headers: 'x-tenant: blue' }, 'headers', /./],
  ['api not starting with a slash', { ...http, api: 'payment/*' }, 'api', /must start with '\/'/],
  ['negative delay_ms', { ...http, fault_config: { delay_ms: -1 } }, 'fault_config.delay_ms', /must be >= 0/],
  ['delay with both delay_ms and distribution', { ...http, fault_config: { delay_ms: 1, distribution: { type: 'uniform', min_ms: 1, max_ms: 2 } } }, 'fault_config.delay_ms', /exactly one of delay_ms or distribution/],
  ['delay with neither delay_ms nor distribution', { ...http, fault_config: {} }, 'fault_config.delay_ms', /exactly one of delay_ms or distribution/],
  ['unknown distribution type', { ...http, fault_config: { distribution: { type: 'poisson', mean_ms: 3 } } }, 'fault_config.distribution.type', /uniform.*normal.*pareto/],
  ['uniform distribution upside down', { ...http, fault_config: { distribution: { type: 'uniform', min_ms: 9, max_ms: 2 } } }, 'fault_config.distribution.max_ms', /must be >= min_ms/],
  ['pareto with zero shape', { ...http, fault_config: { distribution: { type: 'pareto', scale_ms: 10, shape: 0 } } }, 'fault_config.distribution.shape', /must be > 0/],
  ['bad phase', { ...http, fault_config: { delay_ms: 1, phase: 'later' } }, 'fault_config.phase', /'request' or 'response'/],
  ['abort status above 599', { ...http, fault_type: 'abort', fault_config: { http_status: 600 } }, 'fault_config.http_status', /between 200 and 599/],
  ['abort status below 200', { ...http, fault_type: 'abort', fault_config: { http_status: 99 } }, 'fault_config.http_status', /between 200 and 599/],
  ['abort status not an integer', { ...http, fault_type: 'abort', fault_config: { http_status: 503.5 } }, 'fault_config.http_status', /must be an int/],
  ['throttle rate not positive', { ...http, fault_type: 'throttle', fault_config: { rate_kbps: -1 } }, 'fault_config.rate_kbps', /must be >= 0.001/],
  ['api on a tcp fault', { ...tcp, api: '/x' }, 'api', /HTTP requests only; 'latency' is a tcp fault/],
  ['headers on a tcp fault', { ...tcp, headers: { 'x-a': 'b' } }, 'headers', /HTTP requests only/],
  ['method on a process fault', { ...proc, method: 'GET' }, 'method', /HTTP requests only; 'kill' is a process fault/],
  ['negative tcp latency', { ...tcp, fault_config: { latency: -1 } }, 'fault_config.latency', /must be >= 0/],
  ['tcp latency as a string', { ...tcp, fault_config: { latency: 'fast' } }, 'fault_config.latency', /must be a number/],
  ['bad stream', { ...tcp, fault_config: { latency: 1, stream: 'sideways' } }, 'fault_config.stream', /'upstream' or 'downstream'/],
  ['slicer size_variation above average_size', { ...tcp, fault_type: 'slicer', fault_config: { average_size: 10, size_variation: 11 } }, 'fault_config.size_variation', /at most average_size/],
  ['slicer size_variation far above average_size', { ...tcp, fault_type: 'slicer', fault_config: { average_size: 10, size_variation: 50 } }, 'fault_config.size_variation', /at most average_size/],
  ['negative bandwidth', { ...tcp, fault_type: 'bandwidth', fault_config: { rate: -1 } }, 'fault_config.rate', /must be >= 0/],
  ['negative timeout toxic', { ...tcp, fault_type: 'timeout', fault_config: { timeout: -1 } }, 'fault_config.timeout', /must be >= 0/],
  // Upper bounds: a time beyond Node's timer range (2^31-1 ms) would fire after 1 ms instead.
  ['delay_ms 1e308', { ...http, fault_config: { delay_ms: 1e308 } }, 'fault_config.delay_ms', /must be at most 2147483647/],
  ['delay_ms 2^31', { ...http, fault_config: { delay_ms: 2147483648 } }, 'fault_config.delay_ms', /must be at most 2147483647/],
  ['uniform max_ms beyond the timer range', { ...http, fault_config: { distribution: { type: 'uniform', min_ms: 0, max_ms: 1e12 } } }, 'fault_config.distribution.max_ms', /must be at most/],
  ['normal mean_ms beyond the timer range', { ...http, fault_config: { distribution: { type: 'normal', mean_ms: 1e12, stddev_ms: 1 } } }, 'fault_config.distribution.mean_ms', /must be at most/],
  ['normal stddev_ms beyond the timer range', { ...http, fault_config: { distribution: { type: 'normal', mean_ms: 1, stddev_ms: 1e12 } } }, 'fault_config.distribution.stddev_ms', /must be at most/],
  ['pareto scale_ms beyond the timer range', { ...http, fault_config: { distribution: { type: 'pareto', scale_ms: 1e12, shape: 1 } } }, 'fault_config.distribution.scale_ms', /must be at most/],
  ['pareto shape absurd', { ...http, fault_config: { distribution: { type: 'pareto', scale_ms: 1, shape: 1e9 } } }, 'fault_config.distribution.shape', /must be at most 1000/],
  ['throttle rate too small to make progress', { ...http, fault_type: 'throttle', fault_config: { rate_kbps: 1e-300 } }, 'fault_config.rate_kbps', /must be >= 0.001/],
  ['throttle rate absurd', { ...http, fault_type: 'throttle', fault_config: { rate_kbps: 1e308 } }, 'fault_config.rate_kbps', /must be at most/],
  ['skip beyond safe integers', { ...http, fault_config: { delay_ms: 1, skip: 2 ** 60 } }, 'fault_config.skip', /./],
  ['tcp latency 2^53', { ...tcp, fault_config: { latency: 2 ** 53 } }, 'fault_config.latency', /./],
  ['tcp latency 2^53-1', { ...tcp, fault_config: { latency: 2 ** 53 - 1 } }, 'fault_config.latency', /must be at most 2147483647/],
  ['tcp latency 2^31', { ...tcp, fault_config: { latency: 2147483648 } }, 'fault_config.latency', /must be at most 2147483647/],
  ['tcp jitter 2^31', { ...tcp, fault_config: { latency: 1, jitter: 2147483648 } }, 'fault_config.jitter', /must be at most 2147483647/],
  ['timeout toxic 2^31', { ...tcp, fault_type: 'timeout', fault_config: { timeout: 2147483648 } }, 'fault_config.timeout', /must be at most 2147483647/],
  ['reset_peer timeout 2^31', { ...tcp, fault_type: 'reset_peer', fault_config: { timeout: 2147483648 } }, 'fault_config.timeout', /must be at most 2147483647/],
  ['slow_close delay 2^31', { ...tcp, fault_type: 'slow_close', fault_config: { delay: 2147483648 } }, 'fault_config.delay', /must be at most 2147483647/],
  ['slicer delay beyond the bound', { ...tcp, fault_type: 'slicer', fault_config: { average_size: 10, delay: 2147483648 } }, 'fault_config.delay', /must be at most/],
  ['slicer average_size absurd', { ...tcp, fault_type: 'slicer', fault_config: { average_size: 2 ** 40 } }, 'fault_config.average_size', /must be at most/],
  ['limit_data bytes absurd', { ...tcp, fault_type: 'limit_data', fault_config: { bytes: 2 ** 50 } }, 'fault_config.bytes', /must be at most/],
  ['bandwidth rate absurd', { ...tcp, fault_type: 'bandwidth', fault_config: { rate: 2 ** 50 } }, 'fault_config.rate', /must be at most/],
  ['unknown kill signal', { ...proc, fault_config: { signal: 'SIGFOO' } }, 'fault_config.signal', /must be one of SIGKILL/],
];

describe('parsePlan rejects bad plans with the bad field path', () => {
  it.each(rows)('%s -> %s', (_what, input, path, message) => {
    const issues = issuesOf(input);
    const hit = issues.find((i) => i.path === path);
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit?.message).toMatch(message);
    expect(() => parsePlan(input)).toThrow(ValidationError);
  });

  it('names every bad field of a plan at once, shared fields included when fault_type is unknown', () => {
    const issues = issuesOf({ service: '', fault_type: 'explode', percentage: 150, duration_seconds: -1 });
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['fault_type', 'service', 'percentage', 'duration_seconds']));
  });

  it('puts the paths in ValidationError.details for the API edge', () => {
    try {
      parsePlan({ ...http, percentage: 150, fault_config: { delay_ms: -1 } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      const err = e as ValidationError;
      expect(err.code).toBe('FL_ERR_PLAN_INVALID');
      const paths = (err.details['issues'] as FieldIssue[]).map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['percentage', 'fault_config.delay_ms']));
    }
  });

  it('accepts the boundaries: percentage 0 and 100, start delay 0, abort 200 and 599', () => {
    for (const plan of [
      { ...http, percentage: 0 },
      { ...http, percentage: 100, start_delay_ms: 0 },
      { ...http, fault_type: 'abort', fault_config: { http_status: 200 } },
      { ...http, fault_type: 'abort', fault_config: { http_status: 599 } },
      { ...tcp, fault_type: 'slicer', fault_config: { average_size: 10, size_variation: 9 } },
      { ...http, fault_config: { delay_ms: 2147483647 } },
      { ...tcp, fault_config: { latency: 2147483647, jitter: 2147483647 } },
      { ...http, fault_type: 'throttle', fault_config: { rate_kbps: 0.001 } },
      // As Toxiproxy: a variation equal to the average.
      { ...tcp, fault_type: 'slicer', fault_config: { average_size: 10, size_variation: 10 } },
    ]) {
      expect(safeParsePlan(plan).ok, JSON.stringify(plan)).toBe(true);
    }
  });
});

describe('faultTimeIssues: time attributes against the executor\'s maximum duration', () => {
  const maxMs = 600_000;
  it.each([
    ['delay_ms', { ...http, fault_config: { delay_ms: 600_001 } }, 'fault_config.delay_ms'],
    ['uniform max_ms', { ...http, fault_config: { distribution: { type: 'uniform', min_ms: 0, max_ms: 700_000 } } }, 'fault_config.distribution.max_ms'],
    ['tcp latency', { ...tcp, fault_config: { latency: 900_000 } }, 'fault_config.latency'],
    ['timeout toxic', { ...tcp, fault_type: 'timeout', fault_config: { timeout: 900_000 } }, 'fault_config.timeout'],
    ['slow_close delay', { ...tcp, fault_type: 'slow_close', fault_config: { delay: 900_000 } }, 'fault_config.delay'],
  ])('names %s beyond the maximum', (_what, wire, path) => {
    const issues = faultTimeIssues(parsePlan(wire), maxMs);
    expect(issues).toEqual([{ path, message: expect.stringMatching(/at most 600000 ms/) }]);
  });

  it('accepts times within the maximum and faults without times', () => {
    expect(faultTimeIssues(parsePlan({ ...http, fault_config: { delay_ms: 600_000 } }), maxMs)).toEqual([]);
    expect(faultTimeIssues(parsePlan(tcp), maxMs)).toEqual([]);
    expect(faultTimeIssues(parsePlan(proc), maxMs)).toEqual([]);
  });
});
