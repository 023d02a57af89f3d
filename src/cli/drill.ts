import type { Command } from 'commander';
import { parseRates, runInprocDrill, type InprocModeResult, type InprocRateResult } from '../inject/index.js';
import { ValidationError, snakifyKeys } from '../plan/index.js';

const DEFAULT_RATES = '0.1,0.2,0.3,0.4,0.5';

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function faultsLine(m: InprocModeResult): string {
  return Object.entries(m.faults)
    .filter(([k, n]) => k !== 'total' && n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

function table(r: InprocRateResult): string {
  const head = ['mode', 'success', 'answered', 'p50 ms', 'p95 ms', 'attempts', 'retries', 'breaker open/half/closed'];
  const row = (name: string, m: InprocModeResult): string[] => [
    name,
    pct(m.successRate),
    pct(m.answeredRate),
    m.p50Ms.toFixed(2),
    m.p95Ms.toFixed(2),
    String(m.attempts),
    String(m.retries),
    name === 'bare' ? '-' : `${m.breaker.opens}/${m.breaker.halfOpens}/${m.breaker.closes}`,
  ];
  const rows = [head, row('bare', r.bare), row('resilient', r.resilient)];
  const widths = head.map((_, i) => Math.max(...rows.map((x) => (x[i] as string).length)));
  const lines = rows.map((x) => x.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  '));
  return [
    `rate ${r.rate}  seed ${r.seed}  (${r.bare.requests} requests per mode)`,
    ...lines,
    `  faults bare:      ${faultsLine(r.bare) || 'none'} (total ${r.bare.faults['total'] ?? 0})`,
    `  faults resilient: ${faultsLine(r.resilient) || 'none'} (total ${r.resilient.faults['total'] ?? 0})`,
  ].join('\n');
}

/**
 * `faultline drill`: the drill command group. `drill inproc` runs the in-process resilience
 * drill; returns the group so that other drill subcommands can be added to it.
 */
export function registerDrill(program: Command): Command {
  const drill = program.command('drill').description('run resilience drills');
  drill
    .command('inproc')
    .description('inject faults into a two-stage in-process pipeline, bare and behind retry + breaker + fallback')
    .option('--rate <rates>', 'fault rate: 0.3, a list 0.1,0.3, or a range 0.1..0.5 (0.1 steps)', DEFAULT_RATES)
    .option('--seed <n>', 'PRNG seed; the same seed replays the same faults', '1')
    .option('--requests <n>', 'requests per rate and mode', '200')
    .option('--json', 'print JSON')
    .action(async (opts: { rate: string; seed: string; requests: string; json?: boolean }) => {
      const rates = parseRates(opts.rate);
      const issues = [];
      if (!rates) issues.push({ path: '--rate', message: 'must be a rate in 0..1, a list (0.1,0.3) or a range (0.1..0.5)' });
      if (!/^-?\d+$/.test(opts.seed)) issues.push({ path: '--seed', message: 'must be an integer' });
      if (!/^\d+$/.test(opts.requests) || Number(opts.requests) < 1) issues.push({ path: '--requests', message: 'must be an integer >= 1' });
      if (issues.length > 0 || !rates) throw new ValidationError('drill options', issues);
      const results = await runInprocDrill({ rates, seed: Number(opts.seed), requests: Number(opts.requests) });
      if (opts.json) {
        const wire = results.map((r) => snakifyKeys(r));
        process.stdout.write(`${JSON.stringify(wire.length === 1 ? wire[0] : wire, null, 2)}\n`);
      } else {
        process.stdout.write(`${results.map(table).join('\n\n')}\n`);
      }
    });
  return drill;
}
