/**
 * The fault API's answers (wire form, snake_case), defined once: the executor validates and
 * documents its answers with these schemas (`/openapi.json`), the client and the drill module
 * type what they read with them (`Camelize<...>` after converting at the edge).
 */
import { z } from 'zod';

/** Every door a fault can come through. */
export const faultSources = ['v1', 'policy', 'toxiproxy', 'process', 'drill', 'cli'] as const;
/** Which door a fault came through. */
export type FaultSource = (typeof faultSources)[number];

/** Every status of an application. */
export const applicationStatuses = ['pending', 'running', 'completed', 'cancelled', 'failed'] as const;
export type ApplicationStatus = (typeof applicationStatuses)[number];

/** `POST /v1/faults/apply` */
export const applyResultSchema = z.object({
  apply_id: z.string(),
  status: z.enum(['applied', 'scheduled']),
  start_time: z.string(),
  end_time: z.string(),
});

/** `GET /v1/faults/:apply_id/status`, `DELETE /v1/faults/:apply_id` */
export const statusSchema = z.object({
  apply_id: z.string(),
  service: z.string(),
  fault_type: z.string(),
  source: z.enum(faultSources).describe('the door the fault came through'),
  status: z.enum(applicationStatuses),
  start_time: z.string().describe('ISO 8601, absolute'),
  end_time: z.string().describe('ISO 8601, absolute (planned end while pending or running)'),
  error_msg: z.string().nullable(),
});

/** `GET /v1/faults` */
export const faultListSchema = z.object({ faults: z.array(statusSchema) });

/** `GET /v1/faults/:apply_id/metrics` */
export const metricsSchema = z.object({
  apply_id: z.string(),
  requests: z.number(),
  faulted: z.number(),
  status_codes: z.record(z.string(), z.number()),
  latency_ms: z.object({ avg: z.number(), p50: z.number(), p95: z.number(), p99: z.number(), max: z.number() }),
  error_rate: z.number(),
  logs: z.array(z.unknown()),
});

/** `POST /v1/halt` */
export const haltResultSchema = z.object({
  status: z.literal('halted'),
  cancelled: z.number(),
  policies_removed: z.number(),
  revert_ms: z.number().describe('how long reverting everything took inside the executor (the store is not waited for)'),
});

/** Wire answers. */
export type ApplyResultWire = z.output<typeof applyResultSchema>;
export type StatusWire = z.output<typeof statusSchema>;
export type MetricsWire = z.output<typeof metricsSchema>;
export type HaltResultWire = z.output<typeof haltResultSchema>;
