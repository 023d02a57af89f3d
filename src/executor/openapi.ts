/**
 * `/openapi.json`: an OpenAPI 3.1 document with one real operation per route: request and answer
 * schemas come from the zod schemas through `z.toJSONSchema`. The v1 routes carry their own
 * documentation (the route table); routes registered outside it (the Toxiproxy-compatible API)
 * are documented in `toxiproxy-compat/docs.ts`. A registered route with no documentation is left
 * out of the document, and test/executor/openapi-live.test.ts fails naming it.
 */
import { z } from 'zod';
import { errorSchema } from './schemas.js';
import { toxiproxyRouteDocs } from './toxiproxy-compat/docs.js';

/** A route some plugin registered outside the v1 table. */
export interface ExtraRoute {
  readonly method: string;
  readonly url: string;
}

/** The documentation of one route (a v1 `RouteDef` is one, with its handler). */
export interface RouteDoc {
  readonly method: string;
  /** fastify form, e.g. `/v1/faults/:apply_id/status` */
  readonly url: string;
  readonly summary: string;
  readonly tag: string;
  /** Request body schema (zod) or a JSON Schema. */
  readonly body?: z.ZodType | Record<string, unknown>;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
  readonly contentType?: string;
  /** The shape of its error answers (default: the v1 `{ error, code, issues? }`). */
  readonly errorSchema?: z.ZodType;
}

/** Documentation of routes registered outside the v1 table. */
export const extraRouteDocs: readonly RouteDoc[] = toxiproxyRouteDocs;

const key = (method: string, url: string) => `${method.toUpperCase()} ${url}`;

/** fastify `:param` -> OpenAPI `{param}`. */
export function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType | Record<string, unknown>, io: 'input' | 'output'): Record<string, unknown> {
  if (schema instanceof z.ZodType) {
    const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
    delete out.$schema;
    return out;
  }
  const { $schema: _drop, ...rest } = schema;
  return rest;
}

/** Builds the document: the v1 routes, and the registered routes that `extra` documents. */
export function buildOpenApi(routes: readonly RouteDoc[], registered: readonly ExtraRoute[], version: string, extra: readonly RouteDoc[] = extraRouteDocs): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const v1Error = jsonSchema(errorSchema, 'output');
  const isRegistered = new Set(registered.map((r) => key(r.method, r.url)));
  const documented = [...routes, ...extra.filter((d) => isRegistered.has(key(d.method, d.url)))];
  for (const r of documented) {
    const path = toOpenApiPath(r.url);
    const error = r.errorSchema ? jsonSchema(r.errorSchema, 'output') : v1Error;
    const params = [...r.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      const ok = Number(status) < 400;
      const schema = res.schema ? jsonSchema(res.schema, 'output') : ok ? undefined : error;
      responses[status] = schema
        ? { description: res.description, content: { [r.contentType ?? 'application/json']: { schema } } }
        : r.contentType && ok
          ? { description: res.description, content: { [r.contentType]: { schema: { type: 'string' } } } }
          : { description: res.description };
    }
    if (r.method !== 'GET') {
      responses['401'] = { description: 'a token is configured and the request has none or a wrong one', content: { 'application/json': { schema: error } } };
    }
    responses.default = { description: 'error', content: { 'application/json': { schema: error } } };
    const op: Record<string, unknown> = { summary: r.summary, tags: [r.tag], operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`, responses };
    if (params.length > 0) op.parameters = params;
    if (r.body) op.requestBody = { required: false, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  paths['/openapi.json'] = {
    get: { summary: 'This document', tags: ['meta'], operationId: 'getOpenapi', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'faultline executor API', version, description: 'Control plane of faultline: fault applications, policies, proxies, supervised processes. snake_case JSON. See docs/api.md.' },
    servers: [{ url: 'http://127.0.0.1:8474' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Needed on mutating requests when the executor has a token (FAULTLINE_TOKEN / --token).' } },
      schemas: { Error: v1Error },
    },
    paths,
  };
}
