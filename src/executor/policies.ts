/**
 * Policies: standing faults. A policy is a FaultPlan plus an `id` and an `expires_at` (at most
 * the maximum duration from now; default exactly that); it stays installed until deleted, halted
 * or expired, and comes back after a restart. Only proxy faults can stand: a process fault is a
 * one-off or bounded by its plan.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { defaultRegistry, fieldIssues, safeParsePlan, toWirePlan, type FaultPlan, type FieldIssue } from '../plan/index.js';
import { nameSchema } from './config.js';
import { ConflictError, InvalidRequestError, NotFoundError } from './errors.js';
import type { Applications } from './applications.js';
import { resolveTarget } from './install.js';
import type { ProxyManager } from './proxies.js';
import type { PolicyRow, Store } from './store.js';

/** A policy as the API shows it (wire form). */
export type PolicyView = Record<string, unknown> & {
  readonly id: string;
  readonly expires_at: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly installed: boolean;
};

const MAX_EXPIRY_MS = 10 * 365 * 24 * 3600 * 1000;

/** `expires_at`: an ISO 8601 time or epoch milliseconds, in the future. */
export const expiresAtSchema = z
  .union(
    [
      z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }),
      z.number().int({ error: 'must be an integer' }).min(0, { error: 'must be >= 0' }).max(Date.now() + MAX_EXPIRY_MS),
    ],
    { error: 'must be an ISO 8601 time or epoch milliseconds' },
  )
  .nullable()
  .optional();

/** The policy body: a wire FaultPlan plus `id` and `expires_at` (validated separately, then together). */
export const policyExtraSchema = z.object({ id: nameSchema.optional(), expires_at: expiresAtSchema });

const policyId = `policy:`;

/**
 * Standing faults. Each installed policy is an application (source `policy`) in the one
 * lifecycle, whose end is the policy's `expires_at` (at most the maximum duration from now;
 * default exactly that): it is listed, counted, and ended by its expiry, by halt, or by
 * cancelling its application (which deletes the policy).
 */
export class Policies {
  readonly #store: Store;
  readonly #proxies: ProxyManager;
  readonly #apps: Applications;
  readonly #log: Logger | undefined;
  /** policy id -> apply id of its live application */
  readonly #installed = new Map<string, string>();
  readonly #plans = new Map<string, { row: PolicyRow; plan: FaultPlan }>();

  constructor(options: { store: Store; proxies: ProxyManager; applications: Applications; logger?: Logger }) {
    this.#store = options.store;
    this.#proxies = options.proxies;
    this.#apps = options.applications;
    this.#log = options.logger;
    this.#proxies.onCreate((name) => {
      for (const p of this.#plans.values()) {
        if (p.plan.service === name) this.#install(p.row.id).catch((err: unknown) => this.#log?.warn({ policy: p.row.id, err: String(err) }, 'policy not installed'));
      }
    });
  }

  list(): PolicyView[] {
    return [...this.#plans.values()].map((p) => this.#view(p.row));
  }

  /** @throws NotFoundError */
  get(id: string): PolicyView {
    const p = this.#plans.get(id);
    if (!p) throw new NotFoundError('policy', id);
    return this.#view(p.row);
  }

  /**
   * Creates a policy from its body and installs it.
   * @throws InvalidRequestError/ValidationError (400); ConflictError (409) when the id exists; NotFoundError (404) for an unknown service;
   *   StoreError (503) when it cannot be recorded (nothing stays installed).
   */
  async create(body: unknown): Promise<PolicyView> {
    const { id, plan, expiresAt } = this.#parse(body, undefined);
    if (this.#plans.has(id)) throw new ConflictError('policy', id);
    return this.#save(id, plan, expiresAt, undefined);
  }

  /** Creates or replaces the policy `id`. @throws as {@link create}, without the 409. */
  async put(id: string, body: unknown): Promise<PolicyView> {
    const parsed = this.#parse(body, id);
    const old = this.#plans.get(id);
    return this.#save(id, parsed.plan, parsed.expiresAt, old?.row.createdAt);
  }

  /** Uninstalls and deletes a policy. @throws NotFoundError */
  async delete(id: string): Promise<void> {
    if (!this.#plans.has(id)) throw new NotFoundError('policy', id);
    await this.#remove(id, 'policy_deleted');
  }

  /** Uninstalls and deletes every policy (halt). Returns how many. */
  async deleteAll(): Promise<number> {
    const ids = [...this.#plans.keys()];
    await Promise.all(ids.map((id) => this.#remove(id, 'policy_halted')));
    return ids.length;
  }

  /** Loads stored policies (dropping expired ones) and installs those whose target exists. */
  async recover(): Promise<number> {
    let n = 0;
    const now = Date.now();
    for (const stored of this.#store.listPolicies()) {
      let row = stored;
      if (row.expiresAt !== null && row.expiresAt <= now) {
        void this.#store.deletePolicy(row.id);
        void this.#store.addEvent('policy_expired', row.id);
        continue;
      }
      const parsed = safeParsePlan(row.plan);
      if (!parsed.ok) {
        this.#log?.warn({ policy: row.id }, 'stored policy is no longer valid; dropped');
        void this.#store.deletePolicy(row.id);
        continue;
      }
      if (row.expiresAt === null) {
        // Stored before policies had a bounded end: they get one now.
        row = { ...row, expiresAt: now + this.#apps.maxDurationMs };
        void this.#store.upsertPolicy(row);
      }
      this.#plans.set(row.id, { row, plan: parsed.plan });
      await this.#install(row.id).catch((err: unknown) => this.#log?.warn({ policy: row.id, err: String(err) }, 'policy not installed'));
      n++;
    }
    return n;
  }

  /** Policies installed now. */
  installedCount(): number {
    return this.#installed.size;
  }

  #parse(body: unknown, pathId: string | undefined): { id: string; plan: FaultPlan; expiresAt: number } {
    const issues: FieldIssue[] = [];
    const obj = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    if (!obj) throw new InvalidRequestError('policy', [{ path: '(root)', message: 'must be an object' }]);
    const { id: rawId, expires_at: rawExpires, ...planBody } = obj;
    const extra = policyExtraSchema.safeParse({ id: rawId, expires_at: rawExpires });
    if (!extra.success) issues.push(...fieldIssues(extra.error, { id: rawId, expires_at: rawExpires }));
    const id = pathId ?? (extra.success ? extra.data.id : undefined);
    if (pathId === undefined && rawId === undefined) issues.push({ path: 'id', message: 'is required' });
    if (pathId !== undefined && rawId !== undefined && rawId !== pathId) issues.push({ path: 'id', message: `must match the id in the URL ('${pathId}')` });
    const parsed = safeParsePlan(planBody);
    if (!parsed.ok) issues.push(...parsed.issues);
    if (parsed.ok && defaultRegistry.get(parsed.plan.faultType).target === 'process') {
      issues.push({ path: 'fault_type', message: `'${parsed.plan.faultType}' is a process fault; a policy stands on a proxy (use POST /v1/faults/apply)` });
    }
    const now = Date.now();
    const max = this.#apps.maxDurationMs;
    let expiresAt = now + max;
    const exp = extra.success ? extra.data.expires_at : undefined;
    if (exp !== undefined && exp !== null) {
      expiresAt = typeof exp === 'number' ? exp : Date.parse(exp);
      if (expiresAt <= now) issues.push({ path: 'expires_at', message: 'must be in the future' });
      else if (expiresAt > now + max) {
        issues.push({ path: 'expires_at', message: `must be at most max_duration_seconds (${max / 1000}) from now; omit it for that maximum` });
      }
    }
    if (issues.length > 0 || !parsed.ok || id === undefined) throw new InvalidRequestError('policy', issues);
    return { id, plan: parsed.plan, expiresAt };
  }

  async #save(id: string, plan: FaultPlan, expiresAt: number, createdAt: number | undefined): Promise<PolicyView> {
    // The target must exist and fit now, so a typo is a 404/400 and not a silent no-op.
    resolveTarget(plan, this.#proxies, undefined);
    const previous = this.#plans.get(id);
    if (previous) await this.#uninstall(id);
    const now = Date.now();
    const row: PolicyRow = { id, plan: toWirePlan(plan) as unknown as Record<string, unknown>, createdAt: createdAt ?? now, updatedAt: now, expiresAt };
    this.#plans.set(id, { row, plan });
    try {
      await this.#install(id);
      await this.#store.upsertPolicy(row);
    } catch (err) {
      // All or nothing: what could not be recorded is not left installed.
      await this.#uninstall(id);
      if (previous) this.#plans.set(id, previous);
      else this.#plans.delete(id);
      throw err;
    }
    void this.#store.addEvent('policy_saved', id, { service: plan.service, fault_type: plan.faultType, expires_at: expiresAt });
    this.#log?.info({ policy: id, service: plan.service, fault_type: plan.faultType }, 'policy installed');
    return this.#view(row);
  }

  async #install(id: string): Promise<void> {
    const p = this.#plans.get(id);
    if (!p || this.#installed.has(id) || !this.#proxies.get(p.plan.service)) return;
    const endAt = p.row.expiresAt ?? Date.now() + this.#apps.maxDurationMs;
    const ref: { applyId?: string } = {};
    const r = await this.#apps.open(p.plan, {
      source: 'policy',
      effectId: `${policyId}${id}`,
      endAt,
      onEnd: (cause) => {
        if (ref.applyId === undefined || this.#installed.get(id) !== ref.applyId) return;
        this.#installed.delete(id);
        // Its end time is the policy's expiry; a cancel or halt of its application deletes it.
        if (cause === 'end') this.#drop(id, 'policy_expired');
        else if (cause === 'cancel' || cause === 'halt') this.#drop(id, cause === 'halt' ? 'policy_halted' : 'policy_deleted');
      },
    });
    ref.applyId = r.applyId;
    this.#installed.set(id, r.applyId);
  }

  async #uninstall(id: string): Promise<void> {
    const applyId = this.#installed.get(id);
    this.#installed.delete(id);
    if (applyId !== undefined) await this.#apps.cancel(applyId, 'policy replaced or deleted', 'stop');
  }

  async #remove(id: string, event: string): Promise<void> {
    await this.#uninstall(id);
    this.#drop(id, event);
  }

  #drop(id: string, event: string): void {
    if (!this.#plans.delete(id)) return;
    void this.#store.deletePolicy(id);
    void this.#store.addEvent(event, id);
    this.#log?.info({ policy: id }, event.replace('_', ' '));
  }

  #view(row: PolicyRow): PolicyView {
    return {
      id: row.id,
      ...row.plan,
      expires_at: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
      created_at: new Date(row.createdAt).toISOString(),
      updated_at: new Date(row.updatedAt).toISOString(),
      installed: this.#installed.has(row.id),
    };
  }
}
