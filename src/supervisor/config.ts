import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError, camelizeKeys, fieldIssues, type Camelize } from '../plan/index.js';

/** Signals a process can be stopped with. */
export const stopSignals = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGKILL', 'SIGUSR1', 'SIGUSR2', 'SIGABRT'] as const;

const ms = (what: string) =>
  z.number({ error: `must be a number of milliseconds (${what})` }).int({ error: 'must be an integer' }).min(0, { error: 'must be >= 0' });
const positiveInt = z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1, { error: 'must be >= 1' });

const healthTiming = {
  /** Steady-state check interval. */
  interval_ms: ms('interval').min(1, { error: 'must be >= 1' }).default(250),
  /** Check interval while a process is starting or recovering: fast, so recovery_ms is precise. */
  recovery_interval_ms: ms('recovery interval').min(1, { error: 'must be >= 1' }).default(10),
  timeout_ms: ms('timeout').min(1, { error: 'must be >= 1' }).default(1000),
  /** Consecutive successes before a process counts as healthy. */
  healthy_after: positiveInt.default(1),
  /** Consecutive failures before a healthy process counts as degraded. */
  unhealthy_after: positiveInt.default(3),
};

const httpCheck = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  expect_status: z
    .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)], {
      error: 'must be an HTTP status (100-599) or a list of them',
    })
    .default(200),
});

const tcpCheck = z.strictObject({
  host: z.string({ error: 'must be a string' }).min(1).default('127.0.0.1'),
  port: z.number({ error: 'must be a port number' }).int().min(1, { error: 'must be 1-65535' }).max(65535, { error: 'must be 1-65535' }),
});

const commandCheck = z.union(
  [z.string().min(1, { error: 'must not be empty' }), z.array(z.string()).min(1, { error: 'must name a program' })],
  { error: 'must be a shell command string or an argv array' },
);

const healthSchema = z
  .strictObject({
    http: httpCheck.optional(),
    tcp: tcpCheck.optional(),
    command: commandCheck.optional(),
    ...healthTiming,
  })
  .superRefine((h, ctx) => {
    const kinds = (['http', 'tcp', 'command'] as const).filter((k) => h[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: kinds.length === 0 ? 'needs one of http, tcp or command' : `takes one of http, tcp or command, not ${kinds.join(' and ')}`,
      });
    }
  });

const backoffSchema = z.strictObject({
  /** Delay before the second restart of a crash loop (the first restart after a stable run is immediate). */
  initial_ms: ms('initial backoff').default(100),
  max_ms: ms('max backoff').default(5000),
  multiplier: z.number({ error: 'must be a number' }).min(1, { error: 'must be >= 1' }).max(100, { error: 'must be <= 100' }).default(2),
});

const restartSchema = z.strictObject({
  policy: z.enum(['always', 'on-failure', 'never'], { error: 'must be one of always, on-failure, never' }).default('always'),
  backoff: backoffSchema.prefault({}),
  /** More than this many automatic restarts within window_s marks the process fatal. */
  max_restarts: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(0, { error: 'must be >= 0' }).default(10),
  window_s: z.number({ error: 'must be a number of seconds' }).gt(0, { error: 'must be > 0' }).default(60),
  /** An exit after this much uptime resets the backoff and the restart window (like supervisord's startsecs, PM2's min_uptime). */
  stable_after_s: z.number({ error: 'must be a number of seconds' }).min(0, { error: 'must be >= 0' }).default(1),
});

/** One supervised process, wire form (snake_case), as written under `processes:` in faultline.yaml. */
export const processConfigSchema = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, { error: 'must be 1-100 characters of letters, digits, . _ - (starting with a letter or digit)' }),
  command: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  args: z.array(z.string({ error: 'must be a string' }), { error: 'must be a list of strings' }).default([]),
  env: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of name to string value' }).default({}),
  cwd: z.string({ error: 'must be a string' }).min(1).optional(),
  health: healthSchema.optional(),
  restart: restartSchema.prefault({}),
  stop_signal: z.enum(stopSignals, { error: `must be one of ${stopSignals.join(', ')}` }).default('SIGTERM'),
  stop_timeout_ms: ms('stop timeout').default(5000),
  /** Where stdout and stderr go; default `<runs_dir>/<run_id>/logs/<name>.log`. */
  log_file: z.string({ error: 'must be a string' }).min(1).optional(),
  /** How many of the last output lines are kept in memory. */
  log_lines: z.number().int().min(0).max(10_000).default(100),
});

/** The `processes:` section: a list of processes with unique names. */
export const processesConfigSchema = z.array(processConfigSchema, { error: 'must be a list of processes' }).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((p, i) => {
    if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate process name '${p.name}'` });
    seen.add(p.name);
  });
});

/** A process entry as written (defaults optional). */
export type ProcessConfigWire = z.input<typeof processConfigSchema>;
/** A validated process entry in code form (camelCase, defaults filled). */
export type ProcessConfig = Camelize<z.output<typeof processConfigSchema>>;
export type HealthConfig = NonNullable<ProcessConfig['health']>;
export type RestartConfig = ProcessConfig['restart'];

/**
 * Validates a `processes:` list (wire form) and returns it in code form.
 * @throws ValidationError (FL_ERR_SUPERVISOR_CONFIG_INVALID) naming each bad field's path, e.g. `processes[0].health.http.url`.
 */
export function parseProcessesConfig(input: unknown): ProcessConfig[] {
  const result = processesConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ValidationError('processes config', fieldIssues(result.error, input, ['processes']), 'FL_ERR_SUPERVISOR_CONFIG_INVALID');
  }
  // env keys are the user's variable names: keep them as written.
  return result.data.map((p) => ({ ...camelizeKeys({ ...p, env: undefined }), env: { ...p.env } }) as ProcessConfig);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** sha256 (hex) of the normalized config: defaults filled, keys sorted. */
export function configHash(config: readonly ProcessConfig[]): string {
  return createHash('sha256').update(JSON.stringify(sortKeys(config))).digest('hex');
}
