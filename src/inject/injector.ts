/**
 * The in-process fault injector: a cockatiel-compatible policy that, at `rate`, replaces a call
 * with a fault (Polly's chaos strategies).
 *
 * ```
 *  execute(fn) --disabled--> fn()                      (one branch, no draw, no count)
 *      |
 *      +--enabled--> rng() < rate ? --no--> fn()
 *                         | yes: pick a fault by weight
 *                         +-- latency:  sleep(ms), then fn()
 *                         +-- behavior: run(ctx),  then fn()
 *                         +-- outcome:  return the substitute, fn() not called
 *                         +-- error:    throw FaultInjectionError, fn() not called
 * ```
 */
import { EventEmitter, type IDefaultPolicyContext, type IFailureEvent, type ISuccessEvent } from 'cockatiel';
import { z } from 'zod';
import { MAX_TIMER_MS, ValidationError, fieldIssues } from '../plan/index.js';
import { FaultInjectionError, errorFaultTypes, type ErrorFaultType } from './errors.js';
import { mulberry32 } from './rng.js';

/** Context a protected function receives from the injector. */
export interface InjectContext extends IDefaultPolicyContext {
  readonly signal: AbortSignal;
}

/** Latency fault: wait, then make the call. `ms` is fixed or drawn uniformly from `[min, max]`. */
export interface LatencyFault {
  readonly kind: 'latency';
  readonly ms: number | { readonly min: number; readonly max: number };
  readonly weight?: number;
}
/** Error fault: throw a `FaultInjectionError` of `errorType` instead of calling. */
export interface ErrorFault {
  readonly kind: 'error';
  readonly errorType: ErrorFaultType;
  readonly message?: string;
  readonly weight?: number;
}
/** Outcome fault: return `value` (or what it produces) instead of calling. */
export interface OutcomeFault {
  readonly kind: 'outcome';
  readonly value: unknown;
  readonly weight?: number;
}
/** Behavior fault: run a side effect, then make the call. */
export interface BehaviorFault {
  readonly kind: 'behavior';
  readonly run: (context: InjectContext) => void | Promise<void>;
  readonly weight?: number;
}
export type InjectedFault = LatencyFault | ErrorFault | OutcomeFault | BehaviorFault;
export type FaultKind = InjectedFault['kind'];

/** Options of `createInjector`. */
export interface InjectorOptions {
  /** Probability in [0, 1] that a call is faulted; a function is evaluated per call (and clamped). */
  readonly rate: number | (() => number);
  /** Off switch; a function is evaluated per call. Default true. */
  readonly enabled?: boolean | (() => boolean);
  /** Seed of the PRNG; the same seed and the same call order replay the same faults. Default 1. */
  readonly seed?: number;
  /** Faults to pick from, by `weight` (default 1). Default: one `random_error`. */
  readonly faults?: readonly InjectedFault[];
}

/** Counters of an injector since creation or `reset()`. */
export interface InjectorStats {
  /** Calls seen while enabled. */
  readonly calls: number;
  /** Calls that got a fault. */
  readonly injected: number;
  readonly byKind: Readonly<Record<FaultKind, number>>;
  readonly byErrorType: Readonly<Record<ErrorFaultType, number>>;
}

const weight = z.number().finite().positive({ error: 'must be > 0' }).optional();
// A wait past Node's timer range would fire after 1 ms instead: bound it.
const nonNeg = z.number().finite().min(0, { error: 'must be >= 0' }).max(MAX_TIMER_MS, { error: `must be at most ${MAX_TIMER_MS}` });
const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('latency'),
    ms: z.union([
      nonNeg,
      z.strictObject({ min: nonNeg, max: nonNeg }).refine((r) => r.max >= r.min, { error: 'must be >= min', path: ['max'] }),
    ]),
    weight,
  }),
  z.strictObject({ kind: z.literal('error'), errorType: z.enum(errorFaultTypes), message: z.string().optional(), weight }),
  z.strictObject({ kind: z.literal('outcome'), value: z.unknown(), weight }),
  z.strictObject({ kind: z.literal('behavior'), run: z.custom<BehaviorFault['run']>((v) => typeof v === 'function', { error: 'must be a function' }), weight }),
]);
const isFn = (v: unknown): boolean => typeof v === 'function';
const optionsSchema = z.strictObject({
  rate: z.union([z.number().min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' }), z.custom<() => number>(isFn)], {
    error: 'must be a number between 0 and 1 or a function',
  }),
  enabled: z.union([z.boolean(), z.custom<() => boolean>(isFn)], { error: 'must be a boolean or a function' }).optional(),
  seed: z.number().int({ error: 'must be an integer' }).optional(),
  faults: z.array(faultSchema).min(1, { error: 'must list at least one fault' }).optional(),
});

function validate(opts: unknown): void {
  const r = optionsSchema.safeParse(opts);
  if (!r.success) throw new ValidationError('injector options', fieldIssues(r.error, opts), 'FL_ERR_INJECT_INVALID_CONFIG');
}

const DEFAULT_FAULTS: readonly InjectedFault[] = [{ kind: 'error', errorType: 'random_error' }];
const NO_SIGNAL: InjectContext = Object.freeze({ signal: new AbortController().signal });

function zeroKinds(): Record<FaultKind, number> {
  return { latency: 0, error: 0, outcome: 0, behavior: 0 };
}
function zeroErrors(): Record<ErrorFaultType, number> {
  return { network_timeout: 0, service_unavailable: 0, data_corruption: 0, resource_exhaustion: 0, random_error: 0 };
}

/** Calls `fn` and always answers a promise, also when `fn` returns a value or throws synchronously. */
function call<T>(fn: (context: InjectContext) => PromiseLike<T> | T, ctx: InjectContext): Promise<T> {
  try {
    return Promise.resolve(fn(ctx));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A seeded in-process fault injector; use it alone or inside `wrap(...)` with resilience policies. */
export class Injector {
  declare readonly _altReturn: never;
  readonly kind = 'injector';
  private opts: Required<InjectorOptions>;
  /** Constant `enabled: false`: the one branch the disabled path takes. */
  private off: boolean;
  private rng: () => number;
  private totalWeight = 0;
  private counters = { calls: 0, injected: 0, byKind: zeroKinds(), byErrorType: zeroErrors() };
  private readonly successEmitter = new EventEmitter<ISuccessEvent>();
  private readonly failureEmitter = new EventEmitter<IFailureEvent>();
  private readonly injectEmitter = new EventEmitter<{ fault: InjectedFault }>();
  /** cockatiel `IPolicy` events; the injector does not time calls, so `duration` is 0. */
  readonly onSuccess = this.successEmitter.addListener;
  readonly onFailure = this.failureEmitter.addListener;
  /** Fires when a fault is injected, before it takes effect. */
  readonly onInject = this.injectEmitter.addListener;

  constructor(opts: InjectorOptions) {
    validate(opts);
    this.opts = { enabled: true, seed: 1, faults: DEFAULT_FAULTS, ...opts };
    this.off = this.opts.enabled === false;
    this.rng = mulberry32(this.opts.seed);
    this.totalWeight = this.sumWeights();
  }

  /** The options in force. */
  get options(): Readonly<Required<InjectorOptions>> {
    return this.opts;
  }

  /**
   * Runs `fn`, or a fault in its place, at the configured rate.
   * @throws FaultInjectionError when an error fault is drawn; whatever `fn` throws otherwise.
   */
  execute<T>(fn: (context: InjectContext) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    if (this.off) return call(fn, signal === undefined ? NO_SIGNAL : { signal });
    const ctx = signal === undefined ? NO_SIGNAL : { signal };
    const { enabled, rate } = this.opts;
    if (typeof enabled === 'function' && !enabled()) return call(fn, ctx);
    this.counters.calls++;
    const r = typeof rate === 'function' ? Math.min(1, Math.max(0, Number(rate()) || 0)) : rate;
    // No fault this time: stay synchronous, no async frame.
    if (r <= 0 || this.rng() >= r) return call(fn, ctx);
    return this.inject(this.pick(), fn, ctx);
  }

  private async inject<T>(fault: InjectedFault, fn: (context: InjectContext) => PromiseLike<T> | T, ctx: InjectContext): Promise<T> {
    this.counters.injected++;
    this.counters.byKind[fault.kind]++;
    this.injectEmitter.emit({ fault });
    switch (fault.kind) {
      case 'latency': {
        const ms = typeof fault.ms === 'number' ? fault.ms : fault.ms.min + this.rng() * (fault.ms.max - fault.ms.min);
        await sleep(ms, ctx.signal);
        return fn(ctx);
      }
      case 'behavior':
        await fault.run(ctx);
        return fn(ctx);
      case 'outcome':
        this.successEmitter.emit({ duration: 0 });
        return (typeof fault.value === 'function' ? await (fault.value as () => unknown)() : fault.value) as T;
      case 'error': {
        this.counters.byErrorType[fault.errorType]++;
        const error = new FaultInjectionError(fault.errorType, fault.message);
        this.failureEmitter.emit({ duration: 0, handled: true, reason: { error } });
        throw error;
      }
    }
  }

  private pick(): InjectedFault {
    const faults = this.opts.faults;
    if (faults.length === 1) return faults[0] as InjectedFault;
    let x = this.rng() * this.totalWeight;
    for (const f of faults) {
      x -= f.weight ?? 1;
      if (x < 0) return f;
    }
    return faults[faults.length - 1] as InjectedFault;
  }

  private sumWeights(): number {
    return this.opts.faults.reduce((s, f) => s + (f.weight ?? 1), 0);
  }

  /** Per-kind counters since creation or the last `reset()`. */
  stats(): InjectorStats {
    const c = this.counters;
    return { calls: c.calls, injected: c.injected, byKind: { ...c.byKind }, byErrorType: { ...c.byErrorType } };
  }

  /** Zeroes the counters and re-seeds the PRNG, so the next calls replay the run from its start. */
  reset(): void {
    this.counters = { calls: 0, injected: 0, byKind: zeroKinds(), byErrorType: zeroErrors() };
    this.rng = mulberry32(this.opts.seed);
  }

  /**
   * Changes options live (rate, enabled, faults, seed); a new seed restarts the PRNG.
   * @throws ValidationError `FL_ERR_INJECT_INVALID_CONFIG`; the injector keeps its old options then.
   */
  configure(partial: Partial<InjectorOptions>): void {
    const next = { ...this.opts, ...partial };
    validate(next);
    this.opts = next;
    this.off = next.enabled === false;
    this.totalWeight = this.sumWeights();
    if (partial.seed !== undefined) this.rng = mulberry32(next.seed);
  }
}

/**
 * Creates a seeded fault injector.
 * @throws ValidationError `FL_ERR_INJECT_INVALID_CONFIG` naming each bad option.
 * @example
 * const chaos = createInjector({ rate: 0.2, seed: 7, faults: [
 *   { kind: 'latency', ms: { min: 50, max: 200 } },
 *   { kind: 'error', errorType: 'service_unavailable', weight: 2 },
 * ] });
 * const policy = wrap(retry({...}), circuitBreaker({...}), chaos);
 */
export function createInjector(opts: InjectorOptions): Injector {
  return new Injector(opts);
}
