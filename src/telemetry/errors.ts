/**
 * The telemetry module's error catalogue. Callers branch on `code`; every code has a row in
 * `docs/errors.md`.
 */
import { FaultlineError, ValidationError, type FieldIssue } from '../plan/index.js';

/** Code of a `ValidationError` for a bad `telemetry:` / `alerts:` section or `TIMESERIES_*` variable. */
export const TELEMETRY_CONFIG_INVALID = 'FL_ERR_TELEMETRY_CONFIG_INVALID';

/** A bad `telemetry:` or `alerts:` YAML section, or a bad `TIMESERIES_*` environment variable. */
export function telemetryConfigError(what: string, issues: readonly FieldIssue[]): ValidationError {
  return new ValidationError(what, issues, TELEMETRY_CONFIG_INVALID);
}

/** An alert rule string that does not parse (`error_rate > 0.1 for 30s` is the shape). */
export class AlertRuleError extends FaultlineError {
  override readonly name = 'AlertRuleError';
  readonly rule: string;
  constructor(rule: string, reason: string) {
    super('FL_ERR_TELEMETRY_ALERT_RULE_INVALID', `invalid alert rule '${rule}': ${reason}`, { details: { rule, reason } });
    this.rule = rule;
  }
}
