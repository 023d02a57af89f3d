import type { Command } from 'commander';
import { FaultlineError, ValidationError } from '../plan/index.js';
import { ExitCode, loadDrill } from '../drill/index.js';

/**
 * Prints why a drill file cannot be used and sets exit code 4: one line `faultline: <what> — <fix>`,
 * then every mistake with its path (with `json`, one object on stdout).
 */
export function printDrillError(err: FaultlineError, json: boolean): void {
  const issues = err instanceof ValidationError ? err.issues.map((i) => ({ path: i.path, message: i.message })) : [{ path: '(file)', message: err.message.split('\n')[0] ?? err.message }];
  const invalid = err instanceof ValidationError;
  const what = invalid ? `invalid drill (${issues.length} mistake${issues.length === 1 ? '' : 's'})` : (err.message.split('\n')[0] ?? err.message);
  const fix = invalid ? 'fix each path below (`faultline schema drill` prints the format; docs/drills.md explains it)' : 'check the path of the drill file';
  if (json) process.stdout.write(`${JSON.stringify({ valid: false, error: what, code: err.code, fix, exit_code: ExitCode.InvalidDrill, issues }, null, 2)}\n`);
  else {
    process.stderr.write(`faultline: ${what} — ${fix}\n`);
    if (invalid) for (const i of issues) process.stderr.write(`  ${i.path}: ${i.message}\n`);
  }
  process.exitCode = ExitCode.InvalidDrill;
}

/** `faultline validate <drill.yaml>`: exit 0 when valid; exit 4 and every mistake with its path when not. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .argument('<drill>', 'a drill file (YAML)')
    .option('--json', 'print the result as JSON')
    .description('check a drill file without running it: exit 0 when valid, 4 with every mistake and its path when not')
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        const drill = await loadDrill(file);
        for (const w of drill.warnings ?? []) if (!opts.json) process.stderr.write(`faultline: warning: ${w.path}: ${w.message}\n`);
        const summary = { valid: true, warnings: drill.warnings ?? [], name: drill.name, preflight: drill.preflight.length, steps: drill.method.length, probes: drill.steadyState.probes.length + drill.verify.probes.length };
        if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else process.stdout.write(`${file}: valid drill '${drill.name}' (${summary.preflight} preflight checks, ${summary.steps} method steps, ${summary.probes} probes)\n`);
        process.exitCode = ExitCode.Ok;
      } catch (err) {
        if (err instanceof FaultlineError) return printDrillError(err, opts.json === true);
        throw err;
      }
    });
}
