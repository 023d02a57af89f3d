/**
 * The `telemetry:` and `alerts:` sections of `faultline.yaml` (snake_case on the wire, camelCase
 * after parsing) and the `TIMESERIES_*` environment variables.
 */
import { z } from 'zod';
import type { Registry } from 'prom-client';
import { fieldIssues, type FieldIssue } from '../plan/index.js';
import { telemetryConfigError } from './errors.js';
import { AlertRuleError } from './errors.js';
import { parseAlertRule } from './alerts/rule.js';
import { createInfluxExporter } from './exporters/influx.js';
import { createPushgatewayExporter } from './exporters/pushgateway.js';
import type { ExportBackoff, TelemetryLogger } from './exporters/periodic.js';
import type { AlertRule, TelemetryExporter } from './types.js';

/** Default export interval when neither the YAML nor the environment gives one. */
export const DEFAULT_EXPORT_INTERVAL_MS = 10_000;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const intervalMs = z
  .number({ error: 'must be a number of milliseconds' })
  .int({ error: 'must be an integer' })
  .min(100, { error: 'must be >= 100' })
  .max(86_400_000, { error: 'must be at most 86400000 (one day)' });
const name = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
const labelMap = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'must be a label name ([a-zA-Z_][a-zA-Z0-9_]*)' }), z.string({ error: 'must be a string' }), {
  error: 'must be an object of label name to value',
});
const backoff = z.strictObject({
  initial_ms: z.number({ error: 'must be a number' }).int().min(1, { error: 'must be >= 1' }).optional(),
  max_ms: z.number({ error: 'must be a number' }).int().min(1, { error: 'must be >= 1' }).optional(),
  multiplier: z.number({ error: 'must be a number' }).min(1, { error: 'must be >= 1' }).optional(),
});

const common = {
  name: name.optional(),
  url: httpUrl,
  enabled: z.boolean({ error: 'must be true or false' }).default(true),
  interval_ms: intervalMs.default(DEFAULT_EXPORT_INTERVAL_MS),
  timeout_ms: z.number({ error: 'must be a number' }).int().min(1, { error: 'must be >= 1' }).optional(),
  backoff: backoff.optional(),
};

const pushgatewayWire = z.strictObject({
  type: z.literal('pushgateway'),
  ...common,
  job: name.default('faultline'),
  groupings: labelMap.optional(),
});

const influxWire = z
  .strictObject({
    type: z.literal('influxdb'),
    ...common,
    version: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: 'must be 1, 2 or 3' }).default(1),
    db: name.optional(),
    retention_policy: name.optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    create_database: z.boolean({ error: 'must be true or false' }).optional(),
    org: name.optional(),
    bucket: name.optional(),
    token: name.optional(),
    measurement_prefix: z.string({ error: 'must be a string' }).optional(),
    tags: labelMap.optional(),
  })
  .superRefine((v, ctx) => {
    const need = v.version === 1 ? (['db'] as const) : (['org', 'bucket', 'token'] as const);
    for (const key of need) {
      if (v[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required for InfluxDB ${v.version === 1 ? '1.x' : '2.x/3.x'}` });
    }
  });

/** Schema of the `telemetry:` YAML section (snake_case). */
export const telemetryConfigSchema = z.strictObject({
  exporters: z
    .array(
      z.discriminatedUnion('type', [pushgatewayWire, influxWire], { error: "must have type 'pushgateway' or 'influxdb'" }),
      { error: 'must be a list of exporters' },
    )
    .default([]),
});

/** The `telemetry:` section as written (snake_case, defaults applied). */
export type TelemetryConfigWire = z.output<typeof telemetryConfigSchema>;

/** One exporter to create, resolved from the YAML and the environment (camelCase). */
export type ExporterSpec =
  | {
      readonly type: 'pushgateway';
      readonly name?: string;
      readonly url: string;
      readonly enabled: boolean;
      readonly intervalMs: number;
      readonly timeoutMs?: number;
      readonly backoff?: ExportBackoff;
      readonly job: string;
      readonly groupings?: Readonly<Record<string, string>>;
    }
  | {
      readonly type: 'influxdb';
      readonly name?: string;
      readonly url: string;
      readonly enabled: boolean;
      readonly intervalMs: number;
      readonly timeoutMs?: number;
      readonly backoff?: ExportBackoff;
      readonly version: 1 | 2;
      readonly db?: string;
      readonly retentionPolicy?: string;
      readonly username?: string;
      readonly password?: string;
      readonly createDatabase?: boolean;
      readonly org?: string;
      readonly bucket?: string;
      readonly token?: string;
      readonly measurementPrefix?: string;
      readonly tags?: Readonly<Record<string, string>>;
    };

/** `T` with every key that may be `undefined` made optional instead (what `exactOptionalPropertyTypes` wants). */
type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

function defined<T extends object>(o: T): Defined<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Defined<T>;
}

function toSpec(e: TelemetryConfigWire['exporters'][number]): ExporterSpec {
  const backoffSpec = e.backoff === undefined ? undefined : defined({ initialMs: e.backoff.initial_ms, maxMs: e.backoff.max_ms, multiplier: e.backoff.multiplier });
  const base = defined({ name: e.name, url: e.url, enabled: e.enabled, intervalMs: e.interval_ms, timeoutMs: e.timeout_ms, backoff: backoffSpec });
  if (e.type === 'pushgateway') return defined({ type: 'pushgateway' as const, ...base, job: e.job, groupings: e.groupings });
  return defined({
    type: 'influxdb',
    ...base,
    // 3.x accepts the 2.x write API; one code path serves both.
    version: e.version === 1 ? 1 : 2,
    db: e.db,
    retentionPolicy: e.retention_policy,
    username: e.username,
    password: e.password,
    createDatabase: e.create_database,
    org: e.org,
    bucket: e.bucket,
    token: e.token,
    measurementPrefix: e.measurement_prefix,
    tags: e.tags,
  }) as ExporterSpec;
}

/**
 * Validates the `telemetry:` section (`undefined` is an empty section).
 * @throws ValidationError (`FL_ERR_TELEMETRY_CONFIG_INVALID`) naming each bad field as `telemetry.exporters[0].url`.
 */
export function parseTelemetryConfig(input: unknown): TelemetryConfigWire {
  const result = telemetryConfigSchema.safeParse(input ?? {});
  if (!result.success) throw telemetryConfigError('telemetry config', fieldIssues(result.error, input ?? {}, ['telemetry']));
  return result.data;
}

const truthy = new Set(['1', 'true', 'yes', 'on']);
const falsy = new Set(['0', 'false', 'no', 'off']);
const envTypes: Readonly<Record<string, 'pushgateway' | 'influxdb'>> = { prometheus: 'pushgateway', pushgateway: 'pushgateway', influxdb: 'influxdb', influx: 'influxdb' };

/**
 * Resolves the exporters to run from the `telemetry:` section and the environment:
 * - `TIMESERIES_TYPE` (`prometheus`|`pushgateway`|`influxdb`) enables the configured exporter of
 *   that type, or adds one (`TIMESERIES_URL` is then required; job/db default to `faultline`);
 * - `TIMESERIES_URL` overrides that exporter's URL (without a type: the only configured exporter's);
 * - `TIMESERIES_ENABLED=1|true` enables every configured exporter (also those with `enabled: false`);
 *   `TIMESERIES_ENABLED=0|false` turns telemetry export off altogether.
 * Returns only the enabled exporters.
 * @throws ValidationError (`FL_ERR_TELEMETRY_CONFIG_INVALID`) for a bad section or variable; the path names it.
 */
export function exportersFromConfig(telemetryConfig: unknown, env: Readonly<Record<string, string | undefined>> = process.env): ExporterSpec[] {
  const config = parseTelemetryConfig(telemetryConfig);
  let specs = config.exporters.map(toSpec);
  const issues: FieldIssue[] = [];
  const enabledText = env['TIMESERIES_ENABLED']?.trim().toLowerCase() || undefined;
  const typeText = env['TIMESERIES_TYPE']?.trim().toLowerCase() || undefined;
  const url = env['TIMESERIES_URL']?.trim() || undefined;

  let enabled: boolean | undefined;
  if (enabledText !== undefined) {
    if (truthy.has(enabledText)) enabled = true;
    else if (falsy.has(enabledText)) enabled = false;
    else issues.push({ path: 'TIMESERIES_ENABLED', message: 'must be 1, true, 0 or false' });
  }
  let type: 'pushgateway' | 'influxdb' | undefined;
  if (typeText !== undefined) {
    type = envTypes[typeText];
    if (type === undefined) issues.push({ path: 'TIMESERIES_TYPE', message: 'must be prometheus, pushgateway or influxdb' });
  }
  if (url !== undefined && !httpUrl.safeParse(url).success) issues.push({ path: 'TIMESERIES_URL', message: 'must be an http:// or https:// URL' });
  if (issues.length > 0) throw telemetryConfigError('telemetry environment', issues);
  if (enabled === false) return [];

  if (type !== undefined) {
    const index = specs.findIndex((s) => s.type === type);
    if (index >= 0) {
      specs = specs.map((s, i) => (i === index ? { ...s, enabled: true, ...(url === undefined ? {} : { url }) } : s));
    } else if (url === undefined) {
      throw telemetryConfigError('telemetry environment', [{ path: 'TIMESERIES_URL', message: `is required: TIMESERIES_TYPE=${typeText} names no exporter in telemetry.exporters` }]);
    } else if (type === 'pushgateway') {
      specs.push({ type, url, enabled: true, intervalMs: DEFAULT_EXPORT_INTERVAL_MS, job: 'faultline' });
    } else {
      specs.push({ type, url, enabled: true, intervalMs: DEFAULT_EXPORT_INTERVAL_MS, version: 1, db: 'faultline', createDatabase: true });
    }
  } else if (url !== undefined) {
    if (specs.length !== 1) {
      throw telemetryConfigError('telemetry environment', [
        { path: 'TIMESERIES_TYPE', message: `is required with TIMESERIES_URL when telemetry.exporters has ${specs.length === 0 ? 'no' : specs.length} exporters` },
      ]);
    }
    specs = specs.map((s) => ({ ...s, url, ...(enabled === true ? { enabled: true } : {}) }));
  }
  if (enabled === true) {
    if (specs.length === 0) {
      throw telemetryConfigError('telemetry environment', [{ path: 'TIMESERIES_TYPE', message: 'is required: TIMESERIES_ENABLED is set and telemetry.exporters is empty' }]);
    }
    specs = specs.map((s) => ({ ...s, enabled: true }));
  }
  return specs.filter((s) => s.enabled);
}

/** What every exporter created from a spec shares. */
export interface ExporterDeps {
  readonly registry: Registry;
  readonly logger?: TelemetryLogger;
}

/** Creates one exporter (not started) from a resolved spec. */
export function createExporter(spec: ExporterSpec, deps: ExporterDeps): TelemetryExporter {
  const common = defined({ name: spec.name, url: spec.url, intervalMs: spec.intervalMs, timeoutMs: spec.timeoutMs, backoff: spec.backoff, registry: deps.registry, logger: deps.logger });
  if (spec.type === 'pushgateway') return createPushgatewayExporter(defined({ ...common, job: spec.job, groupings: spec.groupings }));
  const extra = defined({ measurementPrefix: spec.measurementPrefix, tags: spec.tags });
  if (spec.version === 2) {
    return createInfluxExporter({ ...common, ...extra, version: 2, org: spec.org ?? '', bucket: spec.bucket ?? '', token: spec.token ?? '' });
  }
  return createInfluxExporter(
    defined({
      ...common,
      ...extra,
      version: 1 as const,
      db: spec.db ?? 'faultline',
      retentionPolicy: spec.retentionPolicy,
      username: spec.username,
      password: spec.password,
      createDatabase: spec.createDatabase,
    }),
  );
}

/** Creates the exporters (not started) for resolved specs, e.g. `createExporters(exportersFromConfig(yaml.telemetry), { registry, logger })`. */
export function createExporters(specs: readonly ExporterSpec[], deps: ExporterDeps): TelemetryExporter[] {
  return specs.map((spec) => createExporter(spec, deps));
}

const ruleObject = z.strictObject({
  rule: z.string({ error: 'must be a string' }),
  webhook: httpUrl.optional(),
  name: name.optional(),
});

// Dispatches on the entry's shape instead of a union, so that issues keep their own path.
const ruleEntry = z.unknown().transform((entry, ctx): AlertRule => {
  let text: string;
  let extra: { name?: string; webhookUrl?: string } = {};
  if (typeof entry === 'string') text = entry;
  else if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    const result = ruleObject.safeParse(entry);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: entry } as (typeof ctx.issues)[number]);
      return z.NEVER;
    }
    text = result.data.rule;
    extra = defined({ name: result.data.name, webhookUrl: result.data.webhook });
  } else {
    ctx.addIssue({ code: 'custom', message: "must be a rule string or an object with 'rule'", input: entry });
    return z.NEVER;
  }
  try {
    return parseAlertRule(text, extra);
  } catch (error) {
    if (!(error instanceof AlertRuleError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message, path: typeof entry === 'string' ? [] : ['rule'], input: entry });
    return z.NEVER;
  }
});

const alertsList = z.array(ruleEntry, { error: 'must be a list of rules' });
const alertsObject = z.strictObject({ webhook: httpUrl.optional(), interval_ms: intervalMs.optional(), rules: alertsList });

/**
 * Schema of the `alerts:` YAML section: a list of rules (each a string such as
 * `error_rate > 0.1 for 30s`, or `{ rule, webhook?, name? }`), or `{ webhook?, interval_ms?, rules }`.
 * Parses to `{ rules, webhookUrl?, intervalMs? }`; a bad rule is reported at its own path
 * (`[1]`, `[0].rule`), which a plain union of the two forms would hide.
 */
export const alertsConfigSchema = z.unknown().transform((input, ctx): AlertsConfig => {
  const result = Array.isArray(input) ? alertsList.safeParse(input) : alertsObject.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, input } as (typeof ctx.issues)[number]);
    return z.NEVER;
  }
  const v = result.data;
  return Array.isArray(v) ? { rules: v } : defined({ rules: v.rules, webhookUrl: v.webhook, intervalMs: v.interval_ms });
});

/** The parsed `alerts:` section. */
export interface AlertsConfig {
  readonly rules: readonly AlertRule[];
  readonly webhookUrl?: string;
  readonly intervalMs?: number;
}

/**
 * Validates and parses the `alerts:` section (`undefined` is no rules).
 * @throws ValidationError (`FL_ERR_TELEMETRY_CONFIG_INVALID`) naming each bad rule as `alerts[2]` or `alerts[2].rule`, with the parser's reason.
 */
export function parseAlertsConfig(input: unknown): AlertsConfig {
  if (input === undefined || input === null) return { rules: [] };
  const result = alertsConfigSchema.safeParse(input);
  if (!result.success) throw telemetryConfigError('alerts config', fieldIssues(result.error, input, ['alerts']));
  return result.data;
}
