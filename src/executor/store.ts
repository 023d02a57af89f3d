/**
 * The executor's state: SQLite through better-sqlite3 (WAL, busy_timeout, retry on SQLITE_BUSY).
 * Tables: proxies, policies, applications (plan JSON, absolute start/end in epoch ms, status,
 * error) and an append-only event log. Writes are synchronous and small; the file survives a
 * SIGKILL of the executor, which is what makes "no fault outlives its plan" hold across crashes.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from './errors.js';

export type ApplicationStatus = 'pending' | 'running' | 'completed' | 'cancelled' | 'failed';

/** One fault application as stored. Times are epoch ms. */
export interface ApplicationRow {
  readonly id: string;
  /** The wire plan (snake_case JSON). */
  readonly plan: Record<string, unknown>;
  readonly service: string;
  readonly faultType: string;
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

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));

/** Runs `fn`, retrying on SQLITE_BUSY/LOCKED with a short backoff (busy_timeout handles most waits). */
function withRetry<T>(operation: string, fn: () => T, attempts = 5): T {
  for (let i = 1; ; i++) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const busy = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
      if (!busy || i >= attempts) throw new StoreError(operation, err);
      Atomics.wait(sleepBuf, 0, 0, 10 * 2 ** i);
    }
  }
}

interface RawApp {
  id: string;
  plan: string;
  service: string;
  fault_type: string;
  status: ApplicationStatus;
  created_at: number;
  start_at: number;
  end_at: number;
  ended_at: number | null;
  error: string | null;
  metrics: string | null;
}

function appFromRaw(r: RawApp): ApplicationRow {
  return {
    id: r.id,
    plan: JSON.parse(r.plan) as Record<string, unknown>,
    service: r.service,
    faultType: r.fault_type,
    status: r.status,
    createdAt: r.created_at,
    startAt: r.start_at,
    endAt: r.end_at,
    endedAt: r.ended_at,
    error: r.error,
    metrics: r.metrics === null ? null : (JSON.parse(r.metrics) as Record<string, unknown>),
  };
}

/**
 * The SQLite state store. `path` may be `:memory:`.
 * @throws StoreError when the file cannot be opened.
 */
export class Store {
  readonly path: string;
  readonly #db: Database.Database;

  constructor(path: string, options: { busyTimeoutMs?: number } = {}) {
    this.path = path;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      this.#db.pragma('synchronous = NORMAL');
      this.#db.exec(SCHEMA);
    } catch (err) {
      throw err instanceof StoreError ? err : new StoreError(`open ${path}`, err);
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  // proxies

  listProxies(): ProxyRow[] {
    return withRetry('list proxies', () =>
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

  upsertProxy(p: ProxyRow): void {
    withRetry('save proxy', () =>
      this.#db
        .prepare(
          `INSERT INTO proxies (name, listen, upstream, protocol, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET listen = excluded.listen, upstream = excluded.upstream,
             protocol = excluded.protocol, enabled = excluded.enabled`,
        )
        .run(p.name, p.listen, p.upstream, p.protocol, p.enabled ? 1 : 0, p.createdAt),
    );
  }

  deleteProxy(name: string): void {
    withRetry('delete proxy', () => this.#db.prepare('DELETE FROM proxies WHERE name = ?').run(name));
  }

  // policies

  listPolicies(): PolicyRow[] {
    return withRetry('list policies', () =>
      (this.#db.prepare('SELECT * FROM policies ORDER BY created_at, id').all() as Array<Record<string, unknown>>).map((r) => ({
        id: String(r.id),
        plan: JSON.parse(String(r.plan)) as Record<string, unknown>,
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
        expiresAt: r.expires_at === null ? null : Number(r.expires_at),
      })),
    );
  }

  upsertPolicy(p: PolicyRow): void {
    withRetry('save policy', () =>
      this.#db
        .prepare(
          `INSERT INTO policies (id, plan, created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET plan = excluded.plan, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
        )
        .run(p.id, JSON.stringify(p.plan), p.createdAt, p.updatedAt, p.expiresAt),
    );
  }

  deletePolicy(id: string): void {
    withRetry('delete policy', () => this.#db.prepare('DELETE FROM policies WHERE id = ?').run(id));
  }

  // applications

  insertApplication(a: ApplicationRow): void {
    withRetry('save application', () =>
      this.#db
        .prepare(
          `INSERT INTO applications (id, plan, service, fault_type, status, created_at, start_at, end_at, ended_at, error, metrics)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(a.id, JSON.stringify(a.plan), a.service, a.faultType, a.status, a.createdAt, a.startAt, a.endAt, a.endedAt, a.error, a.metrics === null ? null : JSON.stringify(a.metrics)),
    );
  }

  /** Moves an application to `status`; `endedAt`/`error` when it ended. */
  setApplicationStatus(
    id: string,
    status: ApplicationStatus,
    endedAt: number | null = null,
    error: string | null = null,
    metrics: Record<string, unknown> | null = null,
  ): void {
    withRetry('update application', () =>
      this.#db
        .prepare('UPDATE applications SET status = ?, ended_at = ?, error = ?, metrics = COALESCE(?, metrics) WHERE id = ?')
        .run(status, endedAt, error, metrics === null ? null : JSON.stringify(metrics), id),
    );
  }

  getApplication(id: string): ApplicationRow | undefined {
    const r = withRetry('read application', () => this.#db.prepare('SELECT * FROM applications WHERE id = ?').get(id) as RawApp | undefined);
    return r === undefined ? undefined : appFromRaw(r);
  }

  /** Applications, newest first. */
  listApplications(options: { live?: boolean; limit?: number } = {}): ApplicationRow[] {
    const where = options.live ? "WHERE status IN ('pending', 'running')" : '';
    return withRetry('list applications', () =>
      (this.#db.prepare(`SELECT * FROM applications ${where} ORDER BY created_at DESC, id LIMIT ?`).all(options.limit ?? 1000) as RawApp[]).map(
        appFromRaw,
      ),
    );
  }

  /** Count of applications per status. */
  countByStatus(): Record<ApplicationStatus, number> {
    const out: Record<ApplicationStatus, number> = { pending: 0, running: 0, completed: 0, cancelled: 0, failed: 0 };
    const rows = withRetry('count applications', () => this.#db.prepare('SELECT status, COUNT(*) AS n FROM applications GROUP BY status').all() as Array<{ status: ApplicationStatus; n: number }>);
    for (const r of rows) out[r.status] = r.n;
    return out;
  }

  // events

  addEvent(kind: string, subject: string, data: Record<string, unknown> = {}, time = Date.now()): void {
    withRetry('log event', () => this.#db.prepare('INSERT INTO events (time, kind, subject, data) VALUES (?, ?, ?, ?)').run(time, kind, subject, JSON.stringify(data)));
  }

  /** The last `limit` events, oldest first. */
  listEvents(limit = 100): EventRow[] {
    const rows = withRetry('list events', () => this.#db.prepare('SELECT * FROM events ORDER BY id DESC LIMIT ?').all(limit) as Array<Record<string, unknown>>);
    return rows.reverse().map((r) => ({
      id: Number(r.id),
      time: Number(r.time),
      kind: String(r.kind),
      subject: String(r.subject),
      data: JSON.parse(String(r.data)) as Record<string, unknown>,
    }));
  }
}
