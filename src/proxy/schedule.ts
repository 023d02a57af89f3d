/**
 * Turns a FaultPlan into a toxic or rule on a proxy, and keeps it there from its start time to
 * its end time (absolute epoch ms, so the executor can re-arm after a restart).
 *
 *   schedulePlan ──(startAt)──▶ install ──(endAt | cancel | proxy closed)──▶ remove
 */
import { capTimerMs, MAX_TIMER_MS } from '../common/index.js';
import { defaultRegistry, type FaultPlan } from '../plan/index.js';
import { ProxyFaultMismatchError } from './errors.js';
import type { HttpRuleSpec, Proxy, ScheduledFault, ScheduleTimes, ToxicSpec } from './types.js';

/** Undoes an install. `down` needs to await re-listening; rules and toxics go at once. */
type Remover = () => Promise<void>;

function mismatch(proxy: Proxy, plan: FaultPlan): ProxyFaultMismatchError {
  return new ProxyFaultMismatchError(plan.faultType, proxy.protocol, proxy.name);
}

/** Installs now; for `down` the returned promise settles once the listener is closed. */
async function install(proxy: Proxy, plan: FaultPlan, id: string): Promise<Remover> {
  const { stop, remove } = installSync(proxy, plan, id);
  await stop;
  return remove;
}

/**
 * The registry says what a fault acts on: a TCP listener fault takes the listener down, any
 * other TCP fault is a toxic, an HTTP fault is a rule. No fault type is named here.
 */
function installSync(proxy: Proxy, plan: FaultPlan, id: string): { stop: Promise<void>; remove: Remover } {
  const def = defaultRegistry.get(plan.faultType);
  if (def.target !== proxy.protocol) throw mismatch(proxy, plan);
  if (proxy.protocol === 'tcp' && def.listener === true) {
    return { stop: proxy.setEnabled(false), remove: () => proxy.setEnabled(true) };
  }
  if (proxy.protocol === 'tcp') {
    const { stream, ...config } = plan.faultConfig as { stream: 'upstream' | 'downstream' } & Record<string, unknown>;
    const spec = { name: id, type: plan.faultType, stream, toxicity: plan.percentage / 100, config } as unknown as ToxicSpec;
    proxy.addToxic(spec);
    return {
      stop: Promise.resolve(),
      remove: async () => {
        proxy.removeToxic(id);
      },
    };
  }
  const rule: Record<string, unknown> = { id, type: plan.faultType, config: plan.faultConfig, percentage: plan.percentage };
  if (plan.method !== undefined) rule.method = plan.method;
  if (plan.api !== undefined) rule.path = plan.api;
  if (plan.headers !== undefined) rule.headers = plan.headers;
  proxy.addRule(rule as unknown as HttpRuleSpec);
  return {
    stop: Promise.resolve(),
    remove: async () => {
      proxy.removeRule(id);
    },
  };
}

/**
 * Installs a plan's fault on a proxy now, as a toxic (TCP; named `id`, toxicity = percentage/100),
 * `setEnabled(false)` (`down`) or a rule (HTTP; id `id`, path = the plan's `api`).
 * @returns a function that removes it (idempotent; `down` re-enables the proxy).
 * @throws ProxyFaultMismatchError (FL_ERR_PROXY_FAULT_MISMATCH) for a process fault or a fault of the other protocol.
 * @throws ProxyConflictError when `id` is already installed; ValidationError on a bad config.
 */
export function installPlan(proxy: Proxy, plan: FaultPlan, id: string): () => void {
  const { stop, remove } = installSync(proxy, plan, id);
  stop.catch(() => undefined);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    remove().catch(() => undefined);
  };
}

/** Options of {@link schedulePlan}. */
export interface ScheduleOptions extends ScheduleTimes {
  /** The toxic name / rule id (the executor's apply id). */
  readonly id: string;
}

function onProxyClose(proxy: Proxy, listener: () => void): () => void {
  const hook = (proxy as { onClose?: (l: () => void) => () => void }).onClose;
  return typeof hook === 'function' ? hook.call(proxy, listener) : () => undefined;
}

/**
 * Installs a plan's fault at `startAt` (default now + start delay) and removes it at `endAt`
 * (default start + duration), or at `cancel()`, or when the proxy closes. A window already over
 * installs nothing and ends `completed` at once.
 * @example
 * const f = schedulePlan(proxy, plan, { id: 'apply-1' });
 * await f.started; // installed
 * await f.ended;   // 'completed' after duration_seconds
 */
export function schedulePlan(proxy: Proxy, plan: FaultPlan, options: ScheduleOptions): ScheduledFault {
  const now = Date.now();
  const startAt = options.startAt ?? now + plan.startDelayMs;
  const endAt = options.endAt ?? startAt + plan.durationSeconds * 1000;
  let state: 'pending' | 'installing' | 'running' | 'ended' = 'pending';
  let timer: NodeJS.Timeout | undefined;
  let remover: Remover | undefined;
  let resolveStarted!: () => void;
  let rejectStarted!: (err: unknown) => void;
  let resolveEnded!: (how: 'completed' | 'cancelled') => void;
  const started = new Promise<void>((res, rej) => {
    resolveStarted = res;
    rejectStarted = rej;
  });
  started.catch(() => undefined);
  const ended = new Promise<'completed' | 'cancelled'>((res) => {
    resolveEnded = res;
  });

  const at = (when: number, fn: () => void): void => {
    const wait = when - Date.now();
    timer = setTimeout(wait > MAX_TIMER_MS ? () => at(when, fn) : fn, capTimerMs(wait));
  };

  const end = (how: 'completed' | 'cancelled', removeIt: boolean): void => {
    if (state === 'ended') return;
    const wasRunning = state === 'running';
    state = 'ended';
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    offClose();
    const r = remover;
    remover = undefined;
    if (!wasRunning) resolveStarted();
    if (removeIt && r !== undefined) {
      r().then(
        () => resolveEnded(how),
        () => resolveEnded(how),
      );
    } else {
      resolveEnded(how);
    }
  };

  const offClose = onProxyClose(proxy, () => end('cancelled', false));

  const begin = (): void => {
    timer = undefined;
    if (state !== 'pending') return;
    state = 'installing';
    let pending: Promise<Remover>;
    try {
      pending = install(proxy, plan, options.id);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (r) => {
        if (state !== 'installing') {
          // cancelled or closed while installing: undo at once
          r().catch(() => undefined);
          return;
        }
        state = 'running';
        remover = r;
        resolveStarted();
        at(endAt, () => end('completed', true));
      },
      (err: unknown) => {
        if (state === 'ended') return;
        state = 'ended';
        offClose();
        rejectStarted(err);
        resolveEnded('cancelled');
      },
    );
  };

  if (endAt <= now) end('completed', false);
  else at(startAt, begin);

  return {
    id: options.id,
    started,
    ended,
    cancel: () => end('cancelled', true),
  };
}
