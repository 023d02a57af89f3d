import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerDrill } from '../../src/cli/drill.js';
import { parseRates } from '../../src/inject/index.js';
import { ValidationError } from '../../src/plan/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`tsx src/cli/main.ts ...`) as a child process. */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface Mode {
  success_rate: number;
  answered_rate: number;
  p50_ms: number;
  p95_ms: number;
  faults: Record<string, number>;
  breaker: { opens: number; half_opens: number; closes: number };
}
interface RateResult {
  rate: number;
  seed: number;
  bare: Mode;
  resilient: Mode;
}

const withoutLatency = (r: RateResult): unknown => {
  const strip = ({ p50_ms: _a, p95_ms: _b, ...rest }: Mode) => rest;
  return { ...r, bare: strip(r.bare), resilient: strip(r.resilient) };
};

describe('faultline drill inproc', () => {
  let first: Run;
  let second: Run;
  let range: Run;
  beforeAll(async () => {
    // In parallel: each child pays the tsx start-up once.
    [first, second, range] = await Promise.all([
      cli(['drill', 'inproc', '--rate', '0.3', '--seed', '7', '--json']),
      cli(['drill', 'inproc', '--rate', '0.3', '--seed', '7', '--json']),
      cli(['drill', 'inproc', '--rate', '0.1..0.5', '--seed', '3', '--requests', '40', '--json']),
    ]);
  }, 120_000);

  it('prints { rate, seed, bare, resilient } with success rate, latency and faults by kind', () => {
    expect(first.code).toBe(0);
    const r = JSON.parse(first.stdout) as RateResult;
    expect(Object.keys(r)).toEqual(['rate', 'seed', 'bare', 'resilient']);
    expect(r.rate).toBe(0.3);
    expect(r.seed).toBe(7);
    for (const m of [r.bare, r.resilient]) {
      expect(m.success_rate).toBeGreaterThanOrEqual(0);
      expect(m.success_rate).toBeLessThanOrEqual(1);
      expect(m.p50_ms).toBeGreaterThanOrEqual(0);
      expect(m.p95_ms).toBeGreaterThanOrEqual(m.p50_ms);
      expect(Object.keys(m.faults)).toEqual(
        expect.arrayContaining(['latency', 'network_timeout', 'service_unavailable', 'data_corruption', 'resource_exhaustion', 'random_error']),
      );
      expect(m.faults['total']).toBeGreaterThan(0);
    }
  });

  it('makes the resilient pipeline succeed more often than the bare one', () => {
    const r = JSON.parse(first.stdout) as RateResult;
    expect(r.resilient.success_rate).toBeGreaterThan(r.bare.success_rate);
    expect(r.resilient.answered_rate).toBe(1);
  });

  it('replays the same success rates, fault counts and breaker transitions for the same seed', () => {
    expect(second.code).toBe(0);
    expect(withoutLatency(JSON.parse(second.stdout) as RateResult)).toEqual(withoutLatency(JSON.parse(first.stdout) as RateResult));
  });

  it('runs every rate of a range in 0.1 steps and prints an array', () => {
    expect(range.code).toBe(0);
    const all = JSON.parse(range.stdout) as RateResult[];
    expect(all.map((r) => r.rate)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(all.every((r) => r.seed === 3)).toBe(true);
  });

});

describe('faultline drill inproc (in-process command)', () => {
  const program = (): Command => {
    const p = new Command('faultline').exitOverride();
    registerDrill(p);
    return p;
  };
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints a table per rate without --json', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    await program().parseAsync(['drill', 'inproc', '--rate', '0.4', '--seed', '7', '--requests', '60'], { from: 'user' });
    vi.restoreAllMocks();
    expect(out).toMatch(/rate 0\.4 {2}seed 7/);
    expect(out).toMatch(/^bare\s+\d+\.\d%/m);
    expect(out).toMatch(/^resilient\s+\d+\.\d%/m);
    expect(out).toMatch(/faults bare: .*network_timeout \d+/);
  });

  it('rejects a rate outside 0..1, a bad seed and bad requests, naming each flag', async () => {
    const err = await program()
      .parseAsync(['drill', 'inproc', '--rate', '1.5', '--seed', 'x', '--requests', '0'], { from: 'user' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['--rate', '--seed', '--requests']);
    expect((err as ValidationError).message).toMatch(/--rate: must be a rate in 0\.\.1/);
  });
});

describe('parseRates', () => {
  it.each([
    ['0.3', [0.3]],
    ['0.1,0.3', [0.1, 0.3]],
    ['0.1..0.5', [0.1, 0.2, 0.3, 0.4, 0.5]],
    ['0..0.2', [0, 0.1, 0.2]],
    ['1', [1]],
  ])('reads %s', (text, rates) => {
    expect(parseRates(text)).toEqual(rates);
  });

  it.each(['', 'abc', '1.5', '-0.1', '0.5..0.1', '0.1..x', '0.1,,0.2'])('rejects %j', (text) => {
    expect(parseRates(text)).toBeUndefined();
  });
});
