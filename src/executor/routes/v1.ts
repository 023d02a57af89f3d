/**
 * API v1: one declarative table of routes. The server registers them; `/openapi.json` is built
 * from the same table, so a route cannot exist without its document entry.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { faultPlanJsonSchema, fieldIssues, parsePlan, snakifyKeys } from '../../plan/index.js';
import type { ProcessInfo, Supervisor } from '../../supervisor/index.js';
import type { Applications } from '../applications.js';
import { NAME_PATTERN } from '../config.js';
import { InvalidRequestError, NoSupervisorError, NotFoundError } from '../errors.js';
import type { TelemetryHandle } from '../modules.js';
import type { Policies } from '../policies.js';
import type { FaultSource, Store } from '../store.js';
import type { ProxyManager } from '../proxies.js';
import {
  alertListSchema,
  applyResultSchema,
  emptyBodySchema,
  eventListSchema,
  eventQuerySchema,
  faultListSchema,
  haltResultSchema,
  healthSchema,
  killBodySchema,
  metricsSchema,
  nameSchema,
  pauseBodySchema,
  policyListSchema,
  policySchema,
  processListSchema,
  processSchema,
  proxyCreateSchema,
  proxyListSchema,
  proxySchema,
  statusSchema,
} from '../schemas.js';

/** What the routes work on. The executor passes everything; `faultline supervise` only the supervisor. */
export interface RouteContext {
  readonly mode: 'executor' | 'supervisor';
  readonly version: string;
  readonly startedAt: number;
  readonly applications?: Applications;
  readonly policies?: Policies;
  readonly proxies?: ProxyManager;
  readonly store?: Store;
  /** Cap of every fault, ms (process routes' `duration_ms` included). */
  readonly maxDurationMs: number;
  readonly supervisor: () => Supervisor | undefined;
  readonly telemetry: TelemetryHandle;
  /** Reverts every fault and policy now. */
  halt(): Promise<{ cancelled: number; policiesRemoved: number }>;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One route of the API and its document. */
export interface RouteDef {
  readonly method: Method;
  /** fastify form, e.g. `/v1/faults/:apply_id/status` */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  /** Request body schema (zod) or a JSON Schema. */
  readonly body?: z.ZodType | Record<string, unknown>;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
  readonly contentType?: string;
  readonly handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/**
 * Validates a body (an absent body counts as `{}`; a JSON `null` does not).
 * @throws InvalidRequestError (400) naming each bad field.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const input = body === undefined ? {} : body;
  const r = schema.safeParse(input);
  if (!r.success) throw new InvalidRequestError(what, fieldIssues(r.error, input));
  return r.data;
}

function param(req: FastifyRequest, name: string): string {
  return String((req.params as Record<string, unknown>)[name] ?? '');
}

/**
 * A name or id from the URL, held to the name rule (`..%2F..%2Fetc` never becomes a policy id).
 * @throws InvalidRequestError (400) with the parameter as the path.
 */
function nameParam(req: FastifyRequest, name: string): string {
  const value = param(req, name);
  const r = nameSchema.safeParse(value);
  if (!r.success) throw new InvalidRequestError(`${name} in the URL`, [{ path: name, message: r.error.issues[0]?.message ?? 'invalid' }]);
  return r.data;
}

/** The store's event kinds as the audit trail names them (`fault_completed` -> `ended`, `halt` -> `halted`). */
function eventKind(kind: string): string {
  if (kind === 'halt') return 'halted';
  if (kind === 'fault_completed') return 'ended';
  return kind.startsWith('fault_') ? kind.slice('fault_'.length) : kind;
}

function processView(p: ProcessInfo): z.output<typeof processSchema> {
  return {
    name: p.name,
    state: snakifyKeys({ ...p.state }) as z.output<typeof processSchema>['state'],
    pid: p.pid,
    health: p.health,
    restart_count: p.restartCount,
    paused: p.paused,
    pid_history: [...p.pidHistory],
    last_lines: [...p.lastLines],
    last_restart_ms: p.lastRestartMs,
    last_recovery_ms: p.lastRecoveryMs,
  };
}

/**
 * Which door a v1 request comes through: the `x-faultline-source` header (`drill`, `cli`; the
 * client sets it), else `v1`. Only the sources a caller of the API can be.
 */
function sourceOf(req: FastifyRequest): FaultSource {
  const h = req.headers['x-faultline-source'];
  const v = Array.isArray(h) ? h[0] : h;
  return v === 'drill' || v === 'cli' ? v : 'v1';
}

const notFound = { description: 'unknown name or id' };
const bad = { description: 'invalid request: `issues` names each bad field' };

/** Builds the route table for a context. */
export function v1Routes(ctx: RouteContext): RouteDef[] {
  const sup = (name: string): Supervisor => {
    const s = ctx.supervisor();
    if (!s) throw new NoSupervisorError(name);
    if (!s.get(name)) throw new NotFoundError('process', name);
    return s;
  };
  const routes: RouteDef[] = [
    {
      method: 'GET',
      url: '/v1/health',
      summary: 'Liveness, version, uptime, exporter status and process health',
      tag: 'health',
      responses: { 200: { description: 'the executor is up', schema: healthSchema } },
      handler: async () => {
        const s = ctx.supervisor();
        const items = s?.list() ?? [];
        return {
          status: 'ok',
          version: ctx.version,
          uptime_s: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
          mode: ctx.mode,
          active_faults: ctx.applications?.activeCount() ?? 0,
          store_errors: ctx.store?.errorCount ?? 0,
          policies: ctx.policies?.installedCount() ?? 0,
          proxies: ctx.proxies?.list().length ?? 0,
          exporters: ctx.telemetry.exporters().map((e) => snakifyKeys({ ...e })),
          processes: {
            health: s ? s.health() : null,
            items: items.map((p) => ({ name: p.name, health: p.health, state: p.state.kind, pid: p.pid })),
          },
        };
      },
    },
  ];

  const apps = ctx.applications;
  const policies = ctx.policies;
  const proxies = ctx.proxies;
  if (apps && policies && proxies) {
    routes.push(
      {
        method: 'POST',
        url: '/v1/faults/apply',
        summary: 'Apply a FaultPlan: installs it now (applied) or after its start delay (scheduled)',
        tag: 'faults',
        body: faultPlanJsonSchema(),
        responses: { 201: { description: 'accepted', schema: applyResultSchema }, 400: bad, 404: notFound, 409: { description: 'could not be installed' } },
        handler: async (req, reply) => {
          const r = await apps.apply(req.body, sourceOf(req));
          reply.code(201);
          return { apply_id: r.applyId, status: r.status, start_time: r.view.start_time, end_time: r.view.end_time };
        },
      },
      {
        method: 'GET',
        url: '/v1/faults',
        summary: 'List applications from every door (v1, policy, toxiproxy, process, drill, cli), newest first',
        tag: 'faults',
        responses: { 200: { description: 'applications', schema: faultListSchema } },
        handler: async () => ({ faults: apps.list() }),
      },
      {
        method: 'GET',
        url: '/v1/faults/:apply_id/status',
        summary: 'Status of one application',
        tag: 'faults',
        responses: { 200: { description: 'status', schema: statusSchema }, 404: notFound },
        handler: async (req) => apps.status(param(req, 'apply_id')),
      },
      {
        method: 'GET',
        url: '/v1/faults/:apply_id/metrics',
        summary: 'What the target saw while the fault was installed (zeros for process faults)',
        tag: 'faults',
        responses: { 200: { description: 'observation', schema: metricsSchema }, 404: notFound },
        handler: async (req) => apps.metrics(param(req, 'apply_id')),
      },
      {
        method: 'DELETE',
        url: '/v1/faults/:apply_id',
        summary: 'Cancel an application: the fault is reverted before the answer',
        tag: 'faults',
        responses: { 200: { description: 'its status after cancelling', schema: statusSchema }, 404: notFound },
        handler: async (req) => apps.cancel(param(req, 'apply_id')),
      },
      {
        method: 'POST',
        url: '/v1/halt',
        summary: 'Revert every fault and delete every policy now (the body, if any, is ignored: a halt always works)',
        tag: 'faults',
        body: emptyBodySchema,
        responses: { 200: { description: 'halted', schema: haltResultSchema } },
        handler: async () => {
          const t0 = performance.now();
          const r = await ctx.halt();
          const revertMs = Math.round((performance.now() - t0) * 100) / 100;
          return { status: 'halted', cancelled: r.cancelled, policies_removed: r.policiesRemoved, revert_ms: revertMs };
        },
      },
      {
        method: 'GET',
        url: '/v1/policies',
        summary: 'List standing faults',
        tag: 'policies',
        responses: { 200: { description: 'policies', schema: policyListSchema } },
        handler: async () => ({ policies: policies.list() }),
      },
      {
        method: 'POST',
        url: '/v1/policies',
        summary: 'Create a standing fault: a FaultPlan plus `id` and optional `expires_at`',
        tag: 'policies',
        body: policyBodyJsonSchema(),
        responses: { 201: { description: 'created', schema: policySchema }, 400: bad, 404: notFound, 409: { description: 'the id exists' } },
        handler: async (req, reply) => {
          const v = await policies.create(req.body);
          reply.code(201);
          return v;
        },
      },
      {
        method: 'GET',
        url: '/v1/policies/:id',
        summary: 'One policy',
        tag: 'policies',
        responses: { 200: { description: 'policy', schema: policySchema }, 404: notFound },
        handler: async (req) => policies.get(param(req, 'id')),
      },
      {
        method: 'PUT',
        url: '/v1/policies/:id',
        summary: 'Create or replace a policy',
        tag: 'policies',
        body: policyBodyJsonSchema(),
        responses: { 200: { description: 'saved', schema: policySchema }, 400: bad, 404: notFound },
        handler: async (req) => policies.put(nameParam(req, 'id'), req.body),
      },
      {
        method: 'DELETE',
        url: '/v1/policies/:id',
        summary: 'Uninstall and delete a policy',
        tag: 'policies',
        responses: { 204: { description: 'deleted' }, 404: notFound },
        handler: async (req, reply) => {
          await policies.delete(param(req, 'id'));
          reply.code(204);
          return null;
        },
      },
      {
        method: 'GET',
        url: '/v1/proxies',
        summary: 'List proxies with their totals',
        tag: 'proxies',
        responses: { 200: { description: 'proxies', schema: proxyListSchema } },
        handler: async () => ({ proxies: proxies.list().map((p) => proxies.view(p)) }),
      },
      {
        method: 'POST',
        url: '/v1/proxies',
        summary: 'Create a proxy (stored: it comes back after a restart)',
        tag: 'proxies',
        body: proxyCreateSchema,
        responses: { 201: { description: 'created and listening', schema: proxySchema }, 400: bad, 409: { description: 'the name exists or the address is taken' } },
        handler: async (req, reply) => {
          const b = parseBody(proxyCreateSchema, req.body, 'proxy');
          const p = await proxies.create({ name: b.name, listen: b.listen, upstream: b.upstream, protocol: b.protocol, enabled: b.enabled });
          reply.code(201);
          return proxies.view(p);
        },
      },
      {
        method: 'GET',
        url: '/v1/proxies/:name',
        summary: 'One proxy',
        tag: 'proxies',
        responses: { 200: { description: 'proxy', schema: proxySchema }, 404: notFound },
        handler: async (req) => proxies.view(proxies.require(param(req, 'name'))),
      },
      {
        method: 'DELETE',
        url: '/v1/proxies/:name',
        summary: 'Close and delete a proxy; applications on it are cancelled',
        tag: 'proxies',
        responses: { 204: { description: 'deleted' }, 404: notFound },
        handler: async (req, reply) => {
          await proxies.remove(param(req, 'name'));
          reply.code(204);
          return null;
        },
      },
    );
  }

  routes.push(
    {
      method: 'GET',
      url: '/v1/processes',
      summary: 'Supervised processes and the aggregate health',
      tag: 'processes',
      responses: { 200: { description: 'processes', schema: processListSchema } },
      handler: async () => {
        const s = ctx.supervisor();
        return { health: s ? s.health() : null, processes: (s?.list() ?? []).map(processView) };
      },
    },
    {
      method: 'GET',
      url: '/v1/processes/:name',
      summary: 'One supervised process',
      tag: 'processes',
      responses: { 200: { description: 'process', schema: processSchema }, 404: notFound },
      handler: async (req) => {
        const name = param(req, 'name');
        const info = sup(name).get(name);
        if (!info) throw new NotFoundError('process', name);
        return processView(info);
      },
    },
    {
      method: 'POST',
      url: '/v1/processes/:name/kill',
      summary: 'Send a signal (default SIGKILL) to the process group; the restart policy applies',
      tag: 'processes',
      body: killBodySchema,
      responses: { 200: { description: 'the process after the signal', schema: processSchema }, 400: bad, 404: notFound, 409: { description: 'not running' } },
      handler: async (req) => {
        const name = param(req, 'name');
        const s = sup(name);
        const b = parseBody(killBodySchema, req.body, 'kill request');
        if (apps) await apps.open(parsePlan({ service: name, fault_type: 'kill', fault_config: { signal: b.signal } }), { source: 'process' });
        else await s.kill(name, b.signal as NodeJS.Signals);
        return processView(s.get(name) as ProcessInfo);
      },
    },
    {
      method: 'POST',
      url: '/v1/processes/:name/pause',
      summary: 'SIGSTOP the process now, SIGCONT after duration_ms (at most max_duration_seconds); pauses stack',
      tag: 'processes',
      body: pauseBodySchema,
      responses: { 200: { description: 'the paused process', schema: processSchema }, 400: bad, 404: notFound, 409: { description: 'not running' } },
      handler: async (req) => {
        const name = param(req, 'name');
        const s = sup(name);
        const b = parseBody(pauseBodySchema, req.body, 'pause request');
        if (b.duration_ms > ctx.maxDurationMs) {
          throw new InvalidRequestError('pause request', [
            { path: 'duration_ms', message: `must be at most ${ctx.maxDurationMs} (max_duration_seconds ${ctx.maxDurationMs / 1000})` },
          ]);
        }
        if (apps) await apps.open(parsePlan({ service: name, fault_type: 'pause', duration_seconds: b.duration_ms / 1000 }), { source: 'process' });
        else await s.pause(name, b.duration_ms);
        return processView(s.get(name) as ProcessInfo);
      },
    },
    {
      method: 'POST',
      url: '/v1/processes/:name/resume',
      summary: 'End every pause of the process now (SIGCONT), whatever door paused it',
      tag: 'processes',
      body: emptyBodySchema,
      responses: { 200: { description: 'the running process', schema: processSchema }, 400: bad, 404: notFound },
      handler: async (req) => {
        const name = param(req, 'name');
        const s = sup(name);
        parseBody(emptyBodySchema, req.body, 'resume request');
        await apps?.cancelAll('resumed', 'cancel', (row) => row.service === name && row.faultType === 'pause');
        await s.resume(name);
        return processView(s.get(name) as ProcessInfo);
      },
    },
    {
      method: 'POST',
      url: '/v1/processes/:name/restart',
      summary: 'Stop the process with its stop signal, then start it again',
      tag: 'processes',
      body: emptyBodySchema,
      responses: { 200: { description: 'the restarted process', schema: processSchema }, 400: bad, 404: notFound },
      handler: async (req) => {
        const name = param(req, 'name');
        const s = sup(name);
        parseBody(emptyBodySchema, req.body, 'restart request');
        if (apps) await apps.open(parsePlan({ service: name, fault_type: 'restart' }), { source: 'process' });
        else await s.restart(name);
        return processView(s.get(name) as ProcessInfo);
      },
    },
    {
      method: 'GET',
      url: '/v1/events',
      summary: 'The audit trail, newest first: faults applied, ended, cancelled, halts, refused requests (`?since=` ISO time or epoch ms, `?limit=` 1-1000, default 100)',
      tag: 'events',
      responses: { 200: { description: 'events', schema: eventListSchema }, 400: bad, 401: { description: 'a token is set and was not sent' } },
      handler: async (req) => {
        const q = parseBody(eventQuerySchema, req.query, 'events query');
        const events = ctx.store?.readEvents({ limit: q.limit, ...(q.since !== undefined ? { since: q.since } : {}) }) ?? [];
        return { events: events.map((e) => ({ id: e.id, time: new Date(e.time).toISOString(), kind: eventKind(e.kind), subject: e.subject, data: e.data })) };
      },
    },
    {
      method: 'GET',
      url: '/v1/alerts',
      summary: 'Alerts: firing and resolved, with their times',
      tag: 'alerts',
      responses: { 200: { description: 'alerts', schema: alertListSchema } },
      handler: async () => ({ alerts: ctx.telemetry.alerts().map((a) => ({ ...a })) }),
    },
    {
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus exposition: faults, applications, proxies, processes, API requests',
      tag: 'metrics',
      contentType: 'text/plain',
      responses: { 200: { description: 'Prometheus text format' } },
      handler: async (_req, reply) => {
        reply.type(ctx.telemetry.registry.contentType);
        return ctx.telemetry.registry.metrics();
      },
    },
  );
  return routes;
}

function policyBodyJsonSchema(): Record<string, unknown> {
  // `id` and `expires_at` go into every branch of the plan's oneOf: an allOf beside a branch
  // closed by additionalProperties: false would refuse every body that has them.
  const { $id: _planId, title: _title, ...plan } = faultPlanJsonSchema();
  const extra = {
    id: { type: 'string', pattern: NAME_PATTERN.source, not: { enum: ['.', '..'] } },
    expires_at: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'integer', minimum: 0 }, { type: 'null' }] },
  };
  const branches = (plan['oneOf'] as Array<Record<string, unknown>>).map((b) => ({ ...b, properties: { ...(b['properties'] as Record<string, unknown>), ...extra } }));
  return {
    ...plan,
    description: 'A FaultPlan (see POST /v1/faults/apply) plus `id` and optional `expires_at`; `duration_seconds` is ignored (a policy stands until deleted or expired).',
    oneOf: branches,
  };
}
