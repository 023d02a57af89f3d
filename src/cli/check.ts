import type { Command } from 'commander';
import { FaultlineError } from '../plan/index.js';
import { ExitCode, checkDrill, createProgress, loadDrill } from '../drill/index.js';
import { printDrillError } from './validate.js';

/** `faultline check <drill.yaml>`: only the preflight checks; exit 0 when all pass, 1 when one fails. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .argument('<drill>', 'a drill file (YAML)')
    .option('--json', 'print the results as JSON')
    .description("run a drill's preflight checks only (no load, no fault); exit 0 when all pass, 1 when one fails")
    .action(async (file: string, opts: { json?: boolean }) => {
      let drill;
      try {
        drill = await loadDrill(file);
      } catch (err) {
        if (err instanceof FaultlineError) return printDrillError(err, opts.json === true);
        throw err;
      }
      const progress = createProgress({ out: opts.json ? process.stderr : process.stdout, tty: false });
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        const { ok, results } = await checkDrill(drill, { onProgress: progress.onProgress, signal: controller.signal });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ok, checks: results.map((r) => ({ name: r.name, kind: r.kind, ok: r.ok, message: r.message, guidance: r.guidance, duration_ms: r.durationMs })) }, null, 2)}\n`);
        } else {
          process.stdout.write(`${ok ? 'ready' : 'NOT ready'}: ${results.filter((r) => r.ok).length}/${results.length} checks passed\n`);
        }
        process.exitCode = ok ? ExitCode.Ok : ExitCode.PreflightFailed;
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}
