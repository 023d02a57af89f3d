/**
 * The alert engine: samples signals on an interval and evaluates each rule over a sliding window.
 *
 *   sample() ─▶ value per rule ─▶ condition held since? ─(held >= for)─▶ fire ─▶ log, metrics, listeners, webhook
 *                                        └─(condition false)─────────────▶ resolve ─▶ (same)
 *
 * `for <d>`: the condition must hold at every tick for `d` before the alert fires; one tick where
 * it does not resets the window (and resolves a firing alert). `restarts > n in <d>`: the value is
 * the increase of the cumulative restart count since the newest sample at or before `now - d`.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { Registry } from 'prom-client';
import { getOrCreateCounter, getOrCreateGauge } from '../registry.js';
import type { TelemetryLogger } from '../exporters/periodic.js';
import type { Alert, AlertEngine, AlertRule, AlertSignals, Disposable } from '../types.js';
import { compare, parseAlertRule } from './rule.js';

/** Options of {@link createAlertEngine}. */
export interface AlertEngineOptions {
  /** Parsed rules (`parseAlertsConfig(yaml.alerts).rules`) or rule strings (parsed here). */
  readonly rules: readonly (AlertRule | string)[];
  /** Returns the current signals; called once per tick. A throw skips the tick (logged). */
  readonly sample: () => AlertSignals;
  /** Evaluation interval for `start()` (default 1000 ms). */
  readonly intervalMs?: number;
  /** Every alert change is POSTed here as JSON, unless its rule names its own webhook. */
  readonly webhookUrl?: string;
  /** Timeout of one webhook POST (default 5000 ms). */
  readonly webhookTimeoutMs?: number;
  readonly logger?: TelemetryLogger;
  /** Counts alerts (`faultline_alerts_fired_total{rule}`, `faultline_alerts_firing{rule}`) and webhook results. */
  readonly registry?: Registry;
  /** The clock (epoch ms); default `Date.now`. Tests pass a fake one or call `tick(now)`. */
  readonly now?: () => number;
  /** Resolved alerts kept for `list()` (default 200). */
  readonly historyLimit?: number;
}

interface RuleState {
  readonly rule: AlertRule;
  pendingSince: number | null;
  active: Alert | null;
  samples: { t: number; v: number }[];
}

function valueOf(state: RuleState, signals: AlertSignals, now: number): number | null {
  const { rule } = state;
  switch (rule.signal) {
    case 'error_rate':
      return signals.errorRate ?? null;
    case 'latency_p95_ms':
      return signals.latencyP95Ms ?? null;
    case 'breaker_open':
      return signals.breakerOpen === undefined ? null : signals.breakerOpen ? 1 : 0;
    case 'process_unhealthy':
      return signals.unhealthyProcesses === undefined ? null : signals.unhealthyProcesses.length;
    case 'restarts': {
      const total = signals.restarts;
      if (total === undefined) return null;
      if (rule.windowMs === null) return total;
      const start = now - rule.windowMs;
      state.samples.push({ t: now, v: total });
      // Keep one sample at or before the window's start: the baseline.
      while (state.samples.length > 1 && (state.samples[1] as { t: number }).t <= start) state.samples.shift();
      const base = state.samples[0] as { t: number; v: number };
      return total >= base.v ? total - base.v : total; // a lower count means the counter was reset
    }
  }
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as TelemetryLogger;

/**
 * Creates an alert engine over `rules`. Call `start()` to evaluate on a timer, or `tick(now)` to
 * step it (fake clock).
 * @throws AlertRuleError when a rule given as a string does not parse.
 * @example
 * const engine = createAlertEngine({ rules: parseAlertsConfig(yaml.alerts).rules, sample: () => ({ errorRate: recorder.errorRate() }), registry, logger });
 * engine.start();
 */
export function createAlertEngine(options: AlertEngineOptions): AlertEngine {
  const clock = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 1000;
  const logger = options.logger ?? silent;
  const historyLimit = options.historyLimit ?? 200;
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 5000;
  const states: RuleState[] = options.rules.map((r) => ({ rule: typeof r === 'string' ? parseAlertRule(r) : r, pendingSince: null, active: null, samples: [] }));
  const listeners = new Set<(alert: Alert) => void>();
  const resolvedHistory: Alert[] = [];
  const deliveries = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | null = null;

  const registry = options.registry;
  const fired = registry && getOrCreateCounter(registry, { name: 'faultline_alerts_fired_total', help: 'Alerts fired, by rule.', labelNames: ['rule'] });
  const firingGauge = registry && getOrCreateGauge(registry, { name: 'faultline_alerts_firing', help: '1 while the rule has a firing alert, else 0.', labelNames: ['rule'] });
  const webhookCounter =
    registry && getOrCreateCounter(registry, { name: 'faultline_alert_webhooks_total', help: 'Alert webhook deliveries, by result (ok, error).', labelNames: ['result'] });
  const sampleErrors = registry && getOrCreateCounter(registry, { name: 'faultline_alert_sample_errors_total', help: 'Alert ticks skipped because the sampler threw.' });
  for (const { rule } of states) firingGauge?.set({ rule: rule.name }, 0);

  function deliver(alert: Alert, url: string): void {
    const delivery = (async () => {
      try {
        const res = await request(url, {
          method: 'POST',
          body: JSON.stringify(alert),
          headers: { 'content-type': 'application/json' },
          signal: AbortSignal.timeout(webhookTimeoutMs),
        });
        await res.body.dump();
        if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`webhook answered ${res.statusCode}`);
        webhookCounter?.inc({ result: 'ok' });
      } catch (error) {
        webhookCounter?.inc({ result: 'error' });
        logger.warn({ alert: alert.id, rule: alert.name, url, err: error instanceof Error ? error.message : String(error) }, 'alert webhook failed');
      }
    })();
    deliveries.add(delivery);
    void delivery.finally(() => deliveries.delete(delivery));
  }

  function emit(alert: Alert, rule: AlertRule): void {
    for (const listener of listeners) {
      try {
        listener(alert);
      } catch (error) {
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'alert listener threw');
      }
    }
    const url = rule.webhookUrl ?? options.webhookUrl;
    if (url !== undefined) deliver(alert, url);
  }

  function tick(now: number = clock()): Alert[] {
    let signals: AlertSignals;
    try {
      signals = options.sample();
    } catch (error) {
      sampleErrors?.inc();
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'alert sampler threw; tick skipped');
      return [];
    }
    const changed: Array<{ alert: Alert; rule: AlertRule }> = [];
    for (const state of states) {
      const { rule } = state;
      const value = valueOf(state, signals, now);
      const holds = value !== null && compare(value, rule.op, rule.threshold);
      if (holds) {
        state.pendingSince ??= now;
        if (state.active === null && now - state.pendingSince >= rule.forMs) {
          const alert: Alert = { id: randomUUID(), name: rule.name, rule: rule.source, state: 'firing', firing: new Date(now).toISOString(), resolved: null, value };
          state.active = alert;
          fired?.inc({ rule: rule.name });
          firingGauge?.set({ rule: rule.name }, 1);
          logger.warn({ alert: alert.id, rule: rule.name, value }, `alert firing: ${rule.name}`);
          changed.push({ alert, rule });
        }
      } else {
        state.pendingSince = null;
        if (state.active !== null) {
          const alert: Alert = { ...state.active, state: 'resolved', resolved: new Date(now).toISOString() };
          state.active = null;
          resolvedHistory.unshift(alert);
          if (resolvedHistory.length > historyLimit) resolvedHistory.length = historyLimit;
          firingGauge?.set({ rule: rule.name }, 0);
          logger.info({ alert: alert.id, rule: rule.name, value }, `alert resolved: ${rule.name}`);
          changed.push({ alert, rule });
        }
      }
    }
    for (const { alert, rule } of changed) emit(alert, rule);
    return changed.map((c) => c.alert);
  }

  async function flush(): Promise<void> {
    while (deliveries.size > 0) await Promise.allSettled([...deliveries]);
  }

  return {
    rules: states.map((s) => s.rule),
    start() {
      if (timer !== null) return;
      timer = setInterval(() => {
        try {
          tick();
        } catch (error) {
          logger.error({ err: error instanceof Error ? error.message : String(error) }, 'alert tick failed');
        }
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await flush();
    },
    tick,
    list() {
      const firing = states.flatMap((s) => (s.active === null ? [] : [s.active]));
      firing.sort((a, b) => (a.firing < b.firing ? 1 : a.firing > b.firing ? -1 : 0));
      return [...firing, ...resolvedHistory];
    },
    onAlert(listener) {
      listeners.add(listener);
      const disposable: Disposable = { dispose: () => void listeners.delete(listener) };
      return disposable;
    },
    flush,
  };
}
