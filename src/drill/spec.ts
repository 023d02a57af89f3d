/**
 * The drill file (YAML, snake_case): validated whole before anything runs; every mistake comes
 * back with its path (`method[2].plan.fault_config.delay_ms`). Parsed into code form (camelCase);
 * user payloads (headers, bodies, plans, executor config, expected values) keep their keys.
 */
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { z } from 'zod';
import { camelCase, fieldIssues, formatPath, type Camelize, type FieldIssue } from '../plan/index.js';
import { DrillInvalidError, DrillReadError } from './errors.js';
import { checkEmbeddedConfig } from './embedded.js';
import { afterWindowWarning } from './timing.js';
import { checkExpression, collectExpressions } from './template.js';

import { checkSchema, kindsWith, probeSchema, stepSchema, useOf } from './activities/index.js';
import { body, headers, httpMethod, ms, name, positiveSeconds, seconds, text, url } from './activities/fields.js';
import { METRIC_RE } from './activities/metric.js';
import type { NameRef, ValidateContext } from './activities/types.js';
import { definedNames, didYouMean } from './names.js';

export { METRIC_RE, probeSchema, stepSchema };
export type { PreflightCheck, Probe, Step } from './activities/index.js';

/** A stop condition: a metric comparison held for a while (`error_rate > 0.5 for 5s`, `for 500ms`, `for 1m`). */
export const STOP_RE = /^\s*(.+?)\s+for\s+(\d+(?:\.\d+)?\s*(?:ms|s|m|h))\s*$/;

const requestTemplate = {
  url,
  method: httpMethod.default('GET'),
  headers: headers.optional(),
  body: body.optional(),
  /** Per-request variables, rendered first: `{{vars.order_id}}`. */
  vars: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]), { error: 'must be an object of name to template' }).optional(),
  /** Remember acknowledged (2xx) requests: their vars feed `{{recent.<name>.<var>}}` and `acks.jsonl` in the report folder. */
  ack: z.boolean().default(false),
};

const mixEntry = z.strictObject({ name, weight: z.number({ error: 'must be a number' }).gt(0, { error: 'must be > 0' }).default(1), ...requestTemplate });

const loadStream = z
  .strictObject({
    name,
    rate_per_s: z.number({ error: 'must be a number' }).gt(0, { error: 'must be > 0' }).max(1_000_000, { error: 'must be at most 1000000' }),
    url: url.optional(),
    method: httpMethod.optional(),
    headers: headers.optional(),
    body: body.optional(),
    vars: requestTemplate.vars,
    ack: z.boolean().optional(),
    mix: z.array(mixEntry).min(1, { error: 'must not be empty' }).optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.url === undefined) === (s.mix === undefined)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of url or mix' });
  });

const loadSchema = z
  .strictObject({
    rate_per_s: z.number({ error: 'must be a number' }).gt(0, { error: 'must be > 0' }).max(1_000_000, { error: 'must be at most 1000000' }).optional(),
    duration_s: positiveSeconds.max(24 * 3600, { error: 'must be at most 86400' }),
    timeout_ms: ms.default(5000),
    /** Connections per target origin. */
    connections: z.number().int().min(1).max(10_000).default(128),
    /** Requests in flight above this are not sent and count as `client_backlog` errors. */
    max_in_flight: z.number().int().min(1).max(1_000_000).default(20_000),
    url: url.optional(),
    method: httpMethod.optional(),
    headers: headers.optional(),
    body: body.optional(),
    vars: requestTemplate.vars,
    ack: z.boolean().optional(),
    mix: z.array(mixEntry).min(1, { error: 'must not be empty' }).optional(),
    streams: z.array(loadStream).min(1, { error: 'must not be empty' }).optional(),
  })
  .superRefine((l, ctx) => {
    const given = (['url', 'mix', 'streams'] as const).filter((k) => l[k] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', path: given.length === 0 ? ['url'] : [given[1]!], message: 'give exactly one of url, mix or streams' });
    if (l.streams === undefined && l.rate_per_s === undefined) ctx.addIssue({ code: 'custom', path: ['rate_per_s'], message: 'is required' });
    if (l.streams !== undefined && l.rate_per_s !== undefined) ctx.addIssue({ code: 'custom', path: ['rate_per_s'], message: 'give rate_per_s on each stream, not here' });
  });

const stopCondition = z.preprocess(
  (v) => (typeof v === 'string' ? { condition: v } : v),
  z.strictObject({
    condition: text.refine(
      (s) => {
        const m = STOP_RE.exec(s);
        return METRIC_RE.test(m ? (m[1] ?? '') : s);
      },
      { error: 'must be `<metric> <op> <number> [for <duration>]`, e.g. `error_rate > 0.5 for 5s` (durations: 500ms, 5s, 1m)' },
    ),
    stream: name.optional(),
    /** Fewer completed requests than this in a second: that second does not count. */
    min_requests: z.number().int().min(0).default(1),
  }),
);

const executorSchema = z
  .strictObject({
    url: text.regex(/^(https?:\/\/|\{\{)/, { error: 'must be an http:// URL' }).optional(),
    token: text.optional(),
    embedded: z.boolean().optional(),
    /** The executor's config (faultline.yaml's fields) for an embedded executor. */
    config: z.record(z.string(), z.unknown(), { error: 'must be an object (faultline.yaml fields)' }).optional(),
  })
  .superRefine((e, ctx) => {
    if (e.embedded === true && e.url !== undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give url or embedded: true, not both' });
    if (e.embedded !== true && e.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give url or embedded: true' });
    if (e.embedded !== true && e.config !== undefined) ctx.addIssue({ code: 'custom', path: ['config'], message: 'only for embedded: true' });
  });

/** The drill file, wire form. */
export const drillSchema = z.strictObject({
  name,
  description: text.optional(),
  executor: executorSchema.optional(),
  preflight: z.array(checkSchema, { error: 'must be a list of checks' }).default([]),
  load: loadSchema.optional(),
  /** Seconds of load before the method starts (default 3 with load, else 0). */
  baseline_s: seconds.optional(),
  steady_state: z
    .strictObject({
      probes: z.array(probeSchema, { error: 'must be a list of probes' }).default([]),
      /** Check the probes during inject/recover too, every interval_s. */
      during: z.strictObject({ interval_s: positiveSeconds.default(5) }).optional(),
    })
    .prefault({}),
  method: z.array(stepSchema, { error: 'must be a list of steps' }).default([]),
  stop_conditions: z.array(stopCondition, { error: 'must be a list' }).default([]),
  rollbacks: z.array(stepSchema, { error: 'must be a list of steps' }).default([]),
  verify: z
    .strictObject({
      probes: z.array(probeSchema, { error: 'must be a list of probes' }).default([]),
      /** The steady state must hold again within this many seconds of the last fault's end. */
      recovery_within_s: positiveSeconds.optional(),
      /** What "steady again" means (default: the steady-state probes that are not `metric`). */
      recovery_probes: z.array(probeSchema).optional(),
      recovery_poll_ms: ms.default(200),
    })
    .prefault({}),
  cleanup: z.array(stepSchema, { error: 'must be a list of steps' }).default([]),
  /** Probe/step outputs to copy into the report's `results` (all outputs by default). */
  results: z.array(name).optional(),
});

/** A drill file, wire form (defaults filled). */
export type DrillWire = z.output<typeof drillSchema>;
/** A validated drill in code form. */
export type Drill = Camelize<DrillWire> & {
  readonly file: string | null;
  /** What `faultline validate` warns about (the drill is valid). */
  readonly warnings?: readonly FieldIssue[];
};
export type LoadSpec = NonNullable<Drill['load']>;
export type StopConditionSpec = Drill['stopConditions'][number];

/** Keys whose values are user data: kept verbatim (no camelCase). */
const OPAQUE = new Set(['headers', 'body', 'plan', 'config', 'env', 'vars', 'equals', 'not_equals', 'in', 'params']);

function camelizeSpec(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelizeSpec);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[camelCase(k)] = OPAQUE.has(k) ? v : camelizeSpec(v);
    }
    return out;
  }
  return value;
}

type Use = 'probe' | 'step' | 'check';

/** Semantic checks zod cannot do alone: names, references, templates; each kind adds its own through the registry. */
function crossCheck(d: DrillWire): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const at = (path: readonly (string | number)[], message: string) => issues.push({ path: formatPath([...path]), message });

  // Templates: known names, steps.<x> only after the step that outputs x.
  const outputs = new Set<string>();
  const templates = new Map<string, Set<string>>();
  const streams = new Set<string>();
  if (d.load) {
    const tpl = (n: string, vars: Record<string, unknown> | undefined, ack: boolean | undefined) => {
      if (ack) templates.set(n, new Set(Object.keys(vars ?? {})));
      else if (!templates.has(n)) templates.set(n, new Set());
    };
    if (d.load.streams) {
      d.load.streams.forEach((s, i) => {
        if (streams.has(s.name)) at(['load', 'streams', i, 'name'], `duplicate stream name '${s.name}'`);
        streams.add(s.name);
        if (s.mix) s.mix.forEach((m) => tpl(m.name, m.vars, m.ack));
        else tpl(s.name, s.vars, s.ack);
      });
    } else if (d.load.mix) {
      streams.add('load');
      const seen = new Set<string>();
      d.load.mix.forEach((m, i) => {
        if (seen.has(m.name)) at(['load', 'mix', i, 'name'], `duplicate mix entry name '${m.name}'`);
        seen.add(m.name);
        tpl(m.name, m.vars, m.ack);
      });
    } else {
      streams.add('load');
      tpl('load', d.load.vars, d.load.ack);
    }
  }
  const streamsAndTemplates = new Set([...streams, ...templates.keys()]);
  const defined = definedNames(d);

  // executor: only env and run exist yet; preflight: the executor is up (proxies known), no step ran.
  const checkTemplates = (value: unknown, path: (string | number)[], where: 'executor' | 'preflight' | 'load' | 'step') => {
    for (const { path: sub, expr } of collectExpressions(value)) {
      const p = [...path, ...sub];
      const bad = checkExpression(expr);
      if (bad) {
        at(p, bad);
        continue;
      }
      const root = expr.split(/[.\s|]/)[0] ?? '';
      if (where !== 'load' && ['seq', 'vars', 'recent'].includes(root)) at(p, `{{${expr}}}: '${root}' exists only in load requests`);
      if (where === 'executor' && ['steps', 'results', 'proxies', 'executor'].includes(root)) at(p, `{{${expr}}}: '${root}' is not known before the executor starts`);
      if (where === 'preflight' && ['steps', 'results'].includes(root)) at(p, `{{${expr}}}: '${root}' is not known before the method runs`);
      for (const alt of expr.split('||').map((s) => s.trim())) {
        const [r, a, b] = alt.split('.');
        if (r === 'steps' && a !== undefined && !outputs.has(a)) at(p, `{{${expr}}}: no earlier step or probe has output '${a}'${didYouMean(a, outputs)}`);
        if (r === 'proxies' && a !== undefined && defined && !defined.proxies.has(a)) at(p, `{{${expr}}}: the executor config defines no proxy '${a}'${didYouMean(a, defined.proxies)}`);
        if (r === 'recent' && a !== undefined) {
          const vars = templates.get(a);
          if (!vars) at(p, `{{${expr}}}: no load template named '${a}' with ack: true${didYouMean(a, templates.keys())}`);
          else if (b !== undefined && !vars.has(b)) at(p, `{{${expr}}}: template '${a}' has no var '${b}' (or no ack: true)${didYouMean(b, vars)}`);
        }
      }
    }
  };

  if (d.executor) checkTemplates(d.executor, ['executor'], 'executor');
  if (d.load) checkTemplates(d.load, ['load'], 'load');

  let needsExecutor = false;
  let injects = false;
  const refs: NameRef[] = [];
  /** One activity through its kind's hooks: names it refers to, its own checks, nested probes. */
  const visit = (use: Use, spec: { kind: string; output?: string | undefined }, path: (string | number)[], where: 'preflight' | 'step', templatesDone = false) => {
    if (!templatesDone) checkTemplates(spec, path, where);
    const u = useOf(spec.kind, use as 'probe');
    if (!u) return;
    const v: ValidateContext = {
      hasLoad: d.load !== undefined,
      streams: streamsAndTemplates,
      issue: (sub, message) => at([...path, ...sub], message),
      probe: (p, sub) => visit('probe', p as { kind: string }, [...path, ...sub], where, true),
    };
    u.validate?.(spec as never, v);
    const own = u.refs?.(spec as never) ?? [];
    for (const r of own) refs.push({ ...r, path: [...path, ...r.path] });
    if (u.needsExecutor === true || own.length > 0) needsExecutor = true;
    if (use === 'step' && path[0] === 'method' && (u as { injects?: boolean }).injects === true) injects = true;
    if (spec.output !== undefined) outputs.add(spec.output);
  };

  d.preflight.forEach((c, i) => visit('check', c, ['preflight', i], 'preflight'));
  d.steady_state.probes.forEach((p, i) => visit('probe', p, ['steady_state', 'probes', i], 'step'));
  d.method.forEach((s, i) => visit('step', s, ['method', i], 'step'));
  d.rollbacks.forEach((s, i) => visit('step', s, ['rollbacks', i], 'step'));
  d.verify.probes.forEach((p, i) => visit('probe', p, ['verify', 'probes', i], 'step'));
  d.verify.recovery_probes?.forEach((p, i) => visit('probe', p, ['verify', 'recovery_probes', i], 'step'));
  d.cleanup.forEach((s, i) => visit('step', s, ['cleanup', i], 'step'));
  d.stop_conditions.forEach((c, i) => {
    if (!d.load) at(['stop_conditions', i], 'a stop condition needs a load section');
    else if (c.stream !== undefined && !streamsAndTemplates.has(c.stream)) at(['stop_conditions', i, 'stream'], `no load stream or template named '${c.stream}'${didYouMean(c.stream, streamsAndTemplates)}`);
  });
  if (d.verify.recovery_within_s !== undefined && !injects) {
    at(['verify', 'recovery_within_s'], `needs a ${kindsWith('step').filter((k) => (useOf(k, 'step') as { injects?: boolean }).injects).join(', ')} step in method to measure from`);
  }
  if (needsExecutor && !d.executor) at(['executor'], 'is required: the drill applies faults or reads supervised processes');

  // Names a drill refers to must exist in its embedded executor's config.
  if (defined) {
    for (const r of refs) {
      const pool = r.what === 'process' ? defined.processes : new Set([...defined.proxies, ...defined.processes]);
      if (!pool.has(r.name)) at(r.path, `the executor config defines no ${r.what === 'process' ? 'process' : 'proxy or process'} '${r.name}'${didYouMean(r.name, pool)}`);
    }
  }

  // Names must be unique within a section: the report and `--phase` refer to them.
  const unique = (items: { name?: string | undefined }[], path: string) => {
    const seen = new Set<string>();
    items.forEach((it, i) => {
      if (it.name === undefined) return;
      if (seen.has(it.name)) at([path, i, 'name'], `duplicate name '${it.name}'`);
      seen.add(it.name);
    });
  };
  unique(d.method, 'method');
  unique(d.preflight, 'preflight');
  return issues;
}

/** The result of {@link safeParseDrill}. */
export type DrillParseResult = { ok: true; drill: Drill } | { ok: false; issues: FieldIssue[] };

/**
 * Validates a drill object (parsed from YAML). Never throws; every mistake comes back with its path.
 * The embedded executor's `config` is checked by {@link loadDrill} (it needs the executor module).
 */
export function safeParseDrill(input: unknown, file: string | null = null): DrillParseResult {
  const result = drillSchema.safeParse(input);
  if (!result.success) return { ok: false, issues: fieldIssues(result.error, input) };
  const issues = crossCheck(result.data);
  if (issues.length > 0) return { ok: false, issues };
  const warning = afterWindowWarning(result.data);
  return { ok: true, drill: { ...(camelizeSpec(result.data) as Camelize<DrillWire>), file, warnings: warning ? [warning] : [] } };
}

/**
 * Parses and validates drill YAML text.
 * @throws DrillInvalidError naming every mistake's path.
 */
export function parseDrill(text: string, file: string | null = null): Drill {
  let raw: unknown;
  try {
    raw = YAML.parse(text, { prettyErrors: true });
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new DrillInvalidError(file ?? '(inline)', [{ path: line === undefined ? '(root)' : `(line ${line})`, message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` }]);
  }
  const result = safeParseDrill(raw, file);
  if (!result.ok) throw new DrillInvalidError(file ?? '(inline)', result.issues);
  return result.drill;
}

/**
 * Reads, parses and validates a drill file, including the embedded executor's config.
 * @throws DrillReadError when the file cannot be read; DrillInvalidError naming every mistake's path.
 * @example
 * const drill = await loadDrill('examples/drills/http-delay.yaml');
 */
export async function loadDrill(path: string): Promise<Drill> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DrillReadError(path, err);
  }
  const drill = parseDrill(text, path);
  const issues = await checkEmbeddedConfig(drill);
  if (issues.length > 0) throw new DrillInvalidError(path, issues);
  return drill;
}
