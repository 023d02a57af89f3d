/**
 * Tests that need a tool from outside npm (a Debian package) go through {@link requireTool}:
 * - the tool is there: the tests run;
 * - it is missing and `CI` is set: the tests run and fail (a missing tool on CI is a broken CI, not a skip);
 * - it is missing elsewhere: the tests skip, one line on stderr names the package, and the
 *   global setup prints, at the end of the run, one line listing every skipped tool and the
 *   command that installs them.
 *
 * @example
 * const pushgateway = requireTool({ name: 'prometheus-pushgateway', binary: PUSHGATEWAY_BIN, debianPackage: 'prometheus-pushgateway' });
 * describe.skipIf(pushgateway.skip)('Pushgateway exporter against a real Pushgateway', () => { ... });
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The environment variable naming the folder where skip notes go (set by the global setup). */
export const SKIPS_DIR_ENV = 'FAULTLINE_TEST_SKIPS_DIR';

/** What a test file needs from outside npm. */
export interface ToolNeed {
  /** What the tests call it, e.g. `influxd`. */
  readonly name: string;
  /** Where it was found, or null when it was not. */
  readonly binary: string | null;
  /** The Debian package that installs it. */
  readonly debianPackage: string;
}

/** Whether the tests needing `need` skip (see the module comment). */
export function requireTool(need: ToolNeed): { readonly skip: boolean } {
  if (need.binary !== null) return { skip: false };
  if (isCi()) return { skip: false };
  process.stderr.write(`[skip] ${need.name} not found: install the Debian package '${need.debianPackage}'\n`);
  const dir = process.env[SKIPS_DIR_ENV];
  if (dir) writeFileSync(join(dir, `${randomUUID()}.json`), JSON.stringify({ name: need.name, debianPackage: need.debianPackage }));
  return { skip: true };
}

/** True when running on CI (`CI` set to anything but `false`/`0`/empty). */
export function isCi(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/** The end-of-run line for the skip notes the workers left, or null when nothing was skipped. */
export function summariseSkips(notes: readonly string[]): string | null {
  const byPackage = new Map<string, Set<string>>();
  for (const note of notes) {
    const { name, debianPackage } = JSON.parse(note) as { name: string; debianPackage: string };
    const names = byPackage.get(debianPackage) ?? new Set<string>();
    names.add(name);
    byPackage.set(debianPackage, names);
  }
  if (byPackage.size === 0) return null;
  const packages = [...byPackage.keys()].sort();
  const what = packages.map((p) => `${[...(byPackage.get(p) ?? [])].join(', ')} (${p})`).join('; ');
  return `[skipped] tests needing ${what} did not run; install with: sudo apt-get install -y ${packages.join(' ')}`;
}
