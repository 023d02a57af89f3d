import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatComparison, formatSummary, journalFromWire, type Journal } from '../drill/index.js';
import { FaultlineError } from '../plan/index.js';

/** A run id, `latest`, a run folder or a report.json path -> the report.json path. */
function resolveReport(ref: string, dir: string): string {
  if (ref.endsWith('.json') && existsSync(ref)) return ref;
  if (existsSync(join(ref, 'report.json'))) return join(ref, 'report.json');
  if (ref === 'latest') {
    const runs = existsSync(dir)
      ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'report.json'))).sort((a, b) => statSync(join(dir, a)).mtimeMs - statSync(join(dir, b)).mtimeMs)
      : [];
    const last = runs.at(-1);
    if (last !== undefined) return join(dir, last, 'report.json');
  }
  const path = join(dir, ref, 'report.json');
  if (!existsSync(path)) {
    throw new FaultlineError('FL_ERR_DRILL_REPORT_NOT_FOUND', `no report for '${ref}' (looked for ${path})`, { details: { path } });
  }
  return path;
}

async function load(ref: string, dir: string): Promise<{ journal: Journal; path: string }> {
  const path = resolveReport(ref, dir);
  return { journal: journalFromWire(JSON.parse(await readFile(path, 'utf8'))), path };
}

/** `faultline report <run_id>` and `faultline report --compare A B`. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('[run_id]', "a run id under the report folder, 'latest', a run folder, or a report.json path")
    .option('--compare <runs...>', 'two runs side by side (A B)')
    .option('--report-dir <dir>', 'where reports are', 'reports')
    .option('--json', 'print the report.json instead of the summary')
    .description("print a drill run's summary again, or compare two runs")
    .action(async (runId: string | undefined, opts: { compare?: string[]; reportDir: string; json?: boolean }) => {
      if (opts.compare) {
        const [a, b] = opts.compare;
        if (a === undefined || b === undefined || opts.compare.length !== 2) {
          throw new FaultlineError('FL_ERR_DRILL_REPORT_USAGE', '--compare takes exactly two runs: --compare A B');
        }
        const [ra, rb] = await Promise.all([load(a, opts.reportDir), load(b, opts.reportDir)]);
        process.stdout.write(`${formatComparison(ra.journal, rb.journal)}\n`);
        return;
      }
      if (runId === undefined) throw new FaultlineError('FL_ERR_DRILL_REPORT_USAGE', "give a run id (or 'latest'), or --compare A B");
      const { journal, path } = await load(runId, opts.reportDir);
      if (opts.json) {
        process.stdout.write(await readFile(path, 'utf8'));
        return;
      }
      const html = path.replace(/report\.json$/, 'report.html');
      process.stdout.write(`${formatSummary(journal)}\n\nreport: ${existsSync(html) ? html : path}\n`);
    });
}
