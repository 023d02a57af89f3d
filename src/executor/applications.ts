/**
 * The fault lifecycle: every fault, whatever its door (API v1, policies, the Toxiproxy-compatible
 * API, process routes, drills, the CLI), is an application with an id, a source, an absolute
 * start and a bounded end, and a status. This class is the one scheduler that ends them.
 *
 *   open ──▶ pending ──(start_at)──▶ running ──(end_at)──▶ completed
 *              │                       │
 *              └─ cancel / halt / stop ┴──▶ cancelled        install error ──▶ failed
 *
 * Revert first, record after: ending a fault reverts it in memory at once; the store is told
 * afterwards (its writes run off the main thread) and is never awaited by a cancel, an end or a
 * halt. Opening is all or nothing: a fault whose application cannot be recorded is reverted and
 * the caller gets a StoreError (503). Every application is capped by the executor's maximum
 * duration. After a restart, `recover()` closes the ones that ended while the executor was down
 * (or whose end only the tombstone file knows) and re-arms the rest for the time left.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ValidationError, defaultRegistry, faultTimeIssues, safeParsePlan, toWirePlan, type FaultPlan, type MetricsWire, type StatusWire } from '../plan/index.js';
import type { Observation } from '../proxy/index.js';
import type { Supervisor } from '../supervisor/index.js';
import { NotFoundError, StoreError } from './errors.js';
import { install, resolveTarget, type Installed } from './install.js';
import type { ProxyManager } from './proxies.js';
import type { ApplicationRow, ApplicationStatus, FaultSource, Store } from './store.js';

/** `GET /v1/faults/:apply_id/status` (wire form; the schema is the plan module's). */
export type StatusView = StatusWire;

/** `GET /v1/faults/:apply_id/metrics` (wire form). */
export type MetricsView = MetricsWire;

/** Why an application ended. */
export type EndCause = 'end' | 'cancel' | 'halt' | 'stop' | 'removed' | 'failed';

/** Options of {@link Applications.open}. */
export interface OpenOptions {
  readonly source: FaultSource;
  /** The toxic name / rule id on the proxy; default the apply id. */
  readonly effectId?: string;
  /** An absolute end (policies: their expiry); default start + the plan's duration. Capped by the maximum. */
  readonly endAt?: number;
  /** Told once when the application ends (after the revert), with the cause. */
  readonly onEnd?: (cause: EndCause) => void;
}

interface Live {
  row: ApplicationRow;
  readonly plan: FaultPlan;
  readonly effectId: string;
  readonly onEnd: ((cause: EndCause) => void) | undefined;
  startTimer?: NodeJS.Timeout | undefined;
  endTimer?: NodeJS.Timeout | undefined;
  installed?: Installed | undefined;
}

/** Ended applications whose end is not yet confirmed by the store, at most this many. */
const RECENT_MAX = 1000;

/** Options of {@link Applications}. */
export interface ApplicationsOptions {
  readonly store: Store;
  readonly proxies: ProxyManager;
  readonly supervisor: () => Supervisor | undefined;
  /** Cap of every application, ms. */
  readonly maxDurationMs: number;
  readonly logger?: Logger;
}

/** Opens, tracks, ends and recovers fault applications: the one lifecycle. */
export class Applications {
  readonly #o: ApplicationsOptions;
  readonly #live = new Map<string, Live>();
  /** Ended, end not yet written: reads see these over the store's rows. */
  readonly #recent = new Map<string, { row: ApplicationRow; effectId: string }>();

  constructor(options: ApplicationsOptions) {
    this.#o = options;
    options.proxies.onRemove((name) => {
      for (const live of [...this.#live.values()]) {
        if (live.plan.service === name) this.#background(this.#finish(live, 'cancelled', `proxy '${name}' was removed`, 'removed'));
      }
    });
  }

  /** The cap of every application, ms. */
  get maxDurationMs(): number {
    return this.#o.maxDurationMs;
  }

  /** How many applications are in effect now. */
  activeCount(): number {
    let n = 0;
    for (const l of this.#live.values()) if (l.row.status === 'running') n++;
    return n;
  }

  /**
   * Validates a wire plan whole and opens it (API v1, drills, the CLI).
   * @throws ValidationError (400) with each bad field; NotFoundError (404) for an unknown service;
   *   FaultMismatchError (400); the target's error when installing fails (the application is then `failed`);
   *   StoreError (503) when it cannot be recorded (nothing stays installed).
   */
  async apply(body: unknown, source: FaultSource = 'v1'): Promise<{ applyId: string; status: 'applied' | 'scheduled'; view: StatusView }> {
    const parsed = safeParsePlan(body);
    if (!parsed.ok) throw new ValidationError('fault plan', parsed.issues);
    return this.open(parsed.plan, { source });
  }

  /**
   * Opens an application for a validated plan: installs it now (or at its start delay), arms its
   * end, records it. All or nothing.
   * @throws as {@link apply}.
   */
  async open(plan: FaultPlan, options: OpenOptions): Promise<{ applyId: string; status: 'applied' | 'scheduled'; view: StatusView }> {
    const tooLong = faultTimeIssues(plan, this.#o.maxDurationMs);
    if (tooLong.length > 0) throw new ValidationError('fault plan', tooLong);
    const target = resolveTarget(plan, this.#o.proxies, this.#o.supervisor());
    const now = Date.now();
    const startAt = now + plan.startDelayMs;
    const asked = options.endAt ?? startAt + Math.round(plan.durationSeconds * 1000);
    const endAt = Math.min(asked, startAt + this.#o.maxDurationMs);
    const id = randomUUID();
    const row: ApplicationRow = {
      id,
      plan: toWirePlan(plan) as unknown as Record<string, unknown>,
      service: plan.service,
      faultType: plan.faultType,
      source: options.source,
      status: plan.startDelayMs > 0 ? 'pending' : 'running',
      createdAt: now,
      startAt,
      endAt,
      endedAt: null,
      error: null,
      metrics: null,
    };
    if (endAt < asked) this.#o.logger?.warn({ apply_id: id, asked_ms: asked - startAt, cap_ms: this.#o.maxDurationMs }, 'duration capped at the maximum');
    const live: Live = { row, plan, effectId: options.effectId ?? id, onEnd: options.onEnd };
    const store = this.#o.store;

    if (plan.startDelayMs > 0) {
      this.#live.set(id, live);
      this.#armStart(live);
      await this.#record(live);
      void store.addEvent('fault_scheduled', id, { service: row.service, fault_type: row.faultType, source: row.source, start_at: startAt, end_at: endAt });
      return { applyId: id, status: 'scheduled', view: statusView(row) };
    }
    // Live before installing, so that a halt or cancel arriving meanwhile ends it too.
    this.#live.set(id, live);
    let installed: Installed;
    try {
      installed = await install(target, live.effectId, plan, { proxies: this.#o.proxies, supervisor: this.#o.supervisor() });
    } catch (err) {
      this.#live.delete(id);
      void store.insertApplication({ ...row, status: 'failed', endedAt: Date.now(), error: errMsg(err) });
      void store.addEvent('fault_failed', id, { error: errMsg(err), source: row.source });
      throw err;
    }
    if (!this.#live.has(id)) {
      // Ended (halt, cancel) while installing: revert now; the row records how it ended.
      await installed.revert().catch((err: unknown) => this.#o.logger?.error({ apply_id: id, err: errMsg(err) }, 'reverting the fault failed'));
      await store.insertApplication(live.row);
      return { applyId: id, status: 'applied', view: statusView(live.row) };
    }
    live.installed = installed;
    if (installed.oneShot) {
      await this.#record(live);
      await this.#finish(live, 'completed', null, 'end');
    } else {
      this.#armEnd(live);
      await this.#record(live);
    }
    void store.addEvent('fault_applied', id, { service: row.service, fault_type: row.faultType, source: row.source, end_at: endAt });
    this.#o.logger?.info({ apply_id: id, source: row.source, service: row.service, fault_type: row.faultType, end_at: new Date(endAt).toISOString() }, 'fault applied');
    return { applyId: id, status: 'applied', view: statusView(live.row) };
  }

  /** @throws NotFoundError (404) */
  status(id: string): StatusView {
    return statusView(this.#row(id));
  }

  /** Newest first: the store's rows, with what memory knows better (live and just-ended ones) over them. */
  list(options: { live?: boolean; source?: FaultSource } = {}): StatusView[] {
    let stored: ApplicationRow[] = [];
    try {
      stored = this.#o.store.listApplications(options.live ? { live: true } : {});
    } catch (err) {
      this.#o.logger?.warn({ err: errMsg(err) }, 'state store not readable now; listing what memory holds');
    }
    const byId = new Map<string, ApplicationRow>();
    for (const r of stored) byId.set(r.id, this.#known(r.id) ?? r);
    for (const l of this.#live.values()) byId.set(l.row.id, l.row);
    for (const r of this.#recent.values()) if (byId.has(r.row.id) || !options.live) byId.set(r.row.id, r.row);
    let rows = [...byId.values()];
    if (options.live) rows = rows.filter((r) => r.status === 'pending' || r.status === 'running');
    if (options.source) rows = rows.filter((r) => r.source === options.source);
    rows.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
    return rows.map(statusView);
  }

  /** Live applications (pending or running) matching `pred`. */
  liveWhere(pred: (a: { row: ApplicationRow; effectId: string }) => boolean): Array<{ row: ApplicationRow; effectId: string }> {
    return [...this.#live.values()].filter((l) => pred(l)).map((l) => ({ row: l.row, effectId: l.effectId }));
  }

  /** What the target saw while the fault was installed (zeros for process faults). @throws NotFoundError */
  metrics(id: string): MetricsView {
    const live = this.#live.get(id);
    if (live) {
      const obs = this.#o.proxies.get(live.row.service)?.observe(live.effectId);
      return obs ? metricsView(id, obs) : emptyMetrics(id);
    }
    const row = this.#row(id);
    if (row.metrics) return { ...(row.metrics as unknown as MetricsView), apply_id: id };
    return emptyMetrics(id);
  }

  /** Cancels an application and reverts it at once; an ended one is left as it is. @throws NotFoundError */
  async cancel(id: string, reason: string | null = null, cause: EndCause = 'cancel'): Promise<StatusView> {
    const live = this.#live.get(id);
    if (!live) return statusView(this.#row(id));
    await this.#finish(live, 'cancelled', reason, cause);
    return statusView(live.row);
  }

  /** Cancels every live application matching `pred` (all of them without one). Returns how many. */
  async cancelAll(reason: string | null, cause: EndCause = 'halt', pred?: (row: ApplicationRow, effectId: string) => boolean): Promise<number> {
    const all = [...this.#live.values()].filter((l) => pred === undefined || pred(l.row, l.effectId));
    await Promise.all(all.map((l) => this.#finish(l, 'cancelled', reason, cause)));
    return all.length;
  }

  /**
   * After a restart: ends what expired while the executor was down (completed, not re-applied),
   * what the tombstone file says ended, and Toxiproxy-API toxics (they never outlive the server,
   * as in Toxiproxy); re-arms the rest for their remaining time.
   */
  async recover(): Promise<{ expired: number; rearmed: number; failed: number }> {
    const store = this.#o.store;
    const now = Date.now();
    const tombstones = store.readTombstones();
    const writes: Array<Promise<void>> = [];
    let expired = 0;
    let rearmed = 0;
    let failed = 0;
    for (const row of store.listApplications({ live: true, limit: 100_000 })) {
      if (this.#live.has(row.id)) continue;
      const dead = tombstones.get(row.id);
      if (dead) {
        writes.push(this.#closeStored(row, dead.status, dead.endedAt, dead.error));
        expired++;
        continue;
      }
      if (row.endAt <= now) {
        writes.push(this.#closeStored(row, 'completed', row.endAt, null));
        void store.addEvent('fault_expired_while_down', row.id, { end_at: row.endAt });
        expired++;
        continue;
      }
      if (row.source === 'policy' || row.source === 'toxiproxy') {
        // A policy re-opens its own application; a Toxiproxy toxic ends with its server.
        writes.push(this.#closeStored(row, 'cancelled', now, 'executor restarted'));
        expired++;
        continue;
      }
      const parsed = safeParsePlan(row.plan);
      if (!parsed.ok) {
        writes.push(this.#closeStored(row, 'failed', now, 'stored plan no longer valid'));
        failed++;
        continue;
      }
      if (row.startAt <= now && defaultRegistry.get(parsed.plan.faultType).oneShot === true) {
        // A one-shot fault that was started before the crash has acted (or died with the
        // executor): never repeat a kill.
        writes.push(this.#closeStored(row, 'completed', now, null));
        expired++;
        continue;
      }
      const live: Live = { row, plan: parsed.plan, effectId: row.id, onEnd: undefined };
      this.#live.set(row.id, live);
      if (row.startAt > now) {
        this.#armStart(live);
        rearmed++;
        continue;
      }
      await this.#start(live);
      if (live.row.status === 'failed') failed++;
      else rearmed++;
    }
    if (tombstones.size > 0) {
      // Once the database holds those ends, the tombstones have done their job.
      void Promise.all(writes).then(
        () => store.clearTombstones(),
        () => undefined,
      );
    }
    if (expired + rearmed + failed > 0) this.#o.logger?.info({ expired, rearmed, failed }, 'applications recovered from the state store');
    return { expired, rearmed, failed };
  }

  /** Ends a stored application that is not live; reads see the end before the store has it. */
  #closeStored(row: ApplicationRow, status: ApplicationStatus, endedAt: number, error: string | null): Promise<void> {
    const entry = { row: { ...row, status, endedAt, error }, effectId: row.id };
    this.#recent.set(row.id, entry);
    const written = this.#o.store.setApplicationStatus(row.id, status, endedAt, error);
    written.then(
      () => {
        if (this.#recent.get(row.id) === entry) this.#recent.delete(row.id);
      },
      () => undefined,
    );
    return written;
  }

  #known(id: string): ApplicationRow | undefined {
    return this.#live.get(id)?.row ?? this.#recent.get(id)?.row;
  }

  #row(id: string): ApplicationRow {
    const known = this.#known(id);
    if (known) return known;
    const row = this.#o.store.getApplication(id);
    if (!row) throw new NotFoundError('application', id);
    return row;
  }

  /** Records a new application; when it cannot be, the fault is reverted and nothing is left. */
  async #record(live: Live): Promise<void> {
    try {
      await this.#o.store.insertApplication(live.row);
    } catch (err) {
      this.#o.logger?.error({ apply_id: live.row.id, err: errMsg(err) }, 'fault could not be recorded; reverted');
      await this.#finish(live, 'failed', 'could not be recorded', 'failed', false);
      this.#recent.delete(live.row.id);
      throw err instanceof StoreError ? err : new StoreError('save application', err);
    }
  }

  /** Work started by a timer or an event: a failure is logged, never an unhandled rejection. */
  #background(work: Promise<void>): void {
    work.catch((err: unknown) => this.#o.logger?.error({ err: errMsg(err) }, 'background fault work failed'));
  }

  #armStart(live: Live): void {
    live.startTimer = setTimeout(() => this.#background(this.#start(live)), Math.max(0, live.row.startAt - Date.now()));
    live.startTimer.unref();
  }

  #armEnd(live: Live): void {
    live.endTimer = setTimeout(() => this.#background(this.#finish(live, 'completed', null, 'end')), Math.max(0, live.row.endAt - Date.now()));
    live.endTimer.unref();
  }

  async #start(live: Live): Promise<void> {
    live.startTimer = undefined;
    let installed: Installed;
    try {
      const target = resolveTarget(live.plan, this.#o.proxies, this.#o.supervisor());
      installed = await install(target, live.effectId, live.plan, { proxies: this.#o.proxies, supervisor: this.#o.supervisor() });
    } catch (err) {
      this.#o.logger?.warn({ apply_id: live.row.id, err: errMsg(err) }, 'fault could not be installed');
      await this.#finish(live, 'failed', errMsg(err), 'failed');
      return;
    }
    if (!this.#live.has(live.row.id)) {
      // Ended while installing.
      await installed.revert().catch(() => undefined);
      return;
    }
    live.installed = installed;
    live.row = { ...live.row, status: 'running' };
    void this.#o.store.setApplicationStatus(live.row.id, 'running');
    void this.#o.store.addEvent('fault_started', live.row.id, { end_at: live.row.endAt });
    if (installed.oneShot) await this.#finish(live, 'completed', null, 'end');
    else this.#armEnd(live);
  }

  async #finish(live: Live, status: 'completed' | 'cancelled' | 'failed', error: string | null, cause: EndCause, record = true): Promise<void> {
    const id = live.row.id;
    if (!this.#live.has(id)) return;
    this.#live.delete(id);
    if (live.startTimer) clearTimeout(live.startTimer);
    if (live.endTimer) clearTimeout(live.endTimer);
    const installed = live.installed;
    live.installed = undefined;
    if (installed) {
      try {
        await installed.revert();
      } catch (err) {
        this.#o.logger?.error({ apply_id: id, err: errMsg(err) }, 'reverting the fault failed');
      }
    }
    // The observation moves to the store with the end; the proxy forgets it.
    const proxy = this.#o.proxies.get(live.row.service);
    const obs = proxy?.observe(live.effectId);
    proxy?.forget(live.effectId);
    const metrics = obs ? (metricsView(id, obs) as unknown as Record<string, unknown>) : null;
    const endedAt = Date.now();
    live.row = { ...live.row, status, endedAt, error, metrics };
    this.#o.logger?.info({ apply_id: id, source: live.row.source, status, ...(error === null ? {} : { reason: error }) }, 'fault ended');
    try {
      live.onEnd?.(cause);
    } catch (err) {
      this.#o.logger?.error({ apply_id: id, err: errMsg(err) }, 'end listener failed');
    }
    if (!record) return;
    const entry = { row: live.row, effectId: live.effectId };
    this.#recent.set(id, entry);
    if (this.#recent.size > RECENT_MAX) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
    const store = this.#o.store;
    void store.setApplicationStatus(id, status, endedAt, error, metrics).then(
      () => {
        if (this.#recent.get(id) === entry) this.#recent.delete(id);
      },
      () => undefined,
    );
    void store.addEvent(`fault_${status}`, id, error === null ? {} : { error });
  }
}

function statusView(row: ApplicationRow): StatusView {
  const end = row.endedAt ?? row.endAt;
  return {
    apply_id: row.id,
    service: row.service,
    fault_type: row.faultType,
    source: row.source,
    status: row.status,
    start_time: new Date(row.startAt).toISOString(),
    end_time: new Date(end).toISOString(),
    error_msg: row.error,
  };
}

function metricsView(id: string, o: Observation): MetricsView {
  return {
    apply_id: id,
    requests: o.requests,
    faulted: o.faulted,
    status_codes: { ...o.statusCodes },
    latency_ms: { avg: o.latencyMs.avg, p50: o.latencyMs.p50, p95: o.latencyMs.p95, p99: o.latencyMs.p99, max: o.latencyMs.max },
    error_rate: o.errorRate,
    logs: [...o.logs],
  };
}

function emptyMetrics(id: string): MetricsView {
  return { apply_id: id, requests: 0, faulted: 0, status_codes: {}, latency_ms: { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 }, error_rate: 0, logs: [] };
}

function errMsg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
