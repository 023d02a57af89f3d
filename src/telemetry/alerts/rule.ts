import { parseDuration } from '../../common/index.js';
import { AlertRuleError } from '../errors.js';
import type { AlertOperator, AlertRule, AlertSignalName } from '../types.js';

/** Signals a rule can name, and what each measures. */
export const alertSignals: Readonly<Record<AlertSignalName, string>> = {
  error_rate: 'errors / requests over the last sample (0..1)',
  latency_p95_ms: 'p95 latency in milliseconds',
  breaker_open: '1 while a circuit breaker is open, else 0',
  process_unhealthy: 'number of supervised processes not healthy',
  restarts: 'cumulative process restarts (with `in <d>`: restarts within the window)',
};

const operators: readonly AlertOperator[] = ['>=', '<=', '==', '!=', '>', '<'];
/** Parses `30s`, `500ms`, `5m`, `1h` to milliseconds, or returns an error message: the one grammar in src/common. */
export { parseDuration } from '../../common/index.js';

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(>=|<=|==|!=|>|<|=|[^\s<>=!]+|!)/y;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && m[1] !== undefined) tokens.push(m[1]);
  return tokens;
}

/**
 * Parses one alert rule: `<signal> [<op> <number>] [for <duration>] [in <duration>]`, e.g.
 * `error_rate > 0.1 for 30s`, `latency_p95_ms > 5000`, `breaker_open`, `process_unhealthy for 10s`,
 * `restarts > 3 in 60s`. A bare signal means `> 0`.
 * @throws AlertRuleError naming what is wrong and what was expected.
 */
export function parseAlertRule(text: string, extra: { name?: string; webhookUrl?: string } = {}): AlertRule {
  const tokens = tokenize(text.trim());
  const source = tokens.join(' ');
  const fail = (reason: string): never => {
    throw new AlertRuleError(text, reason);
  };
  if (tokens.length === 0) fail('the rule is empty; expected e.g. error_rate > 0.1 for 30s');
  let i = 0;
  const signalText = tokens[i++] as string;
  if (!Object.hasOwn(alertSignals, signalText)) {
    fail(`unknown signal '${signalText}'; expected one of ${Object.keys(alertSignals).join(', ')}`);
  }
  const signal = signalText as AlertSignalName;
  let op: AlertOperator = '>';
  let threshold = 0;
  const next = tokens[i];
  if (next !== undefined && (operators as readonly string[]).includes(next)) {
    op = next as AlertOperator;
    i++;
    const num = tokens[i++];
    if (num === undefined) fail(`expected a number after '${op}'`);
    const value = Number(num);
    if (num === '' || !Number.isFinite(value)) fail(`expected a number after '${op}', got '${num}'`);
    threshold = value;
  } else if (next === '=' || next === '!') {
    fail(`unknown operator '${next}'; expected one of ${operators.join(' ')}`);
  }
  let forMs = 0;
  let windowMs: number | null = null;
  const seen = new Set<string>();
  while (i < tokens.length) {
    const keyword = tokens[i++] as string;
    if (keyword !== 'for' && keyword !== 'in') {
      fail(i === 2 ? `expected a comparison (${operators.join(' ')}), 'for' or 'in' after '${signal}', got '${keyword}'` : `unexpected '${keyword}'; expected 'for <duration>' or 'in <duration>'`);
    }
    if (seen.has(keyword)) fail(`'${keyword}' is given twice`);
    seen.add(keyword);
    const durText = tokens[i++];
    if (durText === undefined) fail(`expected a duration after '${keyword}' (e.g. 30s)`);
    const ms = parseDuration(durText as string);
    if (typeof ms === 'string') fail(ms);
    if ((ms as number) <= 0 && keyword === 'in') fail(`the window after 'in' must be > 0`);
    if (keyword === 'for') forMs = ms as number;
    else {
      if (signal !== 'restarts') fail(`'in <duration>' counts increases of a counter and applies to restarts only; use 'for <duration>'`);
      windowMs = ms as number;
    }
  }
  if (signal === 'error_rate' && (op === '>' || op === '>=') && threshold > 1) {
    fail(`error_rate is a fraction between 0 and 1 (0.1 = 10%), got ${threshold}`);
  }
  return {
    name: extra.name ?? source,
    source,
    signal,
    op,
    threshold,
    forMs,
    windowMs,
    webhookUrl: extra.webhookUrl ?? null,
  };
}

/** Whether `value op threshold` holds. */
export function compare(value: number, op: AlertOperator, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}
