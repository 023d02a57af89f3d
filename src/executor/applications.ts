/**
 * Fault applications: a validated plan becomes an application with an id, absolute start and end
 * times (persisted before anything else can happen to it) and a status.
 *
 *   apply ──▶ pending ──(start_at)──▶ running ──(end_at)──▶ completed
 *                 │                      │
 *                 └──── DELETE / halt ───┴──▶ cancelled          install error ──▶ failed
 *
 * Every application is capped by the executor's maximum duration. After a restart, `recover()`
 * closes the ones that ended while the executor was down and re-arms the rest for the time left
 * (same absolute end).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ValidationError, faultTimeIssues, safeParsePlan, toWirePlan, type FaultPlan } from '../plan/index.js';
import type { Observation } from '../proxy/index.js';
import type { Supervisor } from '../supervisor/index.js';
import { NotFoundError } from './errors.js';
import { install, resolveTarget, type Installed } from './install.js';
import type { ProxyManager } from './proxies.js';
import type { ApplicationRow, ApplicationStatus, Store } from './store.js';

/** `GET /v1/faults/:apply_id/status` (wire form). */
export interface StatusView {
  readonly apply_id: string;
  readonly service: string;
  readonly fault_type: string;
  readonly status: ApplicationStatus;
  readonly start_time: string;
  readonly end_time: string;
  readonly error_msg: string | null;
}

/** `GET /v1/faults/:apply_id/metrics` (wire form). */
export interface MetricsView {
  readonly apply_id: string;
  readonly requests: number;
  readonly faulted: number;
  readonly status_codes: Record<string, number>;
  readonly latency_ms: { avg: number; p50: number; p95: number; p99: number; max: number };
  readonly error_rate: number;
  readonly logs: unknown[];
}

interface Live {
  row: ApplicationRow;
  readonly plan: FaultPlan;
  startTimer?: NodeJS.Timeout | undefined;
  endTimer?: NodeJS.Timeout | undefined;
  installed?: Installed | undefined;
  /** Set while the start is in flight, so a cancel can wait for it. */
  starting?: Promise<void> | undefined;
}

const FORGET_AFTER = 1000;

/** Options of {@link Applications}. */
export interface ApplicationsOptions {
  readonly store: Store;
  readonly proxies: ProxyManager;
  readonly supervisor: () => Supervisor | undefined;
  /** Cap of every application, ms. */
  readonly maxDurationMs: number;
  readonly logger?: Logger;
}

/** Applies, tracks, cancels and recovers fault applications. */
export class Applications {
  readonly #o: ApplicationsOptions;
  readonly #live = new Map<string, Live>();
  readonly #ended: Array<{ id: string; service: string }> = [];

  constructor(options: ApplicationsOptions) {
    this.#o = options;
    options.proxies.onRemove((name) => {
      for (const live of [...this.#live.values()]) {
        if (live.plan.service === name) this.#background(this.#finish(live, 'cancelled', `proxy '${name}' was removed`));
      }
    });
  }

  /** How many applications are in effect now. */
  activeCount(): number {
    let n = 0;
    for (const l of this.#live.values()) if (l.row.status === 'running') n++;
    return n;
  }

  /**
   * Validates a wire plan whole, resolves its target, stores the application and installs it
   * (now, or when its start delay has passed).
   * @throws ValidationError (400) with each bad field; NotFoundError (404) for an unknown service;
   *   FaultMismatchError (400); the target's error when installing fails (the application is then `failed`).
   */
  async apply(body: unknown): Promise<{ applyId: string; status: 'applied' | 'scheduled'; view: StatusView }> {
    const parsed = safeParsePlan(body);
    if (!parsed.ok) throw new ValidationError('fault plan', parsed.issues);
    const plan = parsed.plan;
    const tooLong = faultTimeIssues(plan, this.#o.maxDurationMs);
    if (tooLong.length > 0) throw new ValidationError('fault plan', tooLong);
    const target = resolveTarget(plan, this.#o.proxies, this.#o.supervisor());
    const now = Date.now();
    const startAt = now + plan.startDelayMs;
    const durationMs = Math.min(Math.round(plan.durationSeconds * 1000), this.#o.maxDurationMs);
    const row: ApplicationRow = {
      id: randomUUID(),
      plan: toWirePlan(plan) as unknown as Record<string, unknown>,
      service: plan.service,
      faultType: plan.faultType,
      status: plan.startDelayMs > 0 ? 'pending' : 'running',
      createdAt: now,
      startAt,
      endAt: startAt + durationMs,
      endedAt: null,
      error: null,
      metrics: null,
    };
    if (durationMs < plan.durationSeconds * 1000) {
      this.#o.logger?.warn({ apply_id: row.id, asked_s: plan.durationSeconds, cap_ms: this.#o.maxDurationMs }, 'duration capped at the maximum');
    }
    const live: Live = { row, plan };
    if (plan.startDelayMs > 0) {
      this.#o.store.insertApplication(row);
      this.#live.set(row.id, live);
      this.#armStart(live);
      this.#o.store.addEvent('fault_scheduled', row.id, { service: row.service, fault_type: row.faultType, start_at: startAt, end_at: row.endAt });
      return { applyId: row.id, status: 'scheduled', view: statusView(row) };
    }
    // Install first, then store: a plan that cannot be installed is stored as failed and reported.
    try {
      live.installed = await install(target, row.id, plan, { proxies: this.#o.proxies, supervisor: this.#o.supervisor(), remainingMs: durationMs });
    } catch (err) {
      this.#o.store.insertApplication({ ...row, status: 'failed', endedAt: Date.now(), error: errMsg(err) });
      this.#o.store.addEvent('fault_failed', row.id, { error: errMsg(err) });
      throw err;
    }
    try {
      this.#o.store.insertApplication(row);
    } catch (err) {
      await live.installed.revert().catch(() => undefined);
      throw err;
    }
    this.#live.set(row.id, live);
    this.#o.store.addEvent('fault_applied', row.id, { service: row.service, fault_type: row.faultType, end_at: row.endAt });
    this.#o.logger?.info({ apply_id: row.id, service: row.service, fault_type: row.faultType, end_at: new Date(row.endAt).toISOString() }, 'fault applied');
    if (live.installed.oneShot) await this.#finish(live, 'completed', null);
    else this.#armEnd(live);
    return { applyId: row.id, status: 'applied', view: statusView(live.row) };
  }

  /** @throws NotFoundError (404) */
  status(id: string): StatusView {
    return statusView(this.#row(id));
  }

  /** Newest first. */
  list(options: { live?: boolean } = {}): StatusView[] {
    return this.#o.store.listApplications(options).map(statusView);
  }

  /** What the target saw while the fault was installed (zeros for process faults). @throws NotFoundError */
  metrics(id: string): MetricsView {
    const row = this.#row(id);
    const proxy = this.#o.proxies.get(row.service);
    const obs = proxy?.observe(id);
    if (obs) return metricsView(id, obs);
    if (row.metrics) return { ...(row.metrics as unknown as MetricsView), apply_id: id };
    return emptyMetrics(id);
  }

  /** Cancels an application and reverts it at once; an ended one is left as it is. @throws NotFoundError */
  async cancel(id: string, reason: string | null = null): Promise<StatusView> {
    const live = this.#live.get(id);
    if (!live) return statusView(this.#row(id));
    await this.#finish(live, 'cancelled', reason);
    return statusView(live.row);
  }

  /** Cancels every live application. Returns how many. */
  async cancelAll(reason: string | null): Promise<number> {
    const all = [...this.#live.values()];
    await Promise.all(all.map((l) => this.#finish(l, 'cancelled', reason)));
    return all.length;
  }

  /**
   * After a restart: ends what expired while the executor was down (completed, not re-applied) and
   * re-arms the rest for their remaining time.
   */
  async recover(): Promise<{ expired: number; rearmed: number; failed: number }> {
    const now = Date.now();
    let expired = 0;
    let rearmed = 0;
    let failed = 0;
    for (const row of this.#o.store.listApplications({ live: true, limit: 100_000 })) {
      if (row.endAt <= now) {
        this.#o.store.setApplicationStatus(row.id, 'completed', row.endAt, null);
        this.#o.store.addEvent('fault_expired_while_down', row.id, { end_at: row.endAt });
        expired++;
        continue;
      }
      const parsed = safeParsePlan(row.plan);
      if (!parsed.ok) {
        this.#o.store.setApplicationStatus(row.id, 'failed', now, 'stored plan no longer valid');
        failed++;
        continue;
      }
      if (row.startAt <= now && (parsed.plan.faultType === 'kill' || parsed.plan.faultType === 'restart')) {
        // A one-shot fault that was started before the crash has acted (or died with the
        // executor): never repeat a kill.
        this.#o.store.setApplicationStatus(row.id, 'completed', now, null);
        expired++;
        continue;
      }
      const live: Live = { row, plan: parsed.plan };
      this.#live.set(row.id, live);
      if (row.startAt > now) this.#armStart(live);
      else await this.#start(live);
      if (live.row.status === 'failed') failed++;
      else rearmed++;
    }
    if (expired + rearmed + failed > 0) this.#o.logger?.info({ expired, rearmed, failed }, 'applications recovered from the state store');
    return { expired, rearmed, failed };
  }

  #row(id: string): ApplicationRow {
    const live = this.#live.get(id);
    if (live) return live.row;
    const row = this.#o.store.getApplication(id);
    if (!row) throw new NotFoundError('application', id);
    return row;
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
    live.endTimer = setTimeout(() => this.#background(this.#finish(live, 'completed', null)), Math.max(0, live.row.endAt - Date.now()));
    live.endTimer.unref();
  }

  async #start(live: Live): Promise<void> {
    live.startTimer = undefined;
    const run = async (): Promise<void> => {
      const remainingMs = live.row.endAt - Date.now();
      try {
        const target = resolveTarget(live.plan, this.#o.proxies, this.#o.supervisor());
        live.installed = await install(target, live.row.id, live.plan, { proxies: this.#o.proxies, supervisor: this.#o.supervisor(), remainingMs });
      } catch (err) {
        this.#o.logger?.warn({ apply_id: live.row.id, err: errMsg(err) }, 'fault could not be installed');
        await this.#finish(live, 'failed', errMsg(err));
        return;
      }
      if (!this.#live.has(live.row.id)) {
        // Cancelled while installing.
        await live.installed.revert().catch(() => undefined);
        return;
      }
      live.row = { ...live.row, status: 'running' };
      this.#o.store.setApplicationStatus(live.row.id, 'running');
      this.#o.store.addEvent('fault_started', live.row.id, { end_at: live.row.endAt });
      if (live.installed.oneShot) await this.#finish(live, 'completed', null);
      else this.#armEnd(live);
    };
    live.starting = run();
    await live.starting;
    live.starting = undefined;
  }

  async #finish(live: Live, status: 'completed' | 'cancelled' | 'failed', error: string | null): Promise<void> {
    if (!this.#live.has(live.row.id)) return;
    this.#live.delete(live.row.id);
    if (live.startTimer) clearTimeout(live.startTimer);
    if (live.endTimer) clearTimeout(live.endTimer);
    const installed = live.installed;
    live.installed = undefined;
    if (installed) {
      try {
        await installed.revert();
      } catch (err) {
        this.#o.logger?.error({ apply_id: live.row.id, err: errMsg(err) }, 'reverting the fault failed');
      }
    }
    const now = Date.now();
    const endedAt = now;
    const proxy = this.#o.proxies.get(live.row.service);
    const obs = proxy?.observe(live.row.id);
    const metrics = obs ? (metricsView(live.row.id, obs) as unknown as Record<string, unknown>) : null;
    live.row = { ...live.row, status, endedAt, error };
    this.#o.store.setApplicationStatus(live.row.id, status, endedAt, error, metrics);
    this.#o.store.addEvent(`fault_${status}`, live.row.id, error === null ? {} : { error });
    this.#o.logger?.info({ apply_id: live.row.id, status, ...(error === null ? {} : { reason: error }) }, 'fault ended');
    this.#ended.push({ id: live.row.id, service: live.row.service });
    if (this.#ended.length > FORGET_AFTER) {
      const old = this.#ended.shift();
      if (old) this.#o.proxies.get(old.service)?.forget(old.id);
    }
  }
}

function statusView(row: ApplicationRow): StatusView {
  const end = row.endedAt ?? row.endAt;
  return {
    apply_id: row.id,
    service: row.service,
    fault_type: row.faultType,
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
