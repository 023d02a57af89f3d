/**
 * The drill file (YAML, snake_case): validated whole before anything runs; every mistake comes
 * back with its path (`method[2].plan.fault_config.delay_ms`). Parsed into code form (camelCase);
 * user payloads (headers, bodies, plans, executor config, expected values) keep their keys.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { camelCase, fieldIssues, formatPath, safeParsePlan, type Camelize, type FieldIssue } from '../plan/index.js';
import { DrillInvalidError, DrillReadError } from './errors.js';
import { removalRefusal } from './safe-paths.js';
import { checkExpression, collectExpressions, compileTemplate, expressionRoots, outsideRoots, renderConfig, templateExpressions } from './template.js';

/** Stands for `{{run.dir}}` while validating (the run's folder is known only when it runs). */
const RUN_DIR_PLACEHOLDER = '/faultline-validate/run-dir';

const name = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: 'must be 1-100 characters of letters, digits, _ . -' });
const seconds = z.number({ error: 'must be a number of seconds' }).min(0, { error: 'must be >= 0' });
const positiveSeconds = z.number({ error: 'must be a number of seconds' }).gt(0, { error: 'must be > 0' });
const ms = z.number({ error: 'must be a number of milliseconds' }).int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' });
const text = z.string({ error: 'must be a string' });
const url = z.string({ error: 'must be a URL' }).regex(/^(https?:\/\/|\{\{)/, { error: 'must be an http:// or https:// URL (templates allowed)' });
const httpMethod = z
  .string({ error: 'must be an HTTP method' })
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], { error: 'must be GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS' }));
const headers = z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of header name to value' });
const status = z.number({ error: 'must be an HTTP status' }).int().min(100, { error: 'must be 100-599' }).max(599, { error: 'must be 100-599' });
const statusList = z.preprocess((v) => (typeof v === 'number' ? [v] : v), z.array(status, { error: 'must be an HTTP status or a list of them' }).min(1));
const argv = z.union([text.min(1, { error: 'must not be empty' }), z.array(text).min(1, { error: 'must name a program' })], {
  error: 'must be a shell command string or an argv list',
});
const body = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())], { error: 'must be a string, an object or a list' });

/** One expectation on a value; every given key must hold. */
const expectation = z
  .strictObject({
    /** Dotted path into the value before comparing (`rows.0.count`). */
    path: text.optional(),
    equals: z.unknown().optional(),
    not_equals: z.unknown().optional(),
    in: z.array(z.unknown(), { error: 'must be a list' }).optional(),
    min: z.number({ error: 'must be a number' }).optional(),
    max: z.number({ error: 'must be a number' }).optional(),
    contains: text.optional(),
  })
  .refine((e) => ['equals', 'not_equals', 'in', 'min', 'max', 'contains'].some((k) => k in e), {
    error: 'needs one of equals, not_equals, in, min, max, contains',
  });
const expectations = z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(expectation).min(1, { error: 'must not be empty' }));

/** `error_rate <= 0.01`, `latency_p95_ms < 300`, `status_5xx == 0`, `rate_per_s >= 40`. */
export const METRIC_RE = /^\s*(error_rate|latency_p50_ms|latency_p95_ms|latency_p99_ms|latency_max_ms|latency_mean_ms|rate_per_s|requests|errors|timeouts|status_\d{3}|status_\dxx)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;
/** A stop condition: a metric comparison held for N seconds (`error_rate > 0.5 for 5s`). */
export const STOP_RE = /^\s*(.+?)\s+for\s+(\d+(?:\.\d+)?)\s*s\s*$/;

const metricExpr = text.regex(METRIC_RE, {
  error: 'must be `<metric> <op> <number>`, metric one of error_rate, latency_p50_ms, latency_p95_ms, latency_p99_ms, latency_max_ms, latency_mean_ms, rate_per_s, requests, errors, timeouts, status_NNN, status_Nxx; op one of < <= > >= == !=',
});

const common = {
  name: name.optional(),
  guidance: text.optional(),
};
/** What probes have besides `common`. */
const probeCommon = {
  ...common,
  /** Also copy the fields of an object value into the report's top-level `results` (`lost_payments: 0`). */
  spread: z.boolean().default(false),
};

const sqlSource = {
  driver: z.enum(['postgres', 'sqlite'], { error: "must be 'postgres' or 'sqlite'" }),
  /** postgres: a connection string (templates allowed, e.g. `{{env.DATABASE_URL}}`). */
  url: text.optional(),
  /** sqlite: the database file. */
  path: text.optional(),
  query: text.min(1, { error: 'must not be empty' }),
  params: z.array(z.unknown(), { error: 'must be a list' }).optional(),
};
function sqlSourceCheck(s: { driver: string; url?: string | undefined; path?: string | undefined }, ctx: z.RefinementCtx): void {
  if (s.driver === 'postgres' && s.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required for driver postgres' });
  if (s.driver === 'sqlite' && s.path === undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: 'is required for driver sqlite' });
}

const httpProbe = z.strictObject({
  kind: z.literal('http'),
  ...probeCommon,
  url,
  method: httpMethod.default('GET'),
  headers: headers.optional(),
  body: body.optional(),
  timeout_ms: ms.default(2000),
  status: statusList.optional(),
  /** Expectations on the response body (parsed JSON, else text). */
  expect: expectations.optional(),
  output: name.optional(),
});

const metricProbe = z.strictObject({
  kind: z.literal('metric'),
  ...probeCommon,
  metric: metricExpr,
  /** The last N seconds of the load; default: the whole load so far. */
  window_s: positiveSeconds.optional(),
  /** Or the load during one phase (`inject`) / all of it. */
  window: z.enum(['all', 'baseline', 'inject', 'recover'], { error: 'must be all, baseline, inject or recover' }).optional(),
  /** Only this load stream. */
  stream: name.optional(),
  /** Fewer completed requests than this in the window: the probe fails (no data proves nothing). */
  min_requests: z.number().int().min(0).default(1),
  output: name.optional(),
});

const sqlProbe = z
  .strictObject({
    kind: z.literal('sql'),
    ...probeCommon,
    ...sqlSource,
    /** What the value is: the first column of the first row (`scalar`), the first row, or all rows. */
    value: z.enum(['scalar', 'row', 'rows'], { error: 'must be scalar, row or rows' }).default('scalar'),
    expect: expectations.optional(),
    output: name.optional(),
  })
  .superRefine(sqlSourceCheck);

const processProbe = z.strictObject({
  kind: z.literal('process'),
  ...probeCommon,
  /** A process supervised by the executor. */
  process: name,
  /** Require health `healthy` (default) or just running. */
  healthy: z.boolean().default(true),
  output: name.optional(),
});

const commandProbe = z.strictObject({
  kind: z.literal('command'),
  ...probeCommon,
  run: argv,
  cwd: text.optional(),
  env: z.record(z.string(), z.string()).optional(),
  timeout_ms: ms.default(30_000),
  exit_code: z.number().int().default(0),
  /** Parse stdout as JSON; the value is that object (else the trimmed stdout). */
  json: z.boolean().default(false),
  expect: expectations.optional(),
  output: name.optional(),
});

const probeKinds = ['http', 'metric', 'sql', 'process', 'command'] as const;
export const probeSchema = z.discriminatedUnion('kind', [httpProbe, metricProbe, sqlProbe, processProbe, commandProbe], {
  error: `must have kind one of ${probeKinds.join(', ')}`,
});

const preflightKinds = ['process', 'port', 'http', 'disk', 'sqlite', 'postgres', 'command'] as const;
const checkCommon = {
  ...common,
  /** Retry until the check passes or this many seconds went by (a service that is starting). Default 0: once. */
  wait_s: seconds.optional(),
};
const preflightCheck = z.discriminatedUnion(
  'kind',
  [
    z
      .strictObject({
        kind: z.literal('process'),
        ...checkCommon,
        /** A process supervised by the executor. */
        process: name.optional(),
        /** A pid file whose pid must be alive. */
        pid_file: text.optional(),
        /** A process name (as in /proc/<pid>/comm or its command line). */
        process_name: text.optional(),
        /** For a supervised process: require health `healthy` (default), not just running. */
        healthy: z.boolean().default(true),
      })
      .refine((c) => [c.process, c.pid_file, c.process_name].filter((x) => x !== undefined).length === 1, {
        error: 'needs exactly one of process, pid_file, process_name',
      }),
    z.strictObject({
      kind: z.literal('port'),
      ...checkCommon,
      host: text.default('127.0.0.1'),
      port: z.union([z.number().int().min(1).max(65535), text], { error: 'must be a port 1-65535' }),
      timeout_ms: ms.default(1000),
    }),
    z.strictObject({
      kind: z.literal('http'),
      ...checkCommon,
      url,
      method: httpMethod.default('GET'),
      headers: headers.optional(),
      status: statusList.default([200]),
      timeout_ms: ms.default(2000),
    }),
    z.strictObject({
      kind: z.literal('disk'),
      ...checkCommon,
      path: text.default('.'),
      min_free_mb: z.number({ error: 'must be a number of MB' }).min(0, { error: 'must be >= 0' }),
    }),
    z.strictObject({
      kind: z.literal('sqlite'),
      ...checkCommon,
      path: text,
      require_wal: z.boolean().default(true),
    }),
    z.strictObject({
      kind: z.literal('postgres'),
      ...checkCommon,
      url: text,
      query: text.default('select 1'),
      timeout_ms: ms.default(3000),
    }),
    z.strictObject({
      kind: z.literal('command'),
      ...checkCommon,
      run: argv,
      cwd: text.optional(),
      env: z.record(z.string(), z.string()).optional(),
      exit_code: z.number().int().default(0),
      timeout_ms: ms.default(30_000),
    }),
  ],
  { error: `must have kind one of ${preflightKinds.join(', ')}` },
);

/** `a.b[0].c` back into `['a', 'b', 0, 'c']`. */
function parsePath(path: string): (string | number)[] {
  if (path === '(root)') return [];
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? '')));
}

const stepCommon = {
  name: name.optional(),
  /** Keep the step's output under this name: `{{steps.<output>...}}` and `results.<output>`. */
  output: name.optional(),
  /** Stop the method when this step fails (default: record and go on). */
  stop_on_failure: z.boolean().default(false),
  /** Also copy the fields of an object output into the report's top-level `results`. */
  spread: z.boolean().default(false),
};

const stepKinds = ['fault', 'kill', 'pause', 'restart', 'wait', 'probe', 'http', 'await', 'halt', 'command', 'sql', 'remove'] as const;
export const stepSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('fault'),
      ...stepCommon,
      /** A FaultPlan (wire form), applied through the executor. */
      plan: z.record(z.string(), z.unknown(), { error: 'must be a FaultPlan object' }),
      /** Block until the fault has ended (default: apply and go on; the fault runs for its duration). */
      wait: z.boolean().default(false),
    }).superRefine((s, ctx) => {
      // Templates inside a plan are rendered at run time: check plans without them now.
      if (collectExpressions(s.plan).length > 0) return;
      const r = safeParsePlan(s.plan);
      if (!r.ok) for (const issue of r.issues) ctx.addIssue({ code: 'custom', path: ['plan', ...parsePath(issue.path)], message: issue.message });
    }),
    z.strictObject({ kind: z.literal('kill'), ...stepCommon, process: name, signal: text.regex(/^SIG[A-Z0-9]+$/, { error: 'must be a signal name like SIGKILL' }).default('SIGKILL') }),
    z.strictObject({ kind: z.literal('pause'), ...stepCommon, process: name, duration_s: positiveSeconds }),
    z.strictObject({ kind: z.literal('restart'), ...stepCommon, process: name }),
    z.strictObject({ kind: z.literal('wait'), ...stepCommon, seconds }),
    z.strictObject({ kind: z.literal('probe'), ...stepCommon, probe: probeSchema }),
    z.strictObject({
      kind: z.literal('http'),
      ...stepCommon,
      url,
      method: httpMethod.default('GET'),
      headers: headers.optional(),
      body: body.optional(),
      timeout_ms: ms.default(5000),
      /** Statuses that count as success (default any 2xx). */
      status: statusList.optional(),
    }),
    z.strictObject({
      kind: z.literal('await'),
      ...stepCommon,
      /** Poll these until all hold; output `{ elapsed_ms }`. */
      probes: z.array(probeSchema).min(1, { error: 'must not be empty' }),
      timeout_s: positiveSeconds,
      interval_ms: ms.default(200),
    }),
    z.strictObject({ kind: z.literal('halt'), ...stepCommon }),
    z.strictObject({
      kind: z.literal('command'),
      ...stepCommon,
      run: argv,
      cwd: text.optional(),
      env: z.record(z.string(), z.string()).optional(),
      timeout_ms: ms.default(30_000),
      exit_code: z.number().int().default(0),
      json: z.boolean().default(false),
    }),
    z.strictObject({ kind: z.literal('sql'), ...stepCommon, ...sqlSource }).superRefine(sqlSourceCheck),
    z.strictObject({ kind: z.literal('remove'), ...stepCommon, paths: z.array(text).min(1, { error: 'must not be empty' }) }),
  ],
  { error: `must have kind one of ${stepKinds.join(', ')}` },
);

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
      { error: 'must be `<metric> <op> <number> [for <N>s]`, e.g. `error_rate > 0.5 for 5s`' },
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
  preflight: z.array(preflightCheck, { error: 'must be a list of checks' }).default([]),
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
export type Drill = Camelize<DrillWire> & { readonly file: string | null };
export type Probe = Camelize<z.output<typeof probeSchema>>;
export type Step = Camelize<z.output<typeof stepSchema>>;
export type PreflightCheck = Drill['preflight'][number];
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

/** Semantic checks zod cannot do alone: names, references, templates, fault plans. */
function crossCheck(d: DrillWire): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const at = (path: (string | number)[], message: string) => issues.push({ path: formatPath(path), message });

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
        if (r === 'steps' && a !== undefined && !outputs.has(a)) at(p, `{{${expr}}}: no earlier step or probe has output '${a}'`);
        if (r === 'recent' && a !== undefined) {
          const vars = templates.get(a);
          if (!vars) at(p, `{{${expr}}}: no load template named '${a}' with ack: true`);
          else if (b !== undefined && !vars.has(b)) at(p, `{{${expr}}}: template '${a}' has no var '${b}' (or no ack: true)`);
        }
      }
    }
  };

  if (d.executor) checkTemplates(d.executor, ['executor'], 'executor');
  d.preflight.forEach((c, i) => checkTemplates(c, ['preflight', i], 'preflight'));
  if (d.load) checkTemplates(d.load, ['load'], 'load');

  // SQL text takes no value from outside: such values go in as bound parameters.
  const checkQuery = (query: string, path: (string | number)[]) => {
    for (const expr of templateExpressions(query)) {
      const outside = expressionRoots(expr).find((r) => outsideRoots.has(r));
      if (outside !== undefined) at(path, `{{${expr}}}: a value from '${outside}' never goes into SQL text; write $1 (postgres) or ? (sqlite) in the query and put the template in params:`);
    }
  };
  // remove deletes only inside the run's folder or the temp folder; check what is known now.
  const checkRemove = (paths: readonly string[], path: (string | number)[]) => {
    paths.forEach((p, i) => {
      const exprs = templateExpressions(p);
      if (exprs.some((e) => expressionRoots(e).some((r) => outsideRoots.has(r) || r === 'proxies' || r === 'executor'))) return; // checked when it runs
      let rendered: string;
      try {
        rendered = compileTemplate(p).renderString({ env: process.env, run: { id: 'validate', dir: RUN_DIR_PLACEHOLDER, acks_file: `${RUN_DIR_PLACEHOLDER}/acks.jsonl`, cwd: process.cwd(), drill_dir: process.cwd() } });
      } catch {
        return; // an env var set only at run time: checked when it runs
      }
      const why = removalRefusal(rendered, RUN_DIR_PLACEHOLDER, '{{run.dir}}');
      if (why !== undefined) at([...path, i], why);
    });
  };

  const checkProbe = (p: z.output<typeof probeSchema>, path: (string | number)[]) => {
    checkTemplates(p, path, 'step');
    if (p.kind === 'sql') checkQuery(p.query, [...path, 'query']);
    if (p.kind === 'metric') {
      if (!d.load) at([...path, 'metric'], 'a metric probe needs a load section');
      else if (p.stream !== undefined && !streams.has(p.stream) && !templates.has(p.stream)) at([...path, 'stream'], `no load stream or template named '${p.stream}'`);
    }
    if (p.output !== undefined) outputs.add(p.output);
  };
  const checkStep = (s: z.output<typeof stepSchema>, path: (string | number)[]) => {
    checkTemplates(s, path, 'step');
    if (s.kind === 'probe') checkProbe(s.probe, [...path, 'probe']);
    if (s.kind === 'await') s.probes.forEach((p, i) => checkProbe(p, [...path, 'probes', i]));
    if (s.kind === 'sql') checkQuery(s.query, [...path, 'query']);
    if (s.kind === 'remove') checkRemove(s.paths, [...path, 'paths']);
    if (s.output !== undefined) outputs.add(s.output);
  };

  d.steady_state.probes.forEach((p, i) => checkProbe(p, ['steady_state', 'probes', i]));
  d.method.forEach((s, i) => checkStep(s, ['method', i]));
  d.rollbacks.forEach((s, i) => checkStep(s, ['rollbacks', i]));
  d.verify.probes.forEach((p, i) => checkProbe(p, ['verify', 'probes', i]));
  d.verify.recovery_probes?.forEach((p, i) => checkProbe(p, ['verify', 'recovery_probes', i]));
  d.cleanup.forEach((s, i) => checkStep(s, ['cleanup', i]));
  d.stop_conditions.forEach((c, i) => {
    if (!d.load) at(['stop_conditions', i], 'a stop condition needs a load section');
    else if (c.stream !== undefined && !streams.has(c.stream) && !templates.has(c.stream)) at(['stop_conditions', i, 'stream'], `no load stream or template named '${c.stream}'`);
  });
  if (d.verify.recovery_within_s !== undefined && !d.method.some((s) => ['fault', 'kill', 'pause'].includes(s.kind))) {
    at(['verify', 'recovery_within_s'], 'needs a fault, kill or pause step in method to measure from');
  }

  const needsExecutor = [...d.method, ...d.rollbacks, ...d.cleanup].some((s) => ['fault', 'kill', 'pause', 'restart', 'halt'].includes(s.kind));
  const processProbes = [...d.steady_state.probes, ...d.verify.probes].some((p) => p.kind === 'process') || d.preflight.some((c) => c.kind === 'process' && c.process !== undefined);
  if ((needsExecutor || processProbes) && !d.executor) at(['executor'], 'is required: the drill applies faults or reads supervised processes');

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
  return { ok: true, drill: { ...(camelizeSpec(result.data) as Camelize<DrillWire>), file } };
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

/** Validates the embedded executor's config with the executor's own schema, when that module is present. */
async function checkEmbeddedConfig(drill: Drill): Promise<FieldIssue[]> {
  if (!drill.executor?.embedded || drill.executor.config === undefined) return [];
  // Templates are rendered at run time; render them now as the run would (env, run), and skip
  // the check only when a value is not known yet (an env var set later).
  let config: unknown;
  try {
    config = renderConfig(drill.executor.config, {
      env: process.env,
      run: { id: 'validate', dir: '', acks_file: '', cwd: process.cwd(), drill_dir: drill.file ? dirname(resolve(drill.file)) : process.cwd() },
    });
  } catch {
    return [];
  }
  let schema: z.ZodType | undefined;
  try {
    const mod = (await import('../executor/index.js' as string)) as { executorConfigSchema?: z.ZodType };
    schema = mod.executorConfigSchema;
  } catch {
    return [];
  }
  if (!schema) return [];
  const r = schema.safeParse(config);
  if (r.success) return [];
  return fieldIssues(r.error, config).map((i) => ({ path: i.path === '(root)' ? 'executor.config' : `executor.config.${i.path}`, message: i.message }));
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
