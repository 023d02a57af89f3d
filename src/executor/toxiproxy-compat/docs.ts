/**
 * The OpenAPI operations of the Toxiproxy-compatible routes: Toxiproxy's wire format (its
 * answers, its `{ error, status }` errors) as zod schemas, one entry per route. `/openapi.json`
 * lists a registered route only with an entry here (or in the v1 table); a test fails naming any
 * route registered without one.
 */
import { z } from 'zod';
import { toxicTypes } from '../../plan/index.js';
import type { RouteDoc } from '../openapi.js';

/** A toxic as Toxiproxy shows it. */
export const toxiproxyToxicSchema = z.object({
  name: z.string(),
  type: z.enum(toxicTypes),
  stream: z.enum(['upstream', 'downstream']),
  toxicity: z.number().min(0).max(1),
  attributes: z.record(z.string(), z.unknown()),
});

/** A proxy as Toxiproxy shows it. */
export const toxiproxyProxySchema = z.object({
  name: z.string(),
  listen: z.string(),
  upstream: z.string(),
  enabled: z.boolean(),
  toxics: z.array(toxiproxyToxicSchema),
});

/** Toxiproxy's error answer, plus faultline's error code. */
export const toxiproxyErrorSchema = z.object({ error: z.string(), status: z.number().int(), code: z.string().describe('FL_ERR_... (docs/errors.md)') });

const proxyBody = z.object({ name: z.string(), listen: z.string().optional(), upstream: z.string(), enabled: z.boolean().optional() });
const proxyPatch = z.object({ listen: z.string().optional(), upstream: z.string().optional(), enabled: z.boolean().optional() });
const toxicBody = z.object({
  name: z.string().optional(),
  type: z.enum(toxicTypes),
  stream: z.enum(['upstream', 'downstream']).optional(),
  toxicity: z.number().min(0).max(1).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});
const toxicPatch = z.object({ toxicity: z.number().min(0).max(1).optional(), attributes: z.record(z.string(), z.unknown()).optional() });

const err = (description: string) => ({ description, schema: toxiproxyErrorSchema });
const tag = 'toxiproxy';
const errorSchema = toxiproxyErrorSchema;

/** One entry per Toxiproxy-compatible route. */
export const toxiproxyRouteDocs: readonly RouteDoc[] = [
  { method: 'GET', url: '/version', tag, errorSchema, summary: 'Toxiproxy: the server version', responses: { 200: { description: 'version', schema: z.object({ version: z.string() }) } } },
  { method: 'GET', url: '/proxies', tag, errorSchema, summary: 'Toxiproxy: every proxy, by name', responses: { 200: { description: 'proxies by name', schema: z.record(z.string(), toxiproxyProxySchema) } } },
  {
    method: 'POST',
    url: '/proxies',
    tag,
    errorSchema,
    summary: 'Toxiproxy: create a TCP proxy',
    body: proxyBody,
    responses: { 201: { description: 'created', schema: toxiproxyProxySchema }, 400: err('bad body'), 409: err('the name exists or the address is taken') },
  },
  {
    method: 'POST',
    url: '/populate',
    tag,
    errorSchema,
    summary: 'Toxiproxy: create or replace many proxies (validated before any is created)',
    body: z.array(proxyBody),
    responses: { 201: { description: 'the proxies', schema: z.object({ proxies: z.array(toxiproxyProxySchema) }) }, 400: err('bad body') },
  },
  { method: 'GET', url: '/proxies/:proxy', tag, errorSchema, summary: 'Toxiproxy: one proxy', responses: { 200: { description: 'proxy', schema: toxiproxyProxySchema }, 404: err('no such proxy') } },
  ...(['POST', 'PATCH'] as const).map(
    (method): RouteDoc => ({
      method,
      url: '/proxies/:proxy',
      tag,
    errorSchema,
      summary: 'Toxiproxy: change a proxy (listen, upstream, enabled)',
      body: proxyPatch,
      responses: { 200: { description: 'the proxy after the change', schema: toxiproxyProxySchema }, 400: err('bad body'), 404: err('no such proxy') },
    }),
  ),
  { method: 'DELETE', url: '/proxies/:proxy', tag, errorSchema, summary: 'Toxiproxy: delete a proxy', responses: { 204: { description: 'deleted' }, 404: err('no such proxy') } },
  {
    method: 'GET',
    url: '/proxies/:proxy/toxics',
    tag,
    errorSchema,
    summary: "Toxiproxy: a proxy's toxics",
    responses: { 200: { description: 'toxics', schema: z.array(toxiproxyToxicSchema) }, 404: err('no such proxy') },
  },
  {
    method: 'POST',
    url: '/proxies/:proxy/toxics',
    tag,
    errorSchema,
    summary: 'Toxiproxy: add a toxic',
    body: toxicBody,
    responses: { 200: { description: 'the toxic', schema: toxiproxyToxicSchema }, 400: err('bad body'), 404: err('no such proxy'), 409: err('the toxic exists') },
  },
  {
    method: 'GET',
    url: '/proxies/:proxy/toxics/:toxic',
    tag,
    errorSchema,
    summary: 'Toxiproxy: one toxic',
    responses: { 200: { description: 'the toxic', schema: toxiproxyToxicSchema }, 404: err('no such proxy or toxic') },
  },
  ...(['POST', 'PATCH'] as const).map(
    (method): RouteDoc => ({
      method,
      url: '/proxies/:proxy/toxics/:toxic',
      tag,
    errorSchema,
      summary: 'Toxiproxy: change a toxic (attributes not sent are kept)',
      body: toxicPatch,
      responses: { 200: { description: 'the toxic after the change', schema: toxiproxyToxicSchema }, 400: err('bad body'), 404: err('no such proxy or toxic') },
    }),
  ),
  {
    method: 'DELETE',
    url: '/proxies/:proxy/toxics/:toxic',
    tag,
    errorSchema,
    summary: 'Toxiproxy: remove a toxic',
    responses: { 204: { description: 'removed' }, 404: err('no such proxy or toxic') },
  },
  { method: 'POST', url: '/reset', tag, errorSchema, summary: 'Toxiproxy: enable every proxy and remove every toxic', responses: { 204: { description: 'reset' } } },
];
