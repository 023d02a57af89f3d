/**
 * The proxy module's public contract: what the executor, the CLI and the drills use.
 * Implementations: `tcp/` (createTcpProxy), `http/` (createHttpProxy), `recorder/`.
 * (Owned by the proxy module; the executor codes against these types.)
 */
import type { FaultConfigOf, FaultPlan, HttpFaultType, ToxicType } from '../plan/index.js';

/**
 * TCP toxic type ids (Toxiproxy's names) and HTTP fault type ids, derived from the plan's
 * fault-type registry: a registry entry without an implementation here is a compile error.
 * `down` is not a toxic: it is `setEnabled(false)`.
 */
export type { HttpFaultType, ToxicType };

/** A toxic as installed on a TCP proxy. `config` is the code form (camelCase) of the plan registry's schema, without `stream`. */
export interface ToxicSpec<T extends ToxicType = ToxicType> {
  /** Unique per proxy. Toxiproxy's default is `<type>_<stream>`. */
  readonly name: string;
  readonly type: T;
  readonly stream: 'upstream' | 'downstream';
  /** Probability per connection, 0..1 (a plan's percentage / 100). */
  readonly toxicity: number;
  readonly config: Omit<FaultConfigOf<T>, 'stream'>;
}

/** An HTTP fault rule: a matcher, a fault, and the share of matching requests it applies to. */
export interface HttpRuleSpec<T extends HttpFaultType = HttpFaultType> {
  /** Unique per proxy (the executor uses the apply_id). */
  readonly id: string;
  /** HTTP method, upper case; absent = any. */
  readonly method?: string;
  /** Exact path or a glob (`/payment/*`); absent = any. */
  readonly path?: string;
  /** Header name (any case) -> exact value; all must match. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly type: T;
  /** Code form of the plan registry's schema (includes phase, skip, count, maxActiveFaults). */
  readonly config: FaultConfigOf<T>;
  /** 0..100, per matching request. */
  readonly percentage: number;
}

/** Latency summary in milliseconds. */
export interface LatencySummary {
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** One structured event (the last 100 are kept per proxy and per fault). */
export interface ProxyEvent {
  readonly time: string; // ISO 8601
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly [key: string]: unknown;
}

/** What passed through a proxy, or through one installed fault (toxic name or rule id). */
export interface Observation {
  /** HTTP: requests; TCP: connections. */
  readonly requests: number;
  readonly faulted: number;
  /** HTTP status code -> count (string keys, e.g. "200"); TCP: empty. */
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly latencyMs: LatencySummary;
  readonly bytesIn: number; // client -> upstream
  readonly bytesOut: number; // upstream -> client
  /** Requests that ended in a 5xx, a reset or an error, over all requests (0 when none). */
  readonly errorRate: number;
  readonly errors: number;
  readonly logs: readonly ProxyEvent[];
}

/** What every proxy has. */
export interface ProxyBase {
  readonly name: string;
  readonly protocol: 'tcp' | 'http';
  /** The address it listens on, `host:port`, with the real port once listening (port 0 resolved). */
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  /** Starts listening. @throws when the address is taken. */
  start(): Promise<void>;
  /** `false`: the listener closes and open connections are cut; `true`: listens again on the same address. */
  setEnabled(enabled: boolean): Promise<void>;
  /** Stops listening, cuts connections, clears timers. Idempotent. */
  close(): Promise<void>;
  /** Totals since start (or since `resetStats`). Cheap; never blocks the data path. */
  stats(): Observation;
  /** Totals for one installed fault (toxic name / rule id), kept after its removal until `forget`. */
  observe(faultId: string): Observation | undefined;
  forget(faultId: string): void;
}

export interface TcpProxy extends ProxyBase {
  readonly protocol: 'tcp';
  /** @throws ProxyConflictError when a toxic of that name exists; ValidationError on bad config. */
  addToxic(spec: ToxicSpec): void;
  /** Replaces attributes / toxicity / stream of an existing toxic live. @throws ProxyNotFoundError */
  updateToxic(name: string, patch: Partial<Omit<ToxicSpec, 'name' | 'type'>>): void;
  /** @returns false when there was none. */
  removeToxic(name: string): boolean;
  listToxics(): ToxicSpec[];
  removeAllToxics(): void;
}

export interface HttpProxy extends ProxyBase {
  readonly protocol: 'http';
  /** @throws ProxyConflictError when a rule with that id exists. */
  addRule(rule: HttpRuleSpec): void;
  removeRule(id: string): boolean;
  listRules(): HttpRuleSpec[];
  removeAllRules(): void;
  /** Calls `listener` once when the proxy is closed (at once if it already is). @returns an unsubscribe function. */
  onClose(listener: () => void): () => void;
}

export type Proxy = TcpProxy | HttpProxy;

/** Options both factories take. */
export interface ProxyOptions {
  readonly name: string;
  /** `host:port`; port 0 picks a free one. */
  readonly listen: string;
  /** `host:port` (tcp) or `http://host:port` / `host:port` (http). */
  readonly upstream: string;
}

/** A plan installed on a proxy by {@link schedulePlan}: starts and ends on time, removable at once. */
export interface ScheduledFault {
  readonly id: string;
  /** Resolves when the fault is installed (after start delay); rejects if install failed. */
  readonly started: Promise<void>;
  /** Resolves when the fault has been removed (end time, cancel, or proxy closed). */
  readonly ended: Promise<'completed' | 'cancelled'>;
  /** Removes the fault now (or prevents its start). Idempotent. */
  cancel(): void;
}

/** Absolute times for {@link schedulePlan}; the executor re-arms with these after a restart. */
export interface ScheduleTimes {
  /** Epoch ms; default now + plan.startDelayMs. */
  readonly startAt?: number;
  /** Epoch ms; default startAt + plan.durationSeconds * 1000. */
  readonly endAt?: number;
}

export type { FaultPlan };
