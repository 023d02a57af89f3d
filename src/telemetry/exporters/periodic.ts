/**
 * The scheduling shared by every exporter: one export at a time, on its own timer, with backoff.
 *
 *   start() ─▶ export ─ok──▶ wait intervalMs ─▶ export ─fail─▶ wait min(initial·m^(n-1), max) ─▶ export ...
 *
 * The next attempt is armed only after the previous one settled, so two exports never overlap;
 * `exportNow()` joins the export in flight. A failure is logged, counted and retried sooner than
 * the interval, backing off up to the cap; nothing is thrown out of the timer. Timers are unref'd:
 * an exporter never keeps the process alive.
 */
import type { Logger } from 'pino';
import type { ExporterStatus, ExportResult, TelemetryExporter } from '../types.js';
import { getOrCreateCounter } from '../registry.js';
import type { Registry } from 'prom-client';

/** The logger methods telemetry uses (a pino logger fits). */
export type TelemetryLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Backoff after a failed export: the n-th consecutive failure waits `min(initialMs * multiplier^(n-1), maxMs)`. */
export interface ExportBackoff {
  /** Default: a tenth of the interval, at least 50 ms. */
  readonly initialMs?: number;
  /** Default: the interval (a down sink is never retried less often than a healthy one is written). */
  readonly maxMs?: number;
  /** Default 2. */
  readonly multiplier?: number;
}

/** Options every exporter takes. */
export interface ExporterCommonOptions {
  /** Shown in `status().name`, logs and the exports counter (default: the exporter type, `pushgateway` or `influxdb`). */
  readonly name?: string;
  readonly intervalMs: number;
  /** Per-request timeout (default: the interval, between 1 s and 10 s). */
  readonly timeoutMs?: number;
  readonly backoff?: ExportBackoff;
  /** Logs failures (warn) and recoveries (info). Default: silent. */
  readonly logger?: TelemetryLogger;
  /** Export outcomes are counted here as `faultline_telemetry_exports_total{exporter,result}`. */
  readonly registry?: Registry;
}

/** Options of {@link createPeriodicExporter}. */
export interface PeriodicExporterOptions extends ExporterCommonOptions {
  readonly name: string;
  readonly url: string;
  /** One export; rejects on failure. Gets an AbortSignal that fires on the per-request timeout. */
  readonly send: (signal: AbortSignal) => Promise<void>;
}

const silent: TelemetryLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as TelemetryLogger;

function message(error: unknown): string {
  if (error instanceof AggregateError && error.message === '' && error.errors[0] !== undefined) return message(error.errors[0]);
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const code = (error as { code?: unknown }).code;
    return `${error.message || error.name}${typeof code === 'string' && !error.message.includes(code) ? ` (${code})` : ''}${cause}`;
  }
  return String(error);
}

/** The URL without user info (credentials must not reach `/v1/health` or logs). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Default per-request timeout for an interval. */
export function defaultTimeoutMs(intervalMs: number): number {
  return Math.min(10_000, Math.max(1_000, intervalMs));
}

/**
 * Wraps a `send` function in the exporter life cycle (timer, no overlap, backoff, status, metrics).
 * The building block of the Pushgateway and InfluxDB exporters; use it for a custom sink.
 */
export function createPeriodicExporter(options: PeriodicExporterOptions): TelemetryExporter {
  const { name, intervalMs, send } = options;
  const url = redactUrl(options.url);
  if (!(intervalMs > 0)) throw new RangeError(`${name} exporter: intervalMs must be > 0`);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(intervalMs);
  const initialMs = options.backoff?.initialMs ?? Math.max(50, Math.round(intervalMs / 10));
  const maxMs = options.backoff?.maxMs ?? Math.max(intervalMs, initialMs);
  const multiplier = options.backoff?.multiplier ?? 2;
  const logger = options.logger ?? silent;
  const counter =
    options.registry === undefined
      ? null
      : getOrCreateCounter(options.registry, {
          name: 'faultline_telemetry_exports_total',
          help: 'Exports attempted by telemetry exporters, by exporter and result (ok, error).',
          labelNames: ['exporter', 'result'],
        });

  let exportCount = 0;
  let errorCount = 0;
  let consecutiveErrors = 0;
  let lastError: string | null = null;
  let lastErrorAt: string | null = null;
  let lastExportAt: string | null = null;
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<ExportResult> | null = null;

  function nextDelay(): number {
    if (consecutiveErrors === 0) return intervalMs;
    return Math.min(maxMs, initialMs * multiplier ** (consecutiveErrors - 1));
  }

  function arm(delayMs: number): void {
    if (!running) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void attempt().then(() => arm(nextDelay()));
    }, delayMs);
    timer.unref();
  }

  async function once(): Promise<ExportResult> {
    const started = performance.now();
    const abort = new AbortController();
    const guard = setTimeout(() => abort.abort(new Error(`${name} export timed out after ${timeoutMs} ms`)), timeoutMs);
    guard.unref();
    try {
      // A send that ignores its signal still cannot hang the exporter past the timeout.
      await Promise.race([
        send(abort.signal),
        new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true })),
      ]);
      const durationMs = performance.now() - started;
      exportCount += 1;
      lastExportAt = new Date().toISOString();
      if (consecutiveErrors > 0) logger.info({ exporter: name, url, failures: consecutiveErrors }, `${name} export recovered`);
      consecutiveErrors = 0;
      counter?.inc({ exporter: name, result: 'ok' });
      return { ok: true, durationMs };
    } catch (error) {
      const durationMs = performance.now() - started;
      errorCount += 1;
      consecutiveErrors += 1;
      lastError = message(error);
      lastErrorAt = new Date().toISOString();
      counter?.inc({ exporter: name, result: 'error' });
      logger.warn(
        { exporter: name, url, err: lastError, errorCount, consecutiveErrors, retryInMs: running ? nextDelay() : null },
        `${name} export failed`,
      );
      return { ok: false, durationMs, error: lastError };
    } finally {
      clearTimeout(guard);
    }
  }

  function attempt(): Promise<ExportResult> {
    if (inFlight === null) {
      inFlight = once().finally(() => {
        inFlight = null;
      });
    }
    return inFlight;
  }

  return {
    name,
    start() {
      if (running) return;
      running = true;
      arm(0);
    },
    async stop() {
      running = false;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (inFlight !== null) await inFlight;
    },
    exportNow: attempt,
    status(): ExporterStatus {
      return { name, url, intervalMs, exportCount, errorCount, lastError, lastExportAt, lastErrorAt, consecutiveErrors, running };
    },
  };
}
