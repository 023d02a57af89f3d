/**
 * Policies: standing faults. A policy is a FaultPlan plus an `id` and an optional `expires_at`;
 * it stays installed (no duration cap) until deleted, halted or expired, and comes back after a
 * restart. Only proxy faults can stand: a process fault is a one-off or bounded by its plan.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { capTimerMs } from '../common/index.js';
import { defaultRegistry, fieldIssues, safeParsePlan, toWirePlan, type FaultPlan, type FieldIssue } from '../plan/index.js';
import { nameSchema } from './config.js';
import { ConflictError, InvalidRequestError, NotFoundError } from './errors.js';
import { install, resolveTarget, type Installed } from './install.js';
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

/** Standing faults, installed while their target exists. */
export class Policies {
  readonly #store: Store;
  readonly #proxies: ProxyManager;
  readonly #log: Logger | undefined;
  readonly #installed = new Map<string, Installed>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #plans = new Map<string, { row: PolicyRow; plan: FaultPlan }>();

  constructor(options: { store: Store; proxies: ProxyManager; logger?: Logger }) {
    this.#store = options.store;
    this.#proxies = options.proxies;
    this.#log = options.logger;
    this.#proxies.onCreate((name) => {
      for (const p of this.#plans.values()) {
        if (p.plan.service === name) this.#install(p.row.id).catch((err: unknown) => this.#log?.warn({ policy: p.row.id, err: String(err) }, 'policy not installed'));
      }
    });
    this.#proxies.onRemove((name) => {
      for (const p of this.#plans.values()) if (p.plan.service === name) this.#installed.delete(p.row.id);
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
   * @throws InvalidRequestError/ValidationError (400); ConflictError (409) when the id exists; NotFoundError (404) for an unknown service.
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

  /** Uninstalls every policy but keeps them stored (executor shutdown: they come back on restart). */
  async unloadAll(): Promise<void> {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    const all = [...this.#installed.values()];
    this.#installed.clear();
    await Promise.allSettled(all.map((i) => i.revert()));
  }

  /** Loads stored policies (dropping expired ones) and installs those whose target exists. */
  async recover(): Promise<number> {
    let n = 0;
    for (const row of this.#store.listPolicies()) {
      if (row.expiresAt !== null && row.expiresAt <= Date.now()) {
        this.#store.deletePolicy(row.id);
        this.#store.addEvent('policy_expired', row.id);
        continue;
      }
      const parsed = safeParsePlan(row.plan);
      if (!parsed.ok) {
        this.#log?.warn({ policy: row.id }, 'stored policy is no longer valid; dropped');
        this.#store.deletePolicy(row.id);
        continue;
      }
      this.#plans.set(row.id, { row, plan: parsed.plan });
      this.#armExpiry(row);
      await this.#install(row.id).catch((err: unknown) => this.#log?.warn({ policy: row.id, err: String(err) }, 'policy not installed'));
      n++;
    }
    return n;
  }

  /** Policies installed now. */
  installedCount(): number {
    return this.#installed.size;
  }

  #parse(body: unknown, pathId: string | undefined): { id: string; plan: FaultPlan; expiresAt: number | null } {
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
    let expiresAt: number | null = null;
    const exp = extra.success ? extra.data.expires_at : undefined;
    if (exp !== undefined && exp !== null) {
      expiresAt = typeof exp === 'number' ? exp : Date.parse(exp);
      if (expiresAt <= Date.now()) issues.push({ path: 'expires_at', message: 'must be in the future' });
    }
    if (issues.length > 0 || !parsed.ok || id === undefined) throw new InvalidRequestError('policy', issues);
    return { id, plan: parsed.plan, expiresAt };
  }

  async #save(id: string, plan: FaultPlan, expiresAt: number | null, createdAt: number | undefined): Promise<PolicyView> {
    // The target must exist and fit now, so a typo is a 404/400 and not a silent no-op.
    resolveTarget(plan, this.#proxies, undefined);
    if (this.#plans.has(id)) await this.#uninstall(id);
    const now = Date.now();
    const row: PolicyRow = { id, plan: toWirePlan(plan) as unknown as Record<string, unknown>, createdAt: createdAt ?? now, updatedAt: now, expiresAt };
    this.#store.upsertPolicy(row);
    this.#plans.set(id, { row, plan });
    this.#armExpiry(row);
    await this.#install(id);
    this.#store.addEvent('policy_saved', id, { service: plan.service, fault_type: plan.faultType, expires_at: expiresAt });
    this.#log?.info({ policy: id, service: plan.service, fault_type: plan.faultType }, 'policy installed');
    return this.#view(row);
  }

  async #install(id: string): Promise<void> {
    const p = this.#plans.get(id);
    if (!p || this.#installed.has(id) || !this.#proxies.get(p.plan.service)) return;
    const target = resolveTarget(p.plan, this.#proxies, undefined);
    this.#installed.set(id, await install(target, `${policyId}${id}`, p.plan, { proxies: this.#proxies, supervisor: undefined, remainingMs: 0 }));
  }

  async #uninstall(id: string): Promise<void> {
    const t = this.#timers.get(id);
    if (t) clearTimeout(t);
    this.#timers.delete(id);
    const inst = this.#installed.get(id);
    this.#installed.delete(id);
    if (inst) await inst.revert();
  }

  async #remove(id: string, event: string): Promise<void> {
    await this.#uninstall(id);
    this.#plans.delete(id);
    this.#store.deletePolicy(id);
    this.#store.addEvent(event, id);
    this.#log?.info({ policy: id }, event.replace('_', ' '));
  }

  #armExpiry(row: PolicyRow): void {
    if (row.expiresAt === null) return;
    const old = this.#timers.get(row.id);
    if (old) clearTimeout(old);
    const expiresAt = row.expiresAt;
    const t = setTimeout(() => {
      // Timers cap at ~24.8 days: re-arm until the real expiry.
      if (Date.now() < expiresAt) this.#armExpiry(row);
      else this.#remove(row.id, 'policy_expired').catch((err: unknown) => this.#log?.error({ policy: row.id, err: String(err) }, 'expiring the policy failed'));
    }, capTimerMs(expiresAt - Date.now()));
    t.unref();
    this.#timers.set(row.id, t);
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
