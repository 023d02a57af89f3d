/**
 * The executor's state: SQLite through better-sqlite3 (WAL). Tables: proxies, policies,
 * applications (plan JSON, source, absolute start/end in epoch ms, status, error, the saved
 * observation) and an append-only event log.
 *
 *   main thread ──reads (busy_timeout of a few ms)──▶ state.db ◀──writes, in order── writer thread
 *        └──────────── write(ops) ─ postMessage ─────────────────────────▲ (busy_timeout, retries)
 *
 * Revert first, record after: writes go to a worker thread that owns the writing connection, so
 * a lock held by another connection or a slow disk never blocks the event loop. A write is
 * retried there; one that still fails is logged, counted (`errorCount`, `/v1/health`
 * `store_errors`) and, when it recorded the end of a fault, appended to `<state>-ended`, a
 * tombstone file that recovery reads so that an ended fault never comes back after a restart.
 * One executor per state file: `<state>.lock` holds the owner's pid.
 */
import Database from 'better-sqlite3';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { faultSources, type ApplicationStatus, type FaultSource } from '../plan/index.js';
import { StateLockedError, StoreError } from './errors.js';

export type { ApplicationStatus, FaultSource };

/** One fault application as stored. Times are epoch ms. */
export interface ApplicationRow {
  readonly id: string;
  /** The wire plan (snake_case JSON). */
  readonly plan: Record<string, unknown>;
  readonly service: string;
  readonly faultType: string;
  readonly source: FaultSource;
  readonly status: ApplicationStatus;
  readonly createdAt: number;
  readonly startAt: number;
  readonly endAt: number;
  readonly endedAt: number | null;
  readonly error: string | null;
  /** The observation saved when it ended (wire form), if any. */
  readonly metrics: Record<string, unknown> | null;
}

/** A proxy as stored (its real address once it listened). */
export interface ProxyRow {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly protocol: 'tcp' | 'http';
  readonly enabled: boolean;
  readonly createdAt: number;
}

/** A standing fault as stored. */
export interface PolicyRow {
  readonly id: string;
  readonly plan: Record<string, unknown>;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
}

/** One line of the event log. */
export interface EventRow {
  readonly id: number;
  readonly time: number;
  readonly kind: string;
  readonly subject: string;
  readonly data: Record<string, unknown>;
}

/** How long ended applications and events are kept. */
export interface Retention {
  /** Age limit of ended applications and of events, in days. */
  readonly days: number;
  /** At most this many ended applications, and this many events. */
  readonly maxRows: number;
}

/** Options of {@link Store}. */
export interface StoreOptions {
  /** The writer's busy_timeout per attempt (default 1000 ms). */
  readonly busyTimeoutMs?: number;
  /** Attempts per write before it counts as failed (default 4, backoff between them). */
  readonly writeAttempts?: number;
  /** Default 7 days, 10,000 rows. */
  readonly retention?: Retention;
  readonly logger?: Logger;
  /** Take `<state>.lock` (default true for a file; the executor's one-daemon-per-file rule). */
  readonly lock?: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS proxies (
  name TEXT PRIMARY KEY, listen TEXT NOT NULL, upstream TEXT NOT NULL, protocol TEXT NOT NULL,
  enabled INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS policies (
  id TEXT PRIMARY KEY, plan TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  expires_at INTEGER);
CREATE TABLE IF NOT EXISTS applications (
  id TEXT PRIMARY KEY, plan TEXT NOT NULL, service TEXT NOT NULL, fault_type TEXT NOT NULL,
  status TEXT NOT NULL, created_at INTEGER NOT NULL, start_at INTEGER NOT NULL, end_at INTEGER NOT NULL,
  ended_at INTEGER, error TEXT, metrics TEXT);
CREATE INDEX IF NOT EXISTS applications_status ON applications(status);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
  data TEXT NOT NULL);
`;

const ENDED = "('completed', 'cancelled', 'failed')";

/**
 * The writer thread: runs each message's statements in one transaction, in arrival order,
 * retrying with backoff. Plain JS (eval) so that it runs the same from src/ (tests) and dist/.
 */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = NORMAL');
db.pragma('journal_size_limit = 8388608');
const pause = new Int32Array(new SharedArrayBuffer(4));
const cache = new Map();
const prep = (sql) => { let s = cache.get(sql); if (!s) { s = db.prepare(sql); cache.set(sql, s); } return s; };
parentPort.on('message', (m) => {
  if (m.type === 'close') { db.close(); parentPort.postMessage({ type: 'closed' }); return; }
  let last;
  for (let i = 1; i <= workerData.attempts; i++) {
    try {
      db.transaction(() => { for (const op of m.ops) prep(op.sql).run(...op.params); })();
      parentPort.postMessage({ type: 'done', id: m.id, ok: true, attempts: i });
      return;
    } catch (err) {
      last = err;
      if (i < workerData.attempts) Atomics.wait(pause, 0, 0, Math.min(1000, 50 * 2 ** i));
    }
  }
  parentPort.postMessage({ type: 'done', id: m.id, ok: false, error: String(last && last.message), code: last && last.code, attempts: workerData.attempts });
});
`;

interface WriteOp {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** A line of the tombstone file: the end of an application the store could not record. */
interface Tombstone {
  readonly id: string;
  readonly status: ApplicationStatus;
  readonly endedAt: number;
  readonly error: string | null;
}

interface Pending {
  readonly what: string;
  readonly tombstone: Tombstone | undefined;
  resolve(): void;
  reject(err: unknown): void;
}

interface RawApp {
  id: string;
  plan: string;
  service: string;
  fault_type: string;
  source: string | null;
  status: ApplicationStatus;
  created_at: number;
  start_at: number;
  end_at: number;
  ended_at: number | null;
  error: string | null;
  metrics: string | null;
}

function parseJson(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  const v: unknown = JSON.parse(text);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
  return v as Record<string, unknown>;
}

function appFromRaw(r: RawApp): ApplicationRow {
  return {
    id: r.id,
    plan: parseJson(r.plan) ?? {},
    service: r.service,
    faultType: r.fault_type,
    source: (faultSources as readonly string[]).includes(r.source ?? '') ? (r.source as FaultSource) : 'v1',
    status: r.status,
    createdAt: r.created_at,
    startAt: r.start_at,
    endAt: r.end_at,
    endedAt: r.ended_at,
    error: r.error,
    metrics: parseJson(r.metrics),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<path>.lock` (O_EXCL); a lock whose pid is gone is stale and taken over. */
function takeLock(path: string): string {
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return lock;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreError(`lock ${lock}`, err);
    }
    let pid = Number.NaN;
    try {
      pid = Number.parseInt(readFileSync(lock, 'utf8').trim(), 10);
    } catch {
      // Vanished between open and read: try again.
    }
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) throw new StateLockedError(path, pid);
    rmSync(lock, { force: true });
  }
  throw new StoreError(`lock ${lock}`, new Error('the lock file keeps coming back'));
}

/**
 * The SQLite state store. `path` may be `:memory:` (writes then run on the main thread: there is
 * no other connection to wait for).
 * @throws StateLockedError when another live executor holds the file; StoreError when it cannot be opened.
 */
export class Store {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #log: Logger | undefined;
  readonly #retention: Retention;
  readonly #tombstones: string | undefined;
  readonly #lock: string | undefined;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #seq = 0;
  #errors = 0;
  #writesSincePrune = 0;
  #lastPrune = 0;
  #closed = false;

  constructor(path: string, options: StoreOptions = {}) {
    this.path = path;
    this.#log = options.logger;
    this.#retention = options.retention ?? { days: 7, maxRows: 10_000 };
    const file = path !== ':memory:';
    if (file) mkdirSync(dirname(path), { recursive: true });
    this.#lock = file && options.lock !== false ? takeLock(path) : undefined;
    try {
      this.#db = new Database(path);
      this.#db.pragma('busy_timeout = 5000');
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.exec(SCHEMA);
      const cols = (this.#db.prepare('PRAGMA table_info(applications)').all() as Array<{ name: string }>).map((c) => c.name);
      if (!cols.includes('source')) this.#db.exec("ALTER TABLE applications ADD COLUMN source TEXT NOT NULL DEFAULT 'v1'");
      // From here the main thread only reads: a few ms at most, never the writer's wait.
      this.#db.pragma('busy_timeout = 5');
    } catch (err) {
      if (this.#lock) rmSync(this.#lock, { force: true });
      throw err instanceof StoreError ? err : new StoreError(`open ${path}`, err);
    }
    if (file) {
      this.#tombstones = `${path}-ended`;
      const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
      this.#worker = new Worker(WRITER, {
        eval: true,
        workerData: { path, sqlite, busyTimeoutMs: options.busyTimeoutMs ?? 1000, attempts: options.writeAttempts ?? 4 },
      });
      this.#worker.unref();
      this.#worker.on('message', (m: { type: string; id: number; ok: boolean; error?: string; code?: string; attempts?: number }) => {
        if (m.type === 'done') this.#settle(m.id, m.ok ? undefined : new StoreError(this.#pending.get(m.id)?.what ?? 'write', Object.assign(new Error(m.error ?? 'failed'), { code: m.code })));
      });
      this.#worker.on('error', (err) => {
        this.#log?.error({ err: err.message }, 'state store writer crashed; writes now fail');
        this.#worker = undefined;
        for (const id of [...this.#pending.keys()]) this.#settle(id, new StoreError('write', err));
      });
    }
  }

  /** Writes that failed after their retries since the start. */
  get errorCount(): number {
    return this.#errors;
  }

  /** Writes not yet committed. */
  get pendingWrites(): number {
    return this.#pending.size;
  }

  /** Resolves once every write queued so far is settled. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#pending.values()].map((p) => new Promise<void>((r) => {
      const { resolve, reject } = p;
      p.resolve = () => {
        resolve();
        r();
      };
      p.reject = (e) => {
        reject(e);
        r();
      };
    })));
  }

  /**
   * Waits up to `timeoutMs` for queued writes, records the ends it could not write in the
   * tombstone file, stops the writer and closes the file. Idempotent.
   */
  async close(timeoutMs = 3000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flush(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    const left = [...this.#pending.values()].flatMap((p) => (p.tombstone ? [p.tombstone] : []));
    if (left.length > 0 && this.#tombstones) appendFileSync(this.#tombstones, left.map((t) => `${JSON.stringify(t)}\n`).join(''));
    for (const id of [...this.#pending.keys()]) this.#settle(id, new StoreError('write', new Error('store closed')), false);
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
    if (this.#db.open) this.#db.close();
    if (this.#lock) rmSync(this.#lock, { force: true });
  }

  // proxies

  listProxies(): ProxyRow[] {
    return this.#read('list proxies', () =>
      (this.#db.prepare('SELECT * FROM proxies ORDER BY created_at, name').all() as Array<Record<string, unknown>>).map((r) => ({
        name: String(r.name),
        listen: String(r.listen),
        upstream: String(r.upstream),
        protocol: r.protocol === 'http' ? 'http' : 'tcp',
        enabled: r.enabled === 1,
        createdAt: Number(r.created_at),
      })),
    );
  }

  upsertProxy(p: ProxyRow): Promise<void> {
    return this.#write('save proxy', [
      {
        sql: `INSERT INTO proxies (name, listen, upstream, protocol, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)
              ON CONFLICT(name) DO UPDATE SET listen = excluded.listen, upstream = excluded.upstream,
                protocol = excluded.protocol, enabled = excluded.enabled`,
        params: [p.name, p.listen, p.upstream, p.protocol, p.enabled ? 1 : 0, p.createdAt],
      },
    ]);
  }

  deleteProxy(name: string): Promise<void> {
    return this.#write('delete proxy', [{ sql: 'DELETE FROM proxies WHERE name = ?', params: [name] }]);
  }

  // policies

  /** Stored policies; a row whose plan is not JSON is logged and skipped. */
  listPolicies(): PolicyRow[] {
    const rows = this.#read('list policies', () => this.#db.prepare('SELECT * FROM policies ORDER BY created_at, id').all() as Array<Record<string, unknown>>);
    const out: PolicyRow[] = [];
    for (const r of rows) {
      try {
        out.push({
          id: String(r.id),
          plan: parseJson(String(r.plan)) ?? {},
          createdAt: Number(r.created_at),
          updatedAt: Number(r.updated_at),
          expiresAt: r.expires_at === null ? null : Number(r.expires_at),
        });
      } catch (err) {
        this.#log?.error({ policy: String(r.id), err: (err as Error).message }, 'stored policy is not valid JSON; dropped');
        void this.deletePolicy(String(r.id));
      }
    }
    return out;
  }

  upsertPolicy(p: PolicyRow): Promise<void> {
    return this.#write('save policy', [
      {
        sql: `INSERT INTO policies (id, plan, created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT(id) DO UPDATE SET plan = excluded.plan, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
        params: [p.id, JSON.stringify(p.plan), p.createdAt, p.updatedAt, p.expiresAt],
      },
    ]);
  }

  deletePolicy(id: string): Promise<void> {
    return this.#write('delete policy', [{ sql: 'DELETE FROM policies WHERE id = ?', params: [id] }]);
  }

  // applications

  insertApplication(a: ApplicationRow): Promise<void> {
    return this.#write('save application', [
      {
        sql: `INSERT INTO applications (id, plan, service, fault_type, source, status, created_at, start_at, end_at, ended_at, error, metrics)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [a.id, JSON.stringify(a.plan), a.service, a.faultType, a.source, a.status, a.createdAt, a.startAt, a.endAt, a.endedAt, a.error, a.metrics === null ? null : JSON.stringify(a.metrics)],
      },
    ]);
  }

  /**
   * Moves an application to `status`; `endedAt`/`error` when it ended. An end that cannot be
   * written is kept in the tombstone file, so that recovery never revives it.
   */
  setApplicationStatus(
    id: string,
    status: ApplicationStatus,
    endedAt: number | null = null,
    error: string | null = null,
    metrics: Record<string, unknown> | null = null,
  ): Promise<void> {
    const ended = status === 'completed' || status === 'cancelled' || status === 'failed';
    const tombstone = ended ? { id, status, endedAt: endedAt ?? Date.now(), error } : undefined;
    return this.#write(
      'update application',
      [
        {
          sql: 'UPDATE applications SET status = ?, ended_at = ?, error = ?, metrics = COALESCE(?, metrics) WHERE id = ?',
          params: [status, endedAt, error, metrics === null ? null : JSON.stringify(metrics), id],
        },
      ],
      tombstone,
    );
  }

  getApplication(id: string): ApplicationRow | undefined {
    const r = this.#read('read application', () => this.#db.prepare('SELECT * FROM applications WHERE id = ?').get(id) as RawApp | undefined);
    if (r === undefined) return undefined;
    try {
      return appFromRaw(r);
    } catch {
      return undefined;
    }
  }

  /**
   * Applications, newest first. A row that cannot be read (invalid JSON) is logged, marked
   * `failed` and skipped.
   */
  listApplications(options: { live?: boolean; limit?: number } = {}): ApplicationRow[] {
    const where = options.live ? "WHERE status IN ('pending', 'running')" : '';
    const raw = this.#read('list applications', () =>
      this.#db.prepare(`SELECT * FROM applications ${where} ORDER BY created_at DESC, id LIMIT ?`).all(options.limit ?? 1000) as RawApp[],
    );
    const out: ApplicationRow[] = [];
    for (const r of raw) {
      try {
        out.push(appFromRaw(r));
      } catch (err) {
        if (r.status === 'failed') continue;
        this.#log?.error({ apply_id: r.id, err: (err as Error).message }, 'stored application is not valid JSON; marked failed and skipped');
        void this.#write('mark bad row', [
          { sql: 'UPDATE applications SET status = ?, ended_at = ?, error = ?, metrics = NULL WHERE id = ?', params: ['failed', Date.now(), 'stored row is not valid JSON', r.id] },
        ]);
      }
    }
    return out;
  }

  /** Count of applications per status. */
  countByStatus(): Record<ApplicationStatus, number> {
    const out: Record<ApplicationStatus, number> = { pending: 0, running: 0, completed: 0, cancelled: 0, failed: 0 };
    const rows = this.#read('count applications', () => this.#db.prepare('SELECT status, COUNT(*) AS n FROM applications GROUP BY status').all() as Array<{ status: ApplicationStatus; n: number }>);
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  /** Ends the tombstone file recorded (writes that failed before): id -> end. */
  readTombstones(): Map<string, Tombstone> {
    const out = new Map<string, Tombstone>();
    if (!this.#tombstones || !existsSync(this.#tombstones)) return out;
    for (const line of readFileSync(this.#tombstones, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const t = JSON.parse(line) as Tombstone;
        if (typeof t.id === 'string') out.set(t.id, t);
      } catch {
        // A torn last line (crash while appending): the others still count.
      }
    }
    return out;
  }

  /** Forgets the tombstone file once its ends are in the database. */
  async clearTombstones(): Promise<void> {
    if (this.#tombstones) rmSync(this.#tombstones, { force: true });
  }

  // events

  addEvent(kind: string, subject: string, data: Record<string, unknown> = {}, time = Date.now()): Promise<void> {
    return this.#write('log event', [{ sql: 'INSERT INTO events (time, kind, subject, data) VALUES (?, ?, ?, ?)', params: [time, kind, subject, JSON.stringify(data)] }]);
  }

  /** The last `limit` events, oldest first. */
  listEvents(limit = 100): EventRow[] {
    const rows = this.#read('list events', () => this.#db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?').all(limit) as Array<Record<string, unknown>>);
    const out: EventRow[] = [];
    for (const r of rows.reverse()) {
      let data: Record<string, unknown>;
      try {
        data = parseJson(String(r.data)) ?? {};
      } catch {
        data = {};
      }
      out.push({ id: Number(r.id), time: Number(r.time), kind: String(r.kind), subject: String(r.subject), data });
    }
    return out;
  }

  /**
   * Events newest first: at most `limit`, and only those at or after `since` (epoch ms) when given.
   * For `GET /v1/events`; the audit trail.
   */
  readEvents(options: { since?: number; limit?: number } = {}): EventRow[] {
    const limit = Math.max(1, Math.min(options.limit ?? 100, 1000));
    const rows = this.#read('read events', () =>
      options.since === undefined
        ? (this.#db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?').all(limit) as Array<Record<string, unknown>>)
        : (this.#db.prepare('SELECT * FROM events WHERE time >= ? ORDER BY id DESC LIMIT ?').all(options.since, limit) as Array<Record<string, unknown>>),
    );
    return rows.map((r) => {
      let data: Record<string, unknown>;
      try {
        data = parseJson(String(r.data)) ?? {};
      } catch {
        data = {};
      }
      return { id: Number(r.id), time: Number(r.time), kind: String(r.kind), subject: String(r.subject), data };
    });
  }

  /** Deletes ended applications and events beyond the retention (age, count). Runs as it goes, too. */
  prune(now = Date.now()): Promise<void> {
    this.#lastPrune = now;
    this.#writesSincePrune = 0;
    const cutoff = now - this.#retention.days * 86_400_000;
    const max = this.#retention.maxRows;
    return this.#write('prune', [
      { sql: `DELETE FROM applications WHERE status IN ${ENDED} AND COALESCE(ended_at, created_at) < ?`, params: [cutoff] },
      {
        sql: `DELETE FROM applications WHERE status IN ${ENDED} AND id NOT IN
                (SELECT id FROM applications WHERE status IN ${ENDED} ORDER BY COALESCE(ended_at, created_at) DESC LIMIT ?)`,
        params: [max],
      },
      { sql: 'DELETE FROM events WHERE time < ?', params: [cutoff] },
      { sql: 'DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?)', params: [max] },
    ]);
  }

  #read<T>(operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw new StoreError(operation, err);
    }
  }

  /** Queues `ops` (one transaction). The promise may be ignored: a failure is logged and counted here. */
  #write(what: string, ops: WriteOp[], tombstone?: Tombstone): Promise<void> {
    const id = ++this.#seq;
    const p = new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { what, tombstone, resolve, reject });
    });
    p.catch(() => undefined);
    if (this.#closed) {
      this.#settle(id, new StoreError(what, new Error('store closed')));
      return p;
    }
    if (this.#worker) {
      this.#worker.postMessage({ type: 'write', id, ops });
    } else if (this.path === ':memory:') {
      try {
        this.#db.transaction(() => {
          for (const op of ops) this.#db.prepare(op.sql).run(...op.params);
        })();
        this.#settle(id, undefined);
      } catch (err) {
        this.#settle(id, new StoreError(what, err));
      }
    } else {
      this.#settle(id, new StoreError(what, new Error('the writer thread is gone')));
    }
    if (what !== 'prune' && ++this.#writesSincePrune >= 500 && Date.now() - this.#lastPrune > 10_000) void this.prune();
    return p;
  }

  #settle(id: number, err: StoreError | undefined, record = true): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    if (err === undefined) {
      p.resolve();
      return;
    }
    if (record) {
      this.#errors++;
      this.#log?.error({ write: p.what, err: err.message }, 'state store write failed after retries');
      if (p.tombstone && this.#tombstones) {
        appendFile(this.#tombstones, `${JSON.stringify(p.tombstone)}\n`).catch((e: unknown) =>
          this.#log?.error({ err: String(e) }, 'could not record a fault end in the tombstone file'),
        );
      }
    }
    p.reject(err);
  }
}
