/**
 * The in-process resilience drill: a two-stage pipeline (search, then generate) with faults
 * injected into each stage, run once bare and once behind fallback + retry + circuit breaker.
 *
 * ```
 *  request --> [fallback] --> [retry] --> [breaker] --> injector --> search()
 *          --> [fallback] --> [retry] --> [breaker] --> injector --> generate()
 *              (bare mode: injector --> stage only)
 * ```
 *
 * Replayable: every random choice comes from PRNGs seeded by `seed`, requests run one after
 * another, and the breakers read a logical clock the drill advances per request, so the same
 * seed gives the same success rates, fault counts and breaker transitions. Only latencies vary.
 */
import { circuitBreaker, fallback, retry, wrap, type CircuitBreakerPolicy, type StateChange } from '../resilience/index.js';
import { errorFaultTypes } from './errors.js';
import { createInjector, type InjectedFault, type Injector } from './injector.js';
import { mulberry32 } from './rng.js';

/** Options of `runInprocDrill`. */
export interface InprocDrillOptions {
  /** Fault rates to run, each in [0, 1]. */
  readonly rates: readonly number[];
  readonly seed: number;
  /** Requests per rate and mode. Default 200. */
  readonly requests?: number;
}

/** Breaker transitions seen in one mode. */
export interface BreakerSummary {
  readonly opens: number;
  readonly halfOpens: number;
  readonly closes: number;
  /** Each change with its stage and the request index (logical time) it happened at. */
  readonly transitions: readonly { readonly stage: 'search' | 'generate'; readonly from: string; readonly to: string; readonly request: number }[];
}

/** Results of one mode at one rate. */
export interface InprocModeResult {
  readonly requests: number;
  /** Requests answered in full (no fallback). */
  readonly successes: number;
  /** Requests answered by a fallback (degraded). */
  readonly degraded: number;
  /** Requests that ended in an error. */
  readonly failures: number;
  /** successes / requests. */
  readonly successRate: number;
  /** (successes + degraded) / requests. */
  readonly answeredRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** Stage calls made, retries included. */
  readonly attempts: number;
  readonly retries: number;
  /** Faults injected, by kind (`latency` and each error type). */
  readonly faults: Readonly<Record<string, number>>;
  readonly breaker: BreakerSummary;
}

/** One rate's run, bare and resilient. */
export interface InprocRateResult {
  readonly rate: number;
  readonly seed: number;
  readonly bare: InprocModeResult;
  readonly resilient: InprocModeResult;
}

const FAULTS: readonly InjectedFault[] = [
  { kind: 'latency', ms: { min: 1, max: 3 }, weight: 2 },
  { kind: 'error', errorType: 'network_timeout', weight: 2 },
  { kind: 'error', errorType: 'service_unavailable', weight: 3 },
  { kind: 'error', errorType: 'resource_exhaustion', weight: 1 },
  { kind: 'error', errorType: 'data_corruption', weight: 1 },
  { kind: 'error', errorType: 'random_error', weight: 1 },
];

const WORDS = ['retry', 'breaker', 'latency', 'timeout', 'bulkhead', 'fallback', 'jitter', 'backoff', 'outage', 'replica', 'quorum', 'lease'];
const CORPUS: readonly string[] = Array.from({ length: 64 }, (_, i) =>
  Array.from({ length: 24 }, (_, j) => WORDS[(i * 7 + j * 5 + ((i * j) % 11)) % WORDS.length]).join(' '),
);

const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Stage 1: scores the corpus against the query's words and returns the best three documents. */
async function search(query: string, signal: AbortSignal): Promise<string[]> {
  await yieldTurn();
  signal.throwIfAborted();
  const terms = query.split(' ');
  const scored = CORPUS.map((doc, i) => ({ i, score: terms.reduce((s, t) => s + (doc.includes(t) ? 1 : 0), 0) + (fnv1a(doc + query) % 7) / 10 }));
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, 3).map((s) => CORPUS[s.i] as string);
}

/** Stage 2: builds an answer from the documents and checksums it. */
async function generate(query: string, docs: readonly string[], signal: AbortSignal): Promise<string> {
  await yieldTurn();
  signal.throwIfAborted();
  const body = docs.map((d) => d.split(' ').filter((w) => query.includes(w)).join(' ')).join(' | ');
  return `${query}: ${body} #${fnv1a(body).toString(16)}`;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[idx] as number) * 1000) / 1000;
}

function faultCounts(injectors: readonly Injector[]): Record<string, number> {
  const out: Record<string, number> = { latency: 0 };
  for (const t of errorFaultTypes) out[t] = 0;
  let total = 0;
  for (const inj of injectors) {
    const s = inj.stats();
    out['latency'] = (out['latency'] ?? 0) + s.byKind.latency;
    for (const t of errorFaultTypes) out[t] = (out[t] ?? 0) + s.byErrorType[t];
    total += s.injected;
  }
  out['total'] = total;
  return out;
}

async function runMode(rate: number, seed: number, requests: number, resilient: boolean): Promise<InprocModeResult> {
  // Sub-seeds from the drill seed: one per stage injector, one for queries, one for jitter.
  const seeds = mulberry32(seed);
  const draw = (): number => Math.floor(seeds() * 2 ** 31);
  const searchFaults = createInjector({ rate, seed: draw(), faults: FAULTS });
  const generateFaults = createInjector({ rate, seed: draw(), faults: FAULTS });
  const queryRng = mulberry32(draw());
  const jitterRng = mulberry32(draw());

  let clock = 0;
  let request = 0;
  let attempts = 0;
  const transitions: { stage: 'search' | 'generate'; from: string; to: string; request: number }[] = [];
  const makeBreaker = (stage: 'search' | 'generate'): CircuitBreakerPolicy => {
    const b = circuitBreaker({ failureThreshold: 5, resetTimeoutMs: 50, halfOpenMaxCalls: 3, successThreshold: 2, now: () => clock });
    b.onStateChange((c: StateChange) => transitions.push({ stage, from: c.from, to: c.to, request }));
    return b;
  };
  const retryPolicy = () =>
    retry({ strategy: 'exponential', initialDelayMs: 1, maxDelayMs: 4, maxAttempts: 4, jitter: 'full', rng: jitterRng });
  const DEGRADED_DOCS: string[] = [];
  const DEGRADED_ANSWER = '(degraded: cached answer)';
  const searchPolicy = wrap(fallback(DEGRADED_DOCS), retryPolicy(), makeBreaker('search'), searchFaults);
  const generatePolicy = wrap(fallback(DEGRADED_ANSWER), retryPolicy(), makeBreaker('generate'), generateFaults);

  let successes = 0;
  let degraded = 0;
  let failures = 0;
  const latencies: number[] = [];
  for (request = 0; request < requests; request++) {
    clock = request * 10; // logical ms: 10 per request
    const query = `${WORDS[Math.floor(queryRng() * WORDS.length)]} ${WORDS[Math.floor(queryRng() * WORDS.length)]}`;
    const start = performance.now();
    try {
      let docs: string[];
      let answer: string;
      if (resilient) {
        docs = await searchPolicy.execute(({ signal }) => {
          attempts++;
          return search(query, signal);
        });
        answer = await generatePolicy.execute(({ signal }) => {
          attempts++;
          return generate(query, docs, signal);
        });
      } else {
        docs = await searchFaults.execute(({ signal }) => {
          attempts++;
          return search(query, signal);
        });
        answer = await generateFaults.execute(({ signal }) => {
          attempts++;
          return generate(query, docs, signal);
        });
      }
      if (docs === DEGRADED_DOCS || answer === DEGRADED_ANSWER) degraded++;
      else successes++;
    } catch {
      failures++;
    }
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  const retries = searchPolicy.metrics().retries + generatePolicy.metrics().retries;
  return {
    requests,
    successes,
    degraded,
    failures,
    successRate: successes / requests,
    answeredRate: (successes + degraded) / requests,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    attempts: resilient ? searchPolicy.metrics().attempts + generatePolicy.metrics().attempts : attempts,
    retries: resilient ? retries : 0,
    faults: faultCounts([searchFaults, generateFaults]),
    breaker: {
      opens: transitions.filter((t) => t.to === 'open').length,
      halfOpens: transitions.filter((t) => t.to === 'half_open').length,
      closes: transitions.filter((t) => t.to === 'closed').length,
      transitions,
    },
  };
}

/**
 * Runs the in-process drill at each rate, bare then resilient, one request at a time.
 * @example
 * const [r] = await runInprocDrill({ rates: [0.3], seed: 7 });
 * r.resilient.successRate > r.bare.successRate // true
 */
export async function runInprocDrill(opts: InprocDrillOptions): Promise<InprocRateResult[]> {
  const requests = opts.requests ?? 200;
  const out: InprocRateResult[] = [];
  for (const rate of opts.rates) {
    const bare = await runMode(rate, opts.seed, requests, false);
    const resilient = await runMode(rate, opts.seed, requests, true);
    out.push({ rate, seed: opts.seed, bare, resilient });
  }
  return out;
}

/**
 * Parses a `--rate` value: `0.3`, a list `0.1,0.3`, or a range `0.1..0.5` in 0.1 steps.
 * Returns undefined when the text is not one of those or a rate lies outside [0, 1].
 */
export function parseRates(text: string): number[] | undefined {
  const num = (s: string): number | undefined => (/^\s*\d*\.?\d+\s*$/.test(s) ? Number(s) : undefined);
  let rates: (number | undefined)[];
  const range = /^(.+)\.\.(.+)$/.exec(text);
  if (range) {
    const lo = num(range[1] as string);
    const hi = num(range[2] as string);
    if (lo === undefined || hi === undefined || hi < lo) return undefined;
    rates = [];
    for (let k = 0; lo + k * 0.1 <= hi + 1e-9; k++) rates.push(Math.round((lo + k * 0.1) * 1000) / 1000);
  } else {
    rates = text.split(',').map(num);
  }
  if (rates.length === 0 || rates.some((r) => r === undefined || r < 0 || r > 1)) return undefined;
  return rates as number[];
}
