/**
 * Vitest global setup: runs once in the main process before any test file.
 *
 * 1. Builds `dist/` (`npm run build`: tsc, then the payment example's bundles) when a source is
 *    newer than the last build, so that tests run the shipped CLI (`dist/cli/main.js`, see
 *    `test/helpers/cli.ts`) and the shipped example.
 *    `FAULTLINE_TEST_BUILD=always` forces the build, `=never` skips it.
 * 2. Gives the workers a folder where a test that skips for a missing tool leaves a note
 *    (`test/helpers/tools.ts`); the teardown prints them as one line with the install command.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIPS_DIR_ENV, summariseSkips } from '../helpers/tools.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const stampPath = join(root, 'dist', '.build-stamp');

/** The newest modification time (ms) of the files the build reads. */
function newestInput(): number {
  let newest = 0;
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  visit(join(root, 'src'));
  for (const dir of ['examples/payment-service/src', 'examples/payment-service/scripts']) if (existsSync(join(root, dir))) visit(join(root, dir));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

function buildIfStale(): void {
  const mode = process.env['FAULTLINE_TEST_BUILD'] ?? 'auto';
  if (mode === 'never') return;
  const built = existsSync(stampPath) && existsSync(join(root, 'dist/cli/main.js')) ? statSync(stampPath).mtimeMs : 0;
  if (mode !== 'always' && built >= newestInput()) return;
  const started = Date.now();
  // The package's own build script, so the tests see what `npm pack` ships.
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`building dist/ for the tests failed (npm run build):\n${result.stdout}${result.stderr}`);
  }
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(stampPath, `${new Date().toISOString()}\n`);
  process.stderr.write(`[setup] built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

export default function setup(): () => void {
  buildIfStale();
  const skipsDir = mkdtempSync(join(tmpdir(), 'faultline-skips-'));
  process.env[SKIPS_DIR_ENV] = skipsDir;
  return () => {
    const notes = readdirSync(skipsDir).map((f) => readFileSync(join(skipsDir, f), 'utf8'));
    rmSync(skipsDir, { recursive: true, force: true });
    const line = summariseSkips(notes);
    if (line !== null) process.stdout.write(`\n${line}\n`);
  };
}
