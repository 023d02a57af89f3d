/** `faultline check`: the preflight checks alone. */
import type { CheckResult, Journal } from './journal.js';
import type { RunOptions } from './run-options.js';
import { runDrill } from './runner.js';
import type { Drill } from './spec.js';

/**
 * Runs only the preflight checks (starting an embedded executor when the drill has one); writes
 * no report.
 * @returns the check results and whether all passed.
 */
export async function checkDrill(drill: Drill, options: Omit<RunOptions, 'phase' | 'writeReport' | 'force'> = {}): Promise<{ ok: boolean; results: CheckResult[]; journal: Journal }> {
  const { journal } = await runDrill(drill, { ...options, phase: 'preflight', writeReport: false });
  return { ok: journal.preflight.every((r) => r.ok), results: journal.preflight, journal };
}
