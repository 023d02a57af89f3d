import { describe, expect, it } from 'vitest';
import { createInjector, errorFaultTypes, FaultInjectionError, mulberry32, type ErrorFaultType, type Injector } from '../../src/inject/index.js';
import { classify } from '../../src/resilience/index.js';
import { ValidationError } from '../../src/plan/index.js';

const ok = (): Promise<string> => Promise.resolve('real');

/** Runs `n` calls and returns, per call, 'ok' or the injected error's faultType. */
async function trace(inj: Injector, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push(await inj.execute(ok));
    } catch (e) {
      out.push((e as FaultInjectionError).faultType);
    }
  }
  return out;
}

describe('injection rate', () => {
  const Z_999 = 3.2905; // two-sided 99.9% normal quantile
  const N = 10_000;
  const cases = [0.01, 0.1, 0.3, 0.5, 0.9].flatMap((rate) => [1, 7, 42, 123_456].map((seed) => [rate, seed] as const));
  it.each(cases)('faults %d of 10,000 calls within the binomial 99.9%% interval (seed %i)', async (rate, seed) => {
    const inj = createInjector({ rate, seed, faults: [{ kind: 'error', errorType: 'service_unavailable' }] });
    const failed = (await trace(inj, N)).filter((x) => x !== 'real').length;
    const half = Z_999 * Math.sqrt((rate * (1 - rate)) / N);
    expect(failed / N).toBeGreaterThanOrEqual(rate - half);
    expect(failed / N).toBeLessThanOrEqual(rate + half);
    expect(inj.stats()).toMatchObject({ calls: N, injected: failed });
  });

  it('never faults at rate 0 and always faults at rate 1', async () => {
    expect((await trace(createInjector({ rate: 0, seed: 3 }), 1000)).every((x) => x === 'real')).toBe(true);
    expect((await trace(createInjector({ rate: 1, seed: 3 }), 1000)).every((x) => x === 'random_error')).toBe(true);
  });
});

describe('seeded replay', () => {
  const faults = errorFaultTypes.map((errorType) => ({ kind: 'error' as const, errorType }));

  it('gives the same sequence for the same seed', async () => {
    const a = await trace(createInjector({ rate: 0.4, seed: 99, faults }), 2000);
    const b = await trace(createInjector({ rate: 0.4, seed: 99, faults }), 2000);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(6);
  });

  it('gives a different sequence for another seed', async () => {
    const a = await trace(createInjector({ rate: 0.4, seed: 99, faults }), 500);
    const b = await trace(createInjector({ rate: 0.4, seed: 100, faults }), 500);
    expect(a).not.toEqual(b);
  });

  it('replays from the start after reset()', async () => {
    const inj = createInjector({ rate: 0.5, seed: 5, faults });
    const first = await trace(inj, 300);
    inj.reset();
    expect(inj.stats().calls).toBe(0);
    expect(await trace(inj, 300)).toEqual(first);
  });

  it('mulberry32 is deterministic and in [0, 1)', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    for (let i = 0; i < 10_000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('fault kinds', () => {
  it.each(errorFaultTypes.map((t) => [t]))('throws FaultInjectionError with faultType %s and its own code', async (errorType: ErrorFaultType) => {
    const inj = createInjector({ rate: 1, faults: [{ kind: 'error', errorType }] });
    const err = await inj.execute(ok).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FaultInjectionError);
    expect((err as FaultInjectionError).faultType).toBe(errorType);
    expect((err as FaultInjectionError).code).toBe(`FL_ERR_INJECT_${errorType.toUpperCase()}`);
    expect(classify(err).kind).toBe(errorType);
    expect(classify(err).retryable).toBe(['network_timeout', 'service_unavailable', 'resource_exhaustion'].includes(errorType));
  });

  it('delays by a fixed latency, then makes the call', async () => {
    const inj = createInjector({ rate: 1, faults: [{ kind: 'latency', ms: 60 }] });
    const start = performance.now();
    expect(await inj.execute(ok)).toBe('real');
    const took = performance.now() - start;
    expect(took).toBeGreaterThanOrEqual(55);
    expect(took).toBeLessThan(1000);
    expect(inj.stats().byKind.latency).toBe(1);
  });

  it('draws latency from the range', async () => {
    const inj = createInjector({ rate: 1, seed: 11, faults: [{ kind: 'latency', ms: { min: 20, max: 40 } }] });
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      await inj.execute(ok);
      const took = performance.now() - start;
      expect(took).toBeGreaterThanOrEqual(18);
      expect(took).toBeLessThan(1000);
    }
  });

  it('cuts an injected latency short when the signal aborts', async () => {
    const inj = createInjector({ rate: 1, faults: [{ kind: 'latency', ms: 10_000 }] });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 20);
    const start = performance.now();
    await expect(inj.execute(ok, ac.signal)).rejects.toThrow('stop');
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('substitutes an outcome without calling', async () => {
    let called = false;
    const inj = createInjector({ rate: 1, faults: [{ kind: 'outcome', value: { cached: true } }] });
    expect(
      await inj.execute(() => {
        called = true;
        return { cached: false };
      }),
    ).toEqual({ cached: true });
    expect(called).toBe(false);
    expect(inj.stats().byKind.outcome).toBe(1);
  });

  it('runs a behavior first, then the call', async () => {
    const order: string[] = [];
    const inj = createInjector({ rate: 1, faults: [{ kind: 'behavior', run: async () => void order.push('behavior') }] });
    await inj.execute(() => {
      order.push('call');
      return 1;
    });
    expect(order).toEqual(['behavior', 'call']);
  });

  it('picks faults by weight and counts each kind', async () => {
    const inj = createInjector({
      rate: 1,
      seed: 4,
      faults: [
        { kind: 'error', errorType: 'network_timeout', weight: 3 },
        { kind: 'outcome', value: 'x', weight: 1 },
      ],
    });
    await trace(inj, 4000);
    const s = inj.stats();
    expect(s.injected).toBe(4000);
    expect(s.byErrorType.network_timeout + s.byKind.outcome).toBe(4000);
    expect(s.byErrorType.network_timeout / 4000).toBeGreaterThan(0.72);
    expect(s.byErrorType.network_timeout / 4000).toBeLessThan(0.78);
  });
});

describe('rate and enabled as values or functions', () => {
  it('does nothing and counts nothing when disabled', async () => {
    const inj = createInjector({ rate: 1, enabled: false });
    expect(await trace(inj, 100)).toEqual(Array(100).fill('real'));
    expect(inj.stats().calls).toBe(0);
  });

  it('evaluates enabled and rate per call', async () => {
    let on = false;
    let rate = 1;
    const inj = createInjector({ rate: () => rate, enabled: () => on });
    expect(await trace(inj, 3)).toEqual(['real', 'real', 'real']);
    on = true;
    expect(await trace(inj, 2)).toEqual(['random_error', 'random_error']);
    rate = 0;
    expect(await trace(inj, 2)).toEqual(['real', 'real']);
    rate = 7; // clamped to 1
    expect(await trace(inj, 1)).toEqual(['random_error']);
  });

  it('reconfigures live, and keeps the old options when the new ones are bad', async () => {
    const inj = createInjector({ rate: 0, seed: 1 });
    expect(await trace(inj, 2)).toEqual(['real', 'real']);
    inj.configure({ rate: 1, faults: [{ kind: 'error', errorType: 'data_corruption' }] });
    expect(await trace(inj, 1)).toEqual(['data_corruption']);
    expect(() => inj.configure({ rate: 2 })).toThrow(ValidationError);
    expect(await trace(inj, 1)).toEqual(['data_corruption']);
    inj.configure({ enabled: false });
    expect(await trace(inj, 1)).toEqual(['real']);
  });
});

describe('option validation', () => {
  const bad: [string, unknown, string][] = [
    ['rate above 1', { rate: 1.5 }, 'rate'],
    ['rate below 0', { rate: -0.1 }, 'rate'],
    ['rate as string', { rate: '0.5' }, 'rate'],
    ['enabled as string', { rate: 0.5, enabled: 'yes' }, 'enabled'],
    ['fractional seed', { rate: 0.5, seed: 1.5 }, 'seed'],
    ['empty faults', { rate: 0.5, faults: [] }, 'faults'],
    ['unknown fault kind', { rate: 0.5, faults: [{ kind: 'explode' }] }, 'faults[0].kind'],
    ['unknown error type', { rate: 0.5, faults: [{ kind: 'error', errorType: 'meteor' }] }, 'faults[0].errorType'],
    ['negative latency', { rate: 0.5, faults: [{ kind: 'latency', ms: -1 }] }, 'faults[0].ms'],
    ['latency beyond the timer range', { rate: 0.5, faults: [{ kind: 'latency', ms: 2147483648 }] }, 'faults[0].ms'],
    ['latency range beyond the timer range', { rate: 0.5, faults: [{ kind: 'latency', ms: { min: 0, max: 1e308 } }] }, 'faults[0].ms.max'],
    ['latency range upside down', { rate: 0.5, faults: [{ kind: 'latency', ms: { min: 5, max: 1 } }] }, 'faults[0].ms.max'],
    ['zero weight', { rate: 0.5, faults: [{ kind: 'outcome', value: 1, weight: 0 }] }, 'faults[0].weight'],
    ['behavior without a function', { rate: 0.5, faults: [{ kind: 'behavior', run: 'x' }] }, 'faults[0].run'],
    ['unknown option', { rate: 0.5, ratio: 1 }, 'ratio'],
  ];
  it.each(bad)('names the field for %s', (_name, opts, path) => {
    let err: unknown;
    try {
      createInjector(opts as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('FL_ERR_INJECT_INVALID_CONFIG');
    expect((err as ValidationError).issues.map((i) => i.path)).toContain(path);
  });
});
