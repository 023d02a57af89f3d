import type { Command } from 'commander';
import { FaultlineError } from '../plan/index.js';
import { ExitCode, createProgress, formatRunSummary, jsonSummary, loadDrill, runDrill, runnablePhases, type RunnablePhase } from '../drill/index.js';
import { CliError } from './errors.js';
import { printDrillError } from './validate.js';

/** `faultline run`'s options. */
export interface RunCliOptions {
  force?: boolean;
  json?: boolean;
  reportDir?: string;
  phase?: string;
}

/** `faultline run <drill.yaml>`: run a drill; exit 0 held, 1 preflight, 2 violated, 3 aborted, 4 invalid. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .argument('<drill>', 'a drill file (YAML)')
    .option('--force', 'go on when a preflight check fails')
    .option('--json', 'plain progress on stderr and the final summary as JSON on stdout')
    .option('--report-dir <dir>', 'where reports/<run_id>/ goes', 'reports')
    .option('--phase <name>', `run the phases up to and including this one (${runnablePhases.join(', ')}; cleanup alone runs only the cleanup steps)`)
    .description('run a drill: preflight, baseline, inject, recover, verify, cleanup; write the report')
    .action((file: string, opts: RunCliOptions) => runDrillFile(file, opts));
}

/**
 * What `faultline run` does once its options are parsed (also used by `faultline demo`): loads and
 * runs the drill with live progress, prints the summary (or JSON), sets `process.exitCode`.
 */
export async function runDrillFile(file: string, opts: RunCliOptions): Promise<void> {
  if (opts.phase !== undefined && !(runnablePhases as readonly string[]).includes(opts.phase)) {
    throw new CliError(`--phase '${opts.phase}' is not a phase`, `use one of ${runnablePhases.join(', ')}`);
  }
  let drill;
  try {
    drill = await loadDrill(file);
  } catch (err) {
    if (err instanceof FaultlineError) return printDrillError(err, opts.json === true);
    throw err;
  }
  const out = opts.json ? process.stderr : process.stdout;
  const progress = createProgress({ out, tty: !opts.json && process.stdout.isTTY === true });
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      progress.onProgress({ type: 'log', message: `${sig}: stopping; rollbacks and cleanup run (again to exit now)` });
      controller.abort(new Error(sig));
    } else {
      process.exit(ExitCode.Interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await runDrill(drill, {
      force: opts.force === true,
      reportDir: opts.reportDir ?? 'reports',
      signal: controller.signal,
      onProgress: progress.onProgress,
      ...(opts.phase !== undefined ? { phase: opts.phase as RunnablePhase } : {}),
    });
    progress.finish();
    const paths = { jsonPath: outcome.jsonPath, htmlPath: outcome.htmlPath };
    if (opts.json) process.stdout.write(`${JSON.stringify(jsonSummary(outcome.journal, paths), null, 2)}\n`);
    else process.stdout.write(formatRunSummary(outcome.journal, paths));
    process.exitCode = outcome.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
