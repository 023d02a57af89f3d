/**
 * The executor SDK over HTTP.
 *
 *   call ──▶ retry (retryable errors only, by classify) ──▶ breaker ──▶ one attempt
 *                                                                    (undici, connect + read timeouts)
 *
 * Every answer is mapped to a typed error at one place (`#attempt`), so callers branch on
 * `err.code` and the retry policy sees the same classification as `classify`.
 */
import { Agent, request, errors as undiciErrors, type Dispatcher } from 'undici';
import { safeParsePlan, toWirePlan, camelizeKeys, type FaultPlan, type FaultPlanWire, type FieldIssue } from '../plan/index.js';
import {
  CircuitOpenError as PolicyCircuitOpenError,
  circuitBreaker,
  retry,
  wrap,
  classify,
  type RetryOptions,
  type CircuitBreakerOptions,
} from '../resilience/index.js';
import {
  CircuitOpenError,
  ExecutorBadRequestError,
  ExecutorClientError,
  ExecutorConnectionError,
  ExecutorNotFoundError,
  ExecutorResponseError,
  ExecutorTimeoutError,
  ExecutorUnauthorizedError,
} from './errors.js';
import { ClientMetricsRecorder, type ClientMetrics } from './metrics.js';
import type {
  ApplyResult,
  ExecutorClient,
  ExecutorHealth,
  FaultMetrics,
  FaultStatus,
  PlanInput,
  RawObservation,
} from './types.js';

/** Options of {@link HttpExecutorClient}; every field but `baseUrl` has a default. */
export interface HttpExecutorClientOptions {
  /** e.g. `http://127.0.0.1:8474` */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; default `FAULTLINE_TOKEN` from the environment. */
  readonly token?: string;
  /** TCP connect timeout (default 2000 ms). */
  readonly connectTimeoutMs?: number;
  /** Time to wait for an answer, per attempt (default 10000 ms). */
  readonly readTimeoutMs?: number;
  /** Retry for retryable failures (default: exponential, 100 ms doubling to 2 s, 3 attempts, full jitter). */
  readonly retry?: Partial<RetryOptions>;
  /** Breaker over executor failures (default: 5 consecutive, 10 s reset, 1 trial call). */
  readonly breaker?: Partial<CircuitBreakerOptions>;
  /** How long a `checkHealth` answer is reused (default 5000 ms). */
  readonly healthCheckIntervalMs?: number;
  /** An undici dispatcher to use instead of the client's own agent. */
  readonly dispatcher?: Dispatcher;
  /**
   * Which door the faults this client applies come through, as `GET /v1/faults` lists them
   * (`source`): `drill` for the drill runner, `cli` for the CLI; default `v1`.
   */
  readonly source?: 'v1' | 'drill' | 'cli';
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

function failureKind(err: unknown): string {
  if (err instanceof ExecutorClientError) return err.code.replace(/^FL_ERR_CLIENT_/, '').toLowerCase();
  return classify(err).kind;
}

function isRetryable(err: unknown, idempotent: boolean): boolean {
  if (err instanceof ExecutorConnectionError) return true;
  // A timed-out POST may have been applied: only repeat calls that are safe to repeat.
  if (err instanceof ExecutorTimeoutError) return idempotent;
  if (err instanceof ExecutorResponseError && err.status !== undefined) return classify(err.status).retryable;
  return false;
}

/** Counts toward the breaker: the executor is unreachable or failing, not "you sent a bad request". */
function isExecutorFailure(err: unknown): boolean {
  if (err instanceof ExecutorConnectionError || err instanceof ExecutorTimeoutError) return true;
  return err instanceof ExecutorResponseError && (err.status ?? 0) >= 500;
}

/**
 * The executor SDK: apply plans, poll their status, read their metrics, cancel, halt.
 * @example
 * const client = new HttpExecutorClient({ baseUrl: 'http://127.0.0.1:8474' });
 * const obs = await client.applyAndObserve({ service: 'api', fault_type: 'abort', duration_seconds: 5 });
 */
export class HttpExecutorClient implements ExecutorClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #source: 'v1' | 'drill' | 'cli';
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #readTimeoutMs: number;
  readonly #healthIntervalMs: number;
  readonly #metrics = new ClientMetricsRecorder();
  readonly #breaker;
  readonly #idempotent;
  readonly #unsafe;
  #health: { at: number; ok: boolean } | undefined;

  constructor(options: HttpExecutorClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token ?? process.env.FAULTLINE_TOKEN;
    this.#source = options.source ?? 'v1';
    this.#readTimeoutMs = options.readTimeoutMs ?? 10_000;
    this.#healthIntervalMs = options.healthCheckIntervalMs ?? 5_000;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        connect: { timeout: options.connectTimeoutMs ?? 2_000 },
        headersTimeout: this.#readTimeoutMs,
        bodyTimeout: this.#readTimeoutMs,
        keepAliveTimeout: 4_000,
      });
    this.#breaker = circuitBreaker({
      failureThreshold: 5,
      resetTimeoutMs: 10_000,
      halfOpenMaxCalls: 1,
      successThreshold: 1,
      ...options.breaker,
      shouldCount: isExecutorFailure,
    });
    this.#breaker.onStateChange((change) => {
      if (change.to === 'open') this.#metrics.breakerOpened();
    });
    const retryOptions = (idempotent: boolean) =>
      retry({
        strategy: 'exponential',
        initialDelayMs: 100,
        maxDelayMs: 2_000,
        maxAttempts: 3,
        jitter: 'full',
        ...options.retry,
        shouldRetry: (err) => isRetryable(err, idempotent),
        onRetry: () => this.#metrics.retry(),
      });
    // Retry outside the breaker: every attempt counts toward it, and an open breaker is not retried.
    this.#idempotent = wrap(retryOptions(true), this.#breaker);
    this.#unsafe = wrap(retryOptions(false), this.#breaker);
  }

  /** Counters of every call this client made (total, success, failures by kind, retries, breaker opens, latency). */
  clientMetrics(): ClientMetrics {
    return this.#metrics.snapshot();
  }

  /** The breaker's state: `closed`, `open` or `half_open`. */
  get breakerState(): string {
    return this.#breaker.state;
  }

  async apply(plan: PlanInput): Promise<ApplyResult> {
    const body = await this.#call<{ apply_id: string; status: 'applied' | 'scheduled' }>('POST', '/v1/faults/apply', toWire(plan), false);
    return { applyId: body.apply_id, status: body.status };
  }

  async status(applyId: string): Promise<FaultStatus> {
    return camelizeKeys(await this.#call<WireStatus>('GET', `/v1/faults/${encodeURIComponent(applyId)}/status`)) as FaultStatus;
  }

  async metrics(applyId: string): Promise<FaultMetrics> {
    return camelizeKeys(await this.#call<Record<string, unknown>>('GET', `/v1/faults/${encodeURIComponent(applyId)}/metrics`)) as unknown as FaultMetrics;
  }

  async list(): Promise<FaultStatus[]> {
    const body = await this.#call<{ faults?: WireStatus[] } | WireStatus[]>('GET', '/v1/faults');
    const items = Array.isArray(body) ? body : (body.faults ?? []);
    return items.map((s) => camelizeKeys(s) as FaultStatus);
  }

  async cancel(applyId: string): Promise<void> {
    await this.#call('DELETE', `/v1/faults/${encodeURIComponent(applyId)}`, undefined, true);
  }

  async halt(): Promise<void> {
    await this.#call('POST', '/v1/halt', {}, true);
  }

  async applyAndObserve(plan: PlanInput, options: { timeoutMs?: number; pollIntervalMs?: number } = {}): Promise<RawObservation> {
    const started = Date.now();
    const wire = toWire(plan);
    const planMs = ((wire.duration_seconds ?? 60) * 1000) + (wire.start_delay_ms ?? 0);
    const timeoutMs = options.timeoutMs ?? planMs + 30_000;
    const pollMs = options.pollIntervalMs ?? 250;
    const { applyId } = await this.apply(wire);
    let status = await this.status(applyId);
    while (status.status === 'pending' || status.status === 'running') {
      if (Date.now() - started > timeoutMs) {
        await this.cancel(applyId).catch(() => undefined);
        throw new ExecutorTimeoutError(`application ${applyId} still ${status.status} after ${timeoutMs} ms; cancelled it`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
      status = await this.status(applyId);
    }
    const metrics = await this.metrics(applyId);
    return {
      applyId,
      plan: wire,
      status: status.status,
      startTime: status.startTime,
      endTime: status.endTime,
      errorMsg: status.errorMsg,
      metrics,
      elapsedMs: Date.now() - started,
    };
  }

  async checkHealth(): Promise<boolean> {
    const now = Date.now();
    if (this.#health && now - this.#health.at < this.#healthIntervalMs) return this.#health.ok;
    let ok: boolean;
    try {
      await this.health();
      ok = true;
    } catch {
      ok = false;
    }
    this.#health = { at: Date.now(), ok };
    return ok;
  }

  /** `GET /v1/health`, uncached. @throws ExecutorClientError */
  async health(): Promise<ExecutorHealth> {
    return camelizeKeys(await this.#call<Record<string, unknown>>('GET', '/v1/health')) as unknown as ExecutorHealth;
  }

  /** Supervised processes (`GET /v1/processes`), in the executor's snake_case form. */
  async listProcesses(): Promise<Record<string, unknown>[]> {
    const body = await this.#call<{ processes?: Record<string, unknown>[] } | Record<string, unknown>[]>('GET', '/v1/processes');
    return Array.isArray(body) ? body : (body.processes ?? []);
  }

  async getProcess(name: string): Promise<Record<string, unknown>> {
    return this.#call('GET', `/v1/processes/${encodeURIComponent(name)}`);
  }

  async killProcess(name: string, signal?: string): Promise<Record<string, unknown>> {
    return this.#call('POST', `/v1/processes/${encodeURIComponent(name)}/kill`, signal === undefined ? {} : { signal }, false);
  }

  async pauseProcess(name: string, durationMs: number): Promise<Record<string, unknown>> {
    return this.#call('POST', `/v1/processes/${encodeURIComponent(name)}/pause`, { duration_ms: durationMs }, false);
  }

  async restartProcess(name: string): Promise<Record<string, unknown>> {
    return this.#call('POST', `/v1/processes/${encodeURIComponent(name)}/restart`, {}, false);
  }

  /** A raw call to any executor path, through the same policies and error mapping. */
  async call<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
    return this.#call<T>(method, path, body, method !== 'POST');
  }

  /** Closes the client's own connection pool. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async #call<T>(method: Method, path: string, body?: unknown, idempotent = method === 'GET'): Promise<T> {
    const started = performance.now();
    try {
      const policy = idempotent ? this.#idempotent : this.#unsafe;
      const result = await policy.execute(({ signal }) => this.#attempt<T>(method, path, body, signal));
      this.#metrics.call(performance.now() - started);
      return result;
    } catch (err) {
      const mapped = err instanceof PolicyCircuitOpenError ? new CircuitOpenError(err) : err;
      this.#metrics.call(performance.now() - started, failureKind(mapped));
      throw mapped;
    }
  }

  async #attempt<T>(method: Method, path: string, body: unknown, signal: AbortSignal | undefined): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (this.#source !== 'v1') headers['x-faultline-source'] = this.#source;
    const url = `${this.baseUrl}${path}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        dispatcher: this.#dispatcher,
        // undici's own timers are coarse (hundreds of ms); a timer signal keeps the read timeout exact.
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.#readTimeoutMs)]) : AbortSignal.timeout(this.#readTimeoutMs),
        headersTimeout: this.#readTimeoutMs,
        bodyTimeout: this.#readTimeoutMs,
      });
    } catch (err) {
      throw mapTransportError(err, method, url);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw mapTransportError(err, method, url);
    }
    const json = parseJson(text);
    if (res.statusCode >= 200 && res.statusCode < 300) return (json ?? {}) as T;
    const message = errorMessage(json, `${method} ${path} answered ${res.statusCode}`);
    switch (res.statusCode) {
      case 400:
        throw new ExecutorBadRequestError(message, readIssues(json));
      case 401:
        throw new ExecutorUnauthorizedError(message);
      case 404:
        throw new ExecutorNotFoundError(message);
      default:
        throw new ExecutorResponseError(message, res.statusCode, {
          ...(json !== null && typeof json === 'object' ? { body: json } : {}),
          ...(res.headers['retry-after'] !== undefined ? { retry_after: String(res.headers['retry-after']) } : {}),
        });
    }
  }
}

interface WireStatus {
  apply_id: string;
  status: string;
  start_time: string | null;
  end_time: string | null;
  error_msg: string | null;
}

function toWire(plan: PlanInput): FaultPlanWire {
  if ('faultType' in plan) return toWirePlan(plan as FaultPlan);
  return plan;
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function errorMessage(json: unknown, fallback: string): string {
  if (json !== null && typeof json === 'object') {
    const e = (json as { error?: unknown; message?: unknown }).error ?? (json as { message?: unknown }).message;
    if (typeof e === 'string') return e;
  }
  return fallback;
}

function readIssues(json: unknown): FieldIssue[] {
  const issues = json !== null && typeof json === 'object' ? (json as { issues?: unknown }).issues : undefined;
  if (!Array.isArray(issues)) return [];
  return issues
    .filter((i): i is { path: unknown; message: unknown } => i !== null && typeof i === 'object')
    .map((i) => ({ path: String(i.path), message: String(i.message) }));
}

function mapTransportError(err: unknown, method: string, url: string): ExecutorClientError {
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'))
  ) {
    return new ExecutorTimeoutError(`${method} ${url} timed out`, err);
  }
  const kind = classify(err);
  if (kind.kind === 'timeout') return new ExecutorTimeoutError(`${method} ${url} timed out`, err);
  return new ExecutorConnectionError(`${method} ${url} failed: ${err instanceof Error ? err.message : String(err)}`, err);
}

/** Validates a wire plan locally before sending; returns the field issues (empty when valid). */
export function checkPlan(plan: unknown): FieldIssue[] {
  const r = safeParsePlan(plan);
  return r.ok ? [] : r.issues;
}
