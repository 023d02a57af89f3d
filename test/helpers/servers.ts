/**
 * Real external servers for integration tests: a Prometheus Pushgateway and an InfluxDB 1.x from
 * the Debian packages, each started on free loopback ports in its own temp dir, restartable on the
 * same port (to simulate a sink that goes away and comes back), and removed on `dispose()`.
 *
 * When a binary is missing, `binaryGate()` says whether to skip (locally, with a message) or to
 * run and fail (when `CI` is set: a missing server must not turn into a silently skipped test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePort } from './ports.js';
import { requireTool } from './tools.js';

/** The Pushgateway binary (`FAULTLINE_PUSHGATEWAY_BIN` overrides the search), or null. */
export const PUSHGATEWAY_BIN = findBinary(candidates('FAULTLINE_PUSHGATEWAY_BIN', ['/usr/bin/prometheus-pushgateway', '/usr/local/bin/pushgateway', '/usr/bin/pushgateway']));
/** The InfluxDB 1.x binary (`FAULTLINE_INFLUXD_BIN` overrides the search), or null. */
export const INFLUXD_BIN = findBinary(candidates('FAULTLINE_INFLUXD_BIN', ['/usr/bin/influxd', '/usr/local/bin/influxd']));

function candidates(variable: string, defaults: readonly string[]): readonly string[] {
  const override = process.env[variable];
  return override ? [override] : defaults;
}

/** The first candidate that is an executable file, or null. */
export function findBinary(candidates: readonly string[]): string | null {
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  return null;
}

/**
 * Whether the tests needing `binary` should be skipped: never under CI (a missing binary must
 * fail there, when the server is started); locally, skip with one line naming the Debian package
 * (and the end-of-run summary lists it, see `tools.ts`).
 */
export function binaryGate(name: string, binary: string | null, debianPackage: string): { skip: boolean } {
  return requireTool({ name, binary, debianPackage });
}

/** A real server process the test controls. */
export interface ExternalServer {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The temp dir holding its data, config and log. */
  readonly dir: string;
  readonly running: boolean;
  /** Starts it (again) on the same ports and waits until it answers. */
  start(): Promise<void>;
  /** SIGTERM, SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
  /** Stops it and removes its temp dir. */
  dispose(): Promise<void>;
  /** What it wrote to stdout/stderr (for failure messages). */
  output(): string;
}

interface ServerSpec {
  readonly name: string;
  readonly binary: string | null;
  readonly args: readonly string[];
  readonly port: number;
  readonly dir: string;
  /** Resolves true once the server answers. */
  readonly ready: (url: string) => Promise<boolean>;
  readonly readyTimeoutMs?: number;
}

async function answers(url: string, ok: (status: number) => boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return ok(res.status);
  } catch {
    return false;
  }
}

function manage(spec: ServerSpec): ExternalServer {
  const url = `http://127.0.0.1:${spec.port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  async function start(): Promise<void> {
    if (spec.binary === null) throw new Error(`${spec.name}: binary not found; install its Debian package`);
    if (child !== null) return;
    const proc = spawn(spec.binary, spec.args, { cwd: spec.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const append = (chunk: Buffer): void => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', append);
    proc.stderr?.on('data', append);
    let hasExited = false;
    exited = new Promise((resolve) => {
      proc.once('exit', () => {
        hasExited = true;
        if (child === proc) child = null;
        resolve();
      });
      proc.once('error', (error) => {
        log += `\nspawn error: ${error.message}`;
        hasExited = true;
        if (child === proc) child = null;
        resolve();
      });
    });
    const deadline = Date.now() + (spec.readyTimeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      if (hasExited) throw new Error(`${spec.name} exited before it was ready:\n${log}`);
      if (await spec.ready(url)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await stop();
    throw new Error(`${spec.name} was not ready on ${url} within ${spec.readyTimeoutMs ?? 15_000} ms:\n${log}`);
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (proc === null) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }

  return {
    name: spec.name,
    port: spec.port,
    url,
    dir: spec.dir,
    get running() {
      return child !== null;
    },
    start,
    stop,
    async dispose() {
      await stop();
      await rm(spec.dir, { recursive: true, force: true });
    },
    output: () => log,
  };
}

/** Starts a Prometheus Pushgateway on a free loopback port (persistence in its temp dir). */
export async function startPushgateway(): Promise<ExternalServer> {
  const dir = await mkdtemp(join(tmpdir(), 'faultline-pushgateway-'));
  const port = await reservePort();
  const server = manage({
    name: 'prometheus-pushgateway',
    binary: PUSHGATEWAY_BIN,
    port,
    dir,
    args: [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, 'pushgateway.data')}`, '--log.level=warn'],
    ready: (url) => answers(`${url}/-/ready`, (s) => s === 200),
  });
  try {
    await server.start();
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return server;
}

/** An InfluxDB 1.x server with a query helper. */
export interface InfluxServer extends ExternalServer {
  /** `GET /query?db=<db>&q=<q>`; returns the parsed JSON (throws on an HTTP or statement error). */
  query(q: string, db?: string): Promise<InfluxQueryResult>;
  /** `POST /query?q=CREATE DATABASE "<db>"`. */
  createDatabase(db: string): Promise<void>;
}

export interface InfluxQueryResult {
  results: { statement_id: number; error?: string; series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
}

/** Starts InfluxDB 1.x on free loopback ports (HTTP and the RPC bind address), data in a temp dir; creates `databases`. */
export async function startInfluxDb(options: { databases?: readonly string[] } = {}): Promise<InfluxServer> {
  const dir = await mkdtemp(join(tmpdir(), 'faultline-influxdb-'));
  const port = await reservePort();
  const rpcPort = await reservePort();
  const config = [
    'reporting-enabled = false',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${join(dir, 'meta')}"`,
    '[data]',
    `  dir = "${join(dir, 'data')}"`,
    `  wal-dir = "${join(dir, 'wal')}"`,
    '  query-log-enabled = false',
    '[http]',
    `  bind-address = "127.0.0.1:${port}"`,
    '  log-enabled = false',
    '[monitor]',
    '  store-enabled = false',
    '[continuous_queries]',
    '  enabled = false',
    '[logging]',
    '  level = "warn"',
    '',
  ].join('\n');
  const configPath = join(dir, 'influxdb.conf');
  await writeFile(configPath, config);
  const base = manage({
    name: 'influxd',
    binary: INFLUXD_BIN,
    port,
    dir,
    args: ['-config', configPath],
    ready: (url) => answers(`${url}/ping`, (s) => s === 204),
  });
  async function call(method: 'GET' | 'POST', q: string, db?: string): Promise<InfluxQueryResult> {
    const params = new URLSearchParams({ q });
    if (db !== undefined) params.set('db', db);
    const res = await fetch(`${base.url}/query?${params.toString()}`, { method, signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`influx ${method} /query ${q}: ${res.status} ${text}`);
    const body = JSON.parse(text) as InfluxQueryResult & { error?: string };
    const error = body.error ?? body.results.find((r) => r.error !== undefined)?.error;
    if (error !== undefined) throw new Error(`influx query ${q}: ${error}`);
    return body;
  }
  const server: InfluxServer = {
    name: base.name,
    port,
    url: base.url,
    dir,
    get running() {
      return base.running;
    },
    start: base.start,
    stop: base.stop,
    dispose: base.dispose,
    output: base.output,
    query: (q: string, db?: string) => call('GET', q, db),
    createDatabase: async (db: string) => {
      await call('POST', `CREATE DATABASE "${db}"`);
    },
  };
  try {
    await base.start();
    for (const db of options.databases ?? []) await server.createDatabase(db);
  } catch (error) {
    await base.dispose();
    throw error;
  }
  return server;
}
