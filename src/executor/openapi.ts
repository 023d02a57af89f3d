/**
 * `/openapi.json`: an OpenAPI 3.1 document built from the route table; request and answer
 * schemas come from the zod schemas through `z.toJSONSchema`. Routes registered by plugins (the
 * Toxiproxy-compatible API) are listed too, described by what they registered.
 */
import { z } from 'zod';
import { errorSchema } from './schemas.js';
import type { RouteDef } from './routes/v1.js';

/** A route some plugin registered outside the v1 table. */
export interface ExtraRoute {
  readonly method: string;
  readonly url: string;
}

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

/** Builds the document. */
export function buildOpenApi(routes: readonly RouteDef[], extra: readonly ExtraRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const error = jsonSchema(errorSchema, 'output');
  for (const r of routes) {
    const path = toOpenApiPath(r.url);
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
  for (const e of extra) {
    const path = toOpenApiPath(e.url);
    const method = e.method.toLowerCase();
    if (paths[path]?.[method]) continue;
    (paths[path] ??= {})[method] = {
      summary: e.url.startsWith('/v1') || e.url === '/metrics' || e.url === '/openapi.json' ? e.url : 'Toxiproxy-compatible API (see https://github.com/Shopify/toxiproxy#http-api)',
      tags: [e.url.startsWith('/v1') ? 'v1' : 'toxiproxy'],
      responses: { default: { description: 'see the Toxiproxy HTTP API' } },
    };
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
      schemas: { Error: error },
    },
    paths,
  };
}
