import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { formatComparison, formatSummary, journalFromWire, reportSchema, summaryRows, type Journal } from '../drill/index.js';
import { CliError, ExitStatus } from './errors.js';

interface ReportCliOptions {
  compare?: string[];
  file?: string;
  reportDir: string;
  json?: boolean;
}

/** A run id names one folder under the report folder: no separators, no `..`. */
const RUN_ID = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;

/** Is `path` inside `dir` (after following symlinks)? */
function inside(dir: string, path: string): boolean {
  const real = (p: string): string => (existsSync(p) ? realpathSync(p) : resolve(p));
  const rel = relative(real(dir), real(path));
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** A run id (or `latest`) under `dir` -> its report.json. @throws CliError */
function resolveRunId(ref: string, dir: string): string {
  if (!RUN_ID.test(ref)) {
    throw new CliError(`'${ref}' is not a run id (a folder name under ${dir})`, 'give a run id from the report folder, or a report file with --file PATH', {
      code: 'FL_ERR_CLI_REPORT_OUTSIDE',
    });
  }
  if (ref === 'latest') {
    const runs = existsSync(dir)
      ? readdirSync(dir)
          .filter((d) => existsSync(join(dir, d, 'report.json')))
          .sort((a, b) => statSync(join(dir, a)).mtimeMs - statSync(join(dir, b)).mtimeMs)
      : [];
    const last = runs.at(-1);
    if (last === undefined) {
      throw new CliError(`no run under ${dir}`, 'run a drill first (`faultline run <drill.yaml>`), or point --report-dir at the report folder', {
        code: 'FL_ERR_DRILL_REPORT_NOT_FOUND',
        exitCode: ExitStatus.Failed,
      });
    }
    return join(dir, last, 'report.json');
  }
  const path = join(dir, ref, 'report.json');
  if (!existsSync(path)) {
    throw new CliError(`no report for run '${ref}' (looked for ${path})`, 'list the report folder (--report-dir, default reports/) or use `latest`', {
      code: 'FL_ERR_DRILL_REPORT_NOT_FOUND',
      exitCode: ExitStatus.Failed,
    });
  }
  // A symlinked run folder must not lead out of the report folder either.
  if (!inside(dir, path)) {
    throw new CliError(`${path} lies outside the report folder ${dir}`, 'read a report elsewhere with --file PATH', { code: 'FL_ERR_CLI_REPORT_OUTSIDE' });
  }
  return path;
}

/** Reads and checks a report file. @throws CliError `not a faultline report: ...` (exit 1) */
async function loadReport(path: string): Promise<{ journal: Journal; wire: unknown; path: string }> {
  const text = await readFile(path, 'utf8');
  const notReport = (why: string): CliError =>
    new CliError(`not a faultline report: ${path} (${why})`, 'give a report.json that `faultline run` wrote (reports/<run_id>/report.json)', {
      code: 'FL_ERR_CLI_NOT_A_REPORT',
      exitCode: ExitStatus.Failed,
    });
  let wire: unknown;
  try {
    wire = JSON.parse(text) as unknown;
  } catch {
    throw notReport('not JSON');
  }
  const checked = reportSchema.safeParse(wire);
  if (!checked.success) {
    const first = checked.error.issues[0];
    const at = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'does not match the report schema';
    throw notReport(`${at}${checked.error.issues.length > 1 ? `, and ${checked.error.issues.length - 1} more` : ''}`);
  }
  return { journal: journalFromWire(wire), wire, path };
}

/**
 * `faultline report <run_id>`, `faultline report --file report.json` and `faultline report --compare A B`.
 * Run ids are read under `--report-dir` only; a file elsewhere must be named with `--file`.
 */
export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('[run_id]', "a run id under the report folder, or 'latest'")
    .option('--file <path>', 'a report.json anywhere (instead of a run id)')
    .option('--compare <runs...>', 'two run ids side by side (A B)')
    .option('--report-dir <dir>', 'where reports are', 'reports')
    .option('--json', 'print the report.json (with --compare: both runs and the rows side by side) instead of the summary')
    .description("print a drill run's summary again, or compare two runs")
    .action(async (runId: string | undefined, opts: ReportCliOptions) => {
      if (opts.compare) {
        const [a, b] = opts.compare;
        if (a === undefined || b === undefined || opts.compare.length !== 2 || runId !== undefined || opts.file !== undefined) {
          throw new CliError('--compare takes exactly two run ids and nothing else', 'run `faultline report --compare A B`', { code: 'FL_ERR_DRILL_REPORT_USAGE' });
        }
        const [ra, rb] = await Promise.all([loadReport(resolveRunId(a, opts.reportDir)), loadReport(resolveRunId(b, opts.reportDir))]);
        if (opts.json) {
          const left = new Map(summaryRows(ra.journal));
          const right = new Map(summaryRows(rb.journal));
          const rows = [...new Set([...left.keys(), ...right.keys()])].map((label) => ({ label, a: left.get(label) ?? null, b: right.get(label) ?? null }));
          process.stdout.write(`${JSON.stringify({ runs: [ra.journal.runId, rb.journal.runId], reports: [ra.path, rb.path], rows }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${formatComparison(ra.journal, rb.journal)}\n`);
        return;
      }
      if (runId !== undefined && opts.file !== undefined) {
        throw new CliError('give a run id or --file, not both', 'run `faultline report <run_id>` or `faultline report --file report.json`', { code: 'FL_ERR_DRILL_REPORT_USAGE' });
      }
      if (runId === undefined && opts.file === undefined) {
        throw new CliError('no run given', "run `faultline report <run_id>` (or 'latest'), `--file report.json`, or `--compare A B`", { code: 'FL_ERR_DRILL_REPORT_USAGE' });
      }
      const { journal, wire, path } = await loadReport(opts.file ?? resolveRunId(runId as string, opts.reportDir));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(wire, null, 2)}\n`);
        return;
      }
      const html = path.replace(/report\.json$/, 'report.html');
      process.stdout.write(`${formatSummary(journal)}\n\nreport: ${html !== path && existsSync(html) ? html : path}\n`);
    });
}
