/**
 * The zod schemas of the API's request bodies and answers (wire form). The routes validate with
 * the request schemas; `/openapi.json` is generated from all of them with `z.toJSONSchema`.
 */
import { z } from 'zod';
import { killSignals } from '../plan/index.js';
import { listenSchema, nameSchema, proxyConfigSchema, upstreamSchema } from './config.js';

/** `POST /v1/proxies` */
export const proxyCreateSchema = proxyConfigSchema;
export { listenSchema, nameSchema, upstreamSchema };

/** `POST /v1/processes/:name/kill` */
export const killBodySchema = z.strictObject({
  signal: z.enum(killSignals, { error: `must be one of ${killSignals.join(', ')}` }).default('SIGKILL'),
});

/** `POST /v1/processes/:name/pause` */
export const pauseBodySchema = z.strictObject({
  duration_ms: z
    .number({ error: 'must be a number of milliseconds' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be >= 1' })
    .max(7 * 24 * 3600 * 1000, { error: 'must be at most 604800000' }),
});

/** `POST /v1/processes/:name/restart`, `POST /v1/halt`: an empty object (or no body). */
export const emptyBodySchema = z.strictObject({});

export const errorSchema = z.object({
  error: z.string(),
  code: z.string().describe('FL_ERR_... (docs/errors.md)'),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** The fault answers are defined once, in the plan module (the client and drills read them too). */
export { applyResultSchema, statusSchema, faultListSchema, metricsSchema, haltResultSchema } from '../plan/index.js';

export const proxySchema = z.object({
  name: z.string(),
  listen: z.string(),
  upstream: z.string(),
  protocol: z.enum(['tcp', 'http']),
  enabled: z.boolean(),
  faults: z.array(z.string()),
  stats: z.object({
    requests: z.number(),
    faulted: z.number(),
    bytes_in: z.number(),
    bytes_out: z.number(),
    errors: z.number(),
    error_rate: z.number(),
  }),
});

export const proxyListSchema = z.object({ proxies: z.array(proxySchema) });

export const policySchema = z
  .object({
    id: z.string(),
    service: z.string(),
    fault_type: z.string(),
    fault_config: z.record(z.string(), z.unknown()),
    expires_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    installed: z.boolean(),
  })
  .loose();

export const policyListSchema = z.object({ policies: z.array(policySchema) });

export const processSchema = z.object({
  name: z.string(),
  state: z.object({ kind: z.enum(['starting', 'running', 'backoff', 'stopped', 'fatal']) }).loose(),
  pid: z.number().nullable(),
  health: z.enum(['healthy', 'degraded', 'unhealthy']),
  restart_count: z.number(),
  paused: z.boolean(),
  pid_history: z.array(z.number()),
  last_lines: z.array(z.string()),
  last_restart_ms: z.number().nullable(),
  last_recovery_ms: z.number().nullable(),
});

export const processListSchema = z.object({ health: z.enum(['healthy', 'degraded', 'unhealthy']).nullable(), processes: z.array(processSchema) });

export const exporterSchema = z.object({
  name: z.string(),
  url: z.string(),
  interval_ms: z.number(),
  export_count: z.number(),
  error_count: z.number(),
  last_error: z.string().nullable(),
  last_export_at: z.string().nullable(),
});

export const alertSchema = z.object({
  id: z.string(),
  rule: z.string(),
  state: z.enum(['firing', 'resolved']),
  firing: z.string(),
  resolved: z.string().nullable(),
  value: z.number().nullable(),
});

export const alertListSchema = z.object({ alerts: z.array(alertSchema) });

export const healthSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  uptime_s: z.number(),
  mode: z.enum(['executor', 'supervisor']),
  active_faults: z.number().describe('applications in effect now, from every door'),
  store_errors: z.number().describe('state store writes that failed after their retries since the start (faults were still reverted)'),
  policies: z.number(),
  proxies: z.number(),
  exporters: z.array(exporterSchema),
  processes: z.object({
    health: z.enum(['healthy', 'degraded', 'unhealthy']).nullable(),
    items: z.array(z.object({ name: z.string(), health: z.string(), state: z.string(), pid: z.number().nullable() })),
  }),
});

/** One line of the audit trail (`GET /v1/events`). */
export const eventSchema = z.object({
  id: z.number().int(),
  time: z.string().describe('ISO 8601'),
  kind: z
    .string()
    .describe('applied, scheduled, started, ended, cancelled, failed, halted, refused, proxy_created, proxy_updated, proxy_removed, policy_saved, policy_deleted, ...'),
  subject: z.string().describe('the fault id, proxy name, policy id, or METHOD /path of a refused request'),
  data: z.record(z.string(), z.unknown()),
});

export const eventListSchema = z.object({ events: z.array(eventSchema) });

/** `GET /v1/events?since=&limit=` */
export const eventQuerySchema = z.strictObject({
  since: z
    .string({ error: 'must be an ISO 8601 time or epoch milliseconds' })
    .refine((s) => (/^\d+$/.test(s) ? Number.isSafeInteger(Number(s)) : !Number.isNaN(Date.parse(s))), {
      error: 'must be an ISO 8601 time or epoch milliseconds',
    })
    .transform((s) => (/^\d+$/.test(s) ? Number(s) : Date.parse(s)))
    .optional(),
  limit: z
    .string({ error: 'must be a number' })
    .regex(/^\d{1,4}$/, { error: 'must be an integer 1-1000' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, { error: 'must be an integer 1-1000' })
    .default(100),
});
