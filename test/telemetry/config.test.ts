import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/plan/index.js';
import { AlertRuleError, createExporters, createTelemetryRegistry, exportersFromConfig, parseAlertRule, parseAlertsConfig, parseTelemetryConfig } from '../../src/telemetry/index.js';

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('FL_ERR_TELEMETRY_CONFIG_INVALID');
    return [...(error as ValidationError).issues];
  }
  throw new Error('expected a ValidationError');
}

describe('parseAlertRule', () => {
  it.each([
    ['error_rate > 0.1 for 30s', { signal: 'error_rate', op: '>', threshold: 0.1, forMs: 30_000, windowMs: null }],
    ['latency_p95_ms > 5000', { signal: 'latency_p95_ms', op: '>', threshold: 5000, forMs: 0, windowMs: null }],
    ['breaker_open', { signal: 'breaker_open', op: '>', threshold: 0, forMs: 0, windowMs: null }],
    ['process_unhealthy for 10s', { signal: 'process_unhealthy', op: '>', threshold: 0, forMs: 10_000, windowMs: null }],
    ['restarts > 3 in 60s', { signal: 'restarts', op: '>', threshold: 3, forMs: 0, windowMs: 60_000 }],
    ['error_rate>=0.5 for 500ms', { signal: 'error_rate', op: '>=', threshold: 0.5, forMs: 500, windowMs: null }],
    ['latency_p95_ms < 10 for 2m', { signal: 'latency_p95_ms', op: '<', threshold: 10, forMs: 120_000, windowMs: null }],
  ])('parses %s', (text, expected) => {
    expect(parseAlertRule(text)).toMatchObject(expected);
  });

  it('normalises whitespace in the source and uses it as the default name', () => {
    const rule = parseAlertRule('  error_rate>0.1   for 30s ');
    expect(rule.source).toBe('error_rate > 0.1 for 30s');
    expect(rule.name).toBe('error_rate > 0.1 for 30s');
  });

  it.each([
    ['', /empty/],
    ['error_rat > 0.1', /unknown signal 'error_rat'; expected one of error_rate/],
    ['error_rate >', /expected a number after '>'/],
    ['error_rate > abc', /expected a number after '>', got 'abc'/],
    ['error_rate = 0.1', /unknown operator '='/],
    ['error_rate > 0.1 for 30', /needs a unit/],
    ['error_rate > 0.1 for soon', /not a duration/],
    ['error_rate > 0.1 during 30s', /unexpected 'during'/],
    ['error_rate > 0.1 in 30s', /applies to restarts only/],
    ['error_rate > 10', /fraction between 0 and 1/],
    ['restarts > 3 in', /expected a duration after 'in'/],
    ['breaker_open for 1s for 2s', /given twice/],
  ])('rejects %j with a reason', (text, reason) => {
    let caught: unknown;
    try {
      parseAlertRule(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AlertRuleError);
    expect((caught as AlertRuleError).code).toBe('FL_ERR_TELEMETRY_ALERT_RULE_INVALID');
    expect((caught as AlertRuleError).message).toMatch(reason);
  });
});

describe('parseAlertsConfig', () => {
  it('accepts a list of strings and objects with a name and webhook', () => {
    const config = parseAlertsConfig(['breaker_open', { rule: 'restarts > 3 in 60s', name: 'flapping', webhook: 'http://127.0.0.1:9/hook' }]);
    expect(config.rules).toHaveLength(2);
    expect(config.rules[1]).toMatchObject({ name: 'flapping', source: 'restarts > 3 in 60s', webhookUrl: 'http://127.0.0.1:9/hook' });
  });

  it('accepts an object with a shared webhook and interval', () => {
    const config = parseAlertsConfig({ webhook: 'http://127.0.0.1:9/hook', interval_ms: 500, rules: ['breaker_open'] });
    expect(config).toMatchObject({ webhookUrl: 'http://127.0.0.1:9/hook', intervalMs: 500 });
    expect(config.rules[0]?.signal).toBe('breaker_open');
  });

  it('names the path of a bad rule string and why', () => {
    const issues = issuesOf(() => parseAlertsConfig(['breaker_open', 'error_rat > 0.1']));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('alerts[1]');
    expect(issues[0]?.message).toMatch(/unknown signal 'error_rat'/);
  });

  it('names the rule field of a bad rule object, and unknown fields', () => {
    const issues = issuesOf(() => parseAlertsConfig([{ rule: 'restarts > x' }, { rule: 'breaker_open', severity: 'page' }]));
    expect(issues.map((i) => i.path)).toEqual(['alerts[0].rule', 'alerts[1].severity']);
    expect(issues[1]?.message).toBe('unknown field');
    expect(issues.find((i) => i.path === 'alerts[0].rule')?.message).toMatch(/expected a number after '>'/);
  });

  it('names a rule that is neither a string nor an object, and a missing rule field', () => {
    const issues = issuesOf(() => parseAlertsConfig([42, { name: 'x' }]));
    expect(issues.map((i) => i.path)).toEqual(['alerts[0]', 'alerts[1].rule']);
    expect(issues[1]?.message).toBe('is required');
  });

  it('rejects a webhook that is not an http URL', () => {
    const issues = issuesOf(() => parseAlertsConfig({ webhook: 'ftp://x', rules: [] }));
    expect(issues.map((i) => i.path)).toContain('alerts.webhook');
  });
});

describe('telemetry config and TIMESERIES_* variables', () => {
  const yaml = {
    exporters: [
      { type: 'pushgateway', url: 'http://127.0.0.1:9091', interval_ms: 1000, job: 'shop' },
      { type: 'influxdb', url: 'http://127.0.0.1:8086', db: 'metrics', enabled: false },
    ],
  };

  it('resolves the YAML exporters to camelCase specs with defaults, enabled ones only', () => {
    expect(exportersFromConfig(yaml, {})).toEqual([{ type: 'pushgateway', url: 'http://127.0.0.1:9091', enabled: true, intervalMs: 1000, job: 'shop' }]);
  });

  it('an empty or missing section means no exporters', () => {
    expect(exportersFromConfig(undefined, {})).toEqual([]);
    expect(parseTelemetryConfig({})).toEqual({ exporters: [] });
  });

  it('names the path of each bad exporter field', () => {
    const issues = issuesOf(() =>
      parseTelemetryConfig({ exporters: [{ type: 'influxdb', url: 'nope', interval_ms: 5 }, { type: 'influxdb', version: 2, url: 'http://x' }, { type: 'graphite' }] }),
    );
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'telemetry.exporters[0].url',
        'telemetry.exporters[0].interval_ms',
        'telemetry.exporters[0].db',
        'telemetry.exporters[1].org',
        'telemetry.exporters[1].bucket',
        'telemetry.exporters[1].token',
        'telemetry.exporters[2].type',
      ]),
    );
  });

  it('TIMESERIES_TYPE enables the configured exporter of that type and TIMESERIES_URL overrides its URL', () => {
    const specs = exportersFromConfig(yaml, { TIMESERIES_TYPE: 'influxdb', TIMESERIES_URL: 'http://127.0.0.1:18086' });
    expect(specs.map((s) => [s.type, s.url])).toEqual([
      ['pushgateway', 'http://127.0.0.1:9091'],
      ['influxdb', 'http://127.0.0.1:18086'],
    ]);
  });

  it('TIMESERIES_TYPE=prometheus adds a Pushgateway exporter when none is configured', () => {
    expect(exportersFromConfig(undefined, { TIMESERIES_TYPE: 'prometheus', TIMESERIES_URL: 'http://127.0.0.1:9091' })).toEqual([
      { type: 'pushgateway', url: 'http://127.0.0.1:9091', enabled: true, intervalMs: 10_000, job: 'faultline' },
    ]);
  });

  it('TIMESERIES_ENABLED=true enables disabled exporters; =0 turns export off', () => {
    expect(exportersFromConfig(yaml, { TIMESERIES_ENABLED: 'true' })).toHaveLength(2);
    expect(exportersFromConfig(yaml, { TIMESERIES_ENABLED: '0', TIMESERIES_TYPE: 'influxdb' })).toEqual([]);
  });

  it('names the bad variable', () => {
    expect(issuesOf(() => exportersFromConfig(yaml, { TIMESERIES_TYPE: 'graphite' })).map((i) => i.path)).toEqual(['TIMESERIES_TYPE']);
    expect(issuesOf(() => exportersFromConfig(yaml, { TIMESERIES_ENABLED: 'maybe' })).map((i) => i.path)).toEqual(['TIMESERIES_ENABLED']);
    expect(issuesOf(() => exportersFromConfig(yaml, { TIMESERIES_URL: 'not a url', TIMESERIES_TYPE: 'influxdb' })).map((i) => i.path)).toEqual(['TIMESERIES_URL']);
    expect(issuesOf(() => exportersFromConfig(undefined, { TIMESERIES_TYPE: 'influxdb' })).map((i) => i.path)).toEqual(['TIMESERIES_URL']);
    expect(issuesOf(() => exportersFromConfig(yaml, { TIMESERIES_URL: 'http://x:1' })).map((i) => i.path)).toEqual(['TIMESERIES_TYPE']);
  });

  it('creates unstarted exporters from specs, named by the YAML name or their type', () => {
    const registry = createTelemetryRegistry({ processMetrics: false });
    const specs = exportersFromConfig(
      {
        exporters: [
          { type: 'influxdb', name: 'influx-eu', url: 'http://127.0.0.1:8086', db: 'm' },
          { type: 'influxdb', version: 2, url: 'http://127.0.0.1:8087', org: 'o', bucket: 'b', token: 't', interval_ms: 500 },
          { type: 'pushgateway', url: 'http://127.0.0.1:9091' },
        ],
      },
      {},
    );
    const statuses = createExporters(specs, { registry }).map((e) => e.status());
    expect(statuses.map((s) => [s.name, s.url, s.intervalMs, s.running, s.exportCount])).toEqual([
      ['influx-eu', 'http://127.0.0.1:8086', 10_000, false, 0],
      ['influxdb', 'http://127.0.0.1:8087', 500, false, 0],
      ['pushgateway', 'http://127.0.0.1:9091', 10_000, false, 0],
    ]);
  });
});
