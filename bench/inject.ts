/**
 * Cost per call of the in-process injector next to a bare awaited call and a cockatiel no-op
 * policy, measured side by side in one run (interleaved rounds, median reported).
 *
 *   npm run bench -- inject [--iterations N] [--rounds R]
 */
import { noop } from 'cockatiel';
import { createInjector } from '../src/inject/index.js';
import { wrap } from '../src/resilience/index.js';

type Variant = { name: string; run: (n: number) => Promise<void> };

const fn = (): Promise<number> => Promise.resolve(1);

function arg(args: string[], flag: string, dflt: number): number {
  const i = args.indexOf(flag);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Runs the injector benchmark and prints ns/call per variant. */
export async function main(args: string[]): Promise<void> {
  const iterations = arg(args, '--iterations', 500_000);
  const rounds = arg(args, '--rounds', 9);
  const disabled = createInjector({ rate: 0.5, enabled: false, faults: [{ kind: 'error', errorType: 'service_unavailable' }] });
  const rateZero = createInjector({ rate: 0, faults: [{ kind: 'error', errorType: 'service_unavailable' }] });
  const wrappedDisabled = wrap(createInjector({ rate: 0.5, enabled: false }));
  let sink = 0;
  const variants: Variant[] = [
    {
      name: 'bare awaited call',
      run: async (n) => {
        for (let i = 0; i < n; i++) sink += await fn();
      },
    },
    {
      name: 'injector, disabled',
      run: async (n) => {
        for (let i = 0; i < n; i++) sink += await disabled.execute(fn);
      },
    },
    {
      name: 'injector, enabled, rate 0',
      run: async (n) => {
        for (let i = 0; i < n; i++) sink += await rateZero.execute(fn);
      },
    },
    {
      name: 'cockatiel noop policy',
      run: async (n) => {
        for (let i = 0; i < n; i++) sink += await noop.execute(fn);
      },
    },
    {
      name: 'faultline wrap(disabled injector)',
      run: async (n) => {
        for (let i = 0; i < n; i++) sink += await wrappedDisabled.execute(fn);
      },
    },
  ];

  // Warm up every path so that the JIT has compiled each before timing.
  for (const v of variants) await v.run(Math.min(iterations, 100_000));
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so that no variant always runs first (or last) on a noisy box.
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(k + r) % variants.length] as Variant;
      const start = process.hrtime.bigint();
      await v.run(iterations);
      const ns = Number(process.hrtime.bigint() - start) / iterations;
      samples.get(v.name)?.push(ns);
    }
  }
  if (sink === 42) process.stdout.write('\n'); // keep `sink` observable

  const bare = median(samples.get('bare awaited call') as number[]);
  const rows = variants.map((v) => {
    const xs = samples.get(v.name) as number[];
    const med = median(xs);
    return [v.name, med.toFixed(1), Math.min(...xs).toFixed(1), (med - bare).toFixed(1), (med / bare).toFixed(2)];
  });
  const head = ['variant', 'ns/call (median)', 'ns/call (min)', 'over bare (ns)', 'x bare'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  process.stdout.write(`inject bench: ${iterations} calls x ${rounds} rounds, node ${process.version}\n`);
  process.stdout.write(`${line(head)}\n${rows.map(line).join('\n')}\n`);
  const overhead = median(samples.get('injector, disabled') as number[]) - bare;
  process.stdout.write(`disabled injector overhead: ${overhead.toFixed(1)} ns/call (target < 100 ns)\n`);
}
