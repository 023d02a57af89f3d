/**
 * The drill's line to its executor: starts the embedded one or connects to `executor.url`,
 * reads its proxies for `{{proxies.*}}`, records supervisor events, and at the end collects what
 * the executor saw (fault observations, alerts, processes) into the journal.
 */
import { HttpExecutorClient } from '../client/index.js';
import { splitHostPort } from '../common/index.js';
import type { Executor } from '../executor/index.js';
import { snakifyKeys } from '../plan/index.js';
import type { DrillExecutorClient } from './activities/types.js';
import { startEmbedded } from './embedded.js';
import type { CheckResult, Journal } from './journal.js';
import type { Drill } from './spec.js';
import { renderConfig, renderValue, type TemplateContext } from './template.js';

const errMsg = (err: unknown) => (err instanceof Error ? err.message : String(err));
const iso = (ms: number = Date.now()) => new Date(ms).toISOString();

/** Where the embedded executor writes (undefined `logDir`: no report folder). */
export interface LinkOptions {
  readonly runsDir: string;
  readonly logDir: string | undefined;
  readonly runId: string;
}

/** One run's executor. */
export class ExecutorLink {
  client: DrillExecutorClient | undefined;
  url: string | null = null;
  /** `{{proxies.<name>.url|listen|host|port}}`. */
  proxies: Record<string, unknown> = {};
  #embedded: Executor | undefined;
  #eventSub: { dispose(): void } | undefined;

  constructor(private readonly journal: Journal) {}

  /** Starts or connects, as the preflight check `executor`: it answers `/v1/health`. Never throws. */
  async startChecked(ex: NonNullable<Drill['executor']>, ctx: () => TemplateContext, options: LinkOptions): Promise<CheckResult> {
    const t = performance.now();
    let ok = false;
    let message = '';
    try {
      await this.start(ex, ctx, options);
      ok = (await this.client?.checkHealth()) ?? false;
      message = ok ? `executor at ${this.url} answers` : `executor at ${this.url} does not answer /v1/health`;
    } catch (err) {
      message = errMsg(err);
    }
    const guidance = ex.embedded ? 'Check the executor config in the drill (executor.config).' : 'Start the executor (`faultline serve`) or fix executor.url.';
    return { name: 'executor', kind: 'executor', ok, message, guidance, durationMs: Math.round(performance.now() - t) };
  }

  /** Starts or connects to the drill's executor. @throws when it cannot start. */
  async start(ex: NonNullable<Drill['executor']>, ctx: () => TemplateContext, options: LinkOptions): Promise<void> {
    const token = ex.token !== undefined ? String(renderValue(ex.token, ctx())) : undefined;
    if (ex.embedded) {
      this.#embedded = await startEmbedded({ config: renderConfig(ex.config ?? {}, ctx()), token, ...options });
      this.url = this.#embedded.url;
      this.#eventSub = this.#embedded.supervisor?.onEvent((e) => this.#processEvent(e as unknown as Record<string, unknown>));
    } else {
      this.url = String(renderValue(ex.url ?? '', ctx()));
    }
    this.journal.executor.url = this.url;
    this.client = new HttpExecutorClient({ baseUrl: this.url, ...(token !== undefined ? { token } : {}), retry: { maxAttempts: 3, initialDelayMs: 50 }, readTimeoutMs: 10_000, source: 'drill' });
    await this.#refreshProxies();
  }

  async #refreshProxies(): Promise<void> {
    if (!this.client) return;
    try {
      const body = await this.client.call<{ proxies?: { name: string; listen: string; upstream?: string; protocol?: string }[] }>('GET', '/v1/proxies');
      const out: Record<string, unknown> = {};
      for (const p of body.proxies ?? []) {
        const { host, port } = splitHostPort(p.listen);
        out[p.name] = { listen: p.listen, url: `http://${p.listen}`, host: p.listen.startsWith('[') ? `[${host}]` : host, port, upstream: p.upstream ?? null, protocol: p.protocol ?? null };
      }
      this.proxies = out;
    } catch {
      // An executor without proxies (or an older one): templates that need them say so.
    }
  }

  #processEvent(e: Record<string, unknown>): void {
    const { type, name, pid, time, ...detail } = e;
    this.journal.processes.events.push({
      time: iso(typeof time === 'number' ? time : Date.now()),
      name: String(name ?? ''),
      type: String(type ?? ''),
      pid: typeof pid === 'number' ? pid : null,
      detail: snakifyKeys(detail),
    });
  }

  /** Reverts every fault on the executor; faults still running are recorded as ended now. */
  async halt(why: string): Promise<string | undefined> {
    if (!this.client) return undefined;
    try {
      await this.client.halt();
      const now = iso();
      for (const f of this.journal.faults) if (f.end !== null && f.end > now) f.end = now;
      return `executor halted (${why})`;
    } catch (err) {
      this.journal.errors.push(`halt after ${why} failed: ${errMsg(err)}`);
      return undefined;
    }
  }

  /** Cancels this run's faults that have not ended (an interrupted run leaves none behind). */
  async cancelOwnFaults(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const now = iso();
    await Promise.all(
      this.journal.faults.map(async (f) => {
        if (f.applyId === null || (f.end !== null && f.end <= now)) return;
        try {
          await client.cancel(f.applyId);
          f.end = iso();
        } catch (err) {
          this.journal.errors.push(`cancelling ${f.applyId}: ${errMsg(err)}`);
        }
      }),
    );
  }

  /** Collects what the executor saw during the run (since `t0`) into the journal. */
  async collect(t0: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    const j = this.journal;
    await Promise.all(
      j.faults.map(async (f) => {
        if (f.applyId === null) return;
        try {
          const st = await client.status(f.applyId);
          f.status = st.status;
          if (st.startTime) f.start = st.startTime;
          if (st.endTime) f.end = st.endTime;
          const obs = await client.metrics(f.applyId);
          // snake_case like the rest of the report; the last few log lines are enough (the executor keeps the rest).
          f.observation = {
            apply_id: obs.applyId,
            requests: obs.requests,
            faulted: obs.faulted,
            status_codes: obs.statusCodes,
            latency_ms: obs.latencyMs,
            error_rate: obs.errorRate,
            logs: Array.isArray(obs.logs) ? obs.logs.slice(-10) : [],
          };
        } catch (err) {
          f.observation = { error: errMsg(err) };
        }
      }),
    );
    try {
      // Alerts the executor's own rules fired during the run (error rate, latency, breaker...).
      const body = await client.call<{ alerts?: { rule?: string; state?: string; firing?: string; resolved?: string | null; value?: number | null }[] }>('GET', '/v1/alerts');
      const since = iso(t0);
      for (const a of body.alerts ?? []) {
        if (!a.firing || a.firing < since) continue;
        j.alerts.push({ rule: String(a.rule ?? ''), kind: 'alert', firedAt: a.firing, resolvedAt: a.resolved ?? null, value: typeof a.value === 'number' ? a.value : null, message: `executor alert ${a.state ?? ''}`.trim() });
      }
    } catch {
      // An executor without alert rules.
    }
    try {
      const procs = await client.listProcesses();
      j.processes.summary = procs.map((p) => ({
        name: String(p.name),
        restartCount: Number(p.restart_count ?? 0),
        pidHistory: Array.isArray(p.pid_history) ? (p.pid_history as number[]) : [],
        health: p.health === undefined ? null : String(p.health),
        lastRecoveryMs: typeof p.last_recovery_ms === 'number' ? p.last_recovery_ms : null,
      }));
    } catch {
      // No supervisor on that executor.
    }
  }

  /** Closes the client and the embedded executor. */
  async close(): Promise<void> {
    this.#eventSub?.dispose();
    await this.client?.close().catch(() => undefined);
    if (this.#embedded) {
      try {
        await this.#embedded.close();
      } catch (err) {
        this.journal.errors.push(`closing the embedded executor: ${errMsg(err)}`);
      }
    }
  }
}
