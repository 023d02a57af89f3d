/**
 * The Toxiproxy-compatible HTTP API, on the executor's port: the paths, JSON shapes, status codes
 * and defaults of Toxiproxy 2.x, so its clients in every language drive faultline unchanged.
 *
 *   toxiproxy client ──▶ /proxies, /populate, /reset, /version ──▶ ProxyManager ──▶ TCP proxies
 *
 * Differences from the v1 API, kept on purpose for parity: errors are `{ error, status }`;
 * creating a proxy or populating answers 201, creating a toxic 200, deletes and reset 204;
 * listing proxies gives an object keyed by name, listing toxics an array. Unknown attribute names
 * are ignored (as Toxiproxy's JSON decoding does); known ones are validated with the plan
 * registry's schemas.
 *
 * Every toxic and every `enabled: false` is an application of the one lifecycle (source
 * `toxiproxy`): listed by `GET /v1/faults`, ended by `POST /v1/halt`, and bounded by
 * `toxiproxy.max_toxic_seconds` (default the executor's maximum duration), unlike Toxiproxy where
 * a toxic stays until removed. `POST /reset` ends the applications this API made.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { ValidationError, FaultlineError, camelizeKeys, defaultRegistry, parsePlan, snakifyKeys, toxicTypes } from '../../plan/index.js';
import type { Proxy, TcpProxy, ToxicSpec, ToxicType } from '../../proxy/index.js';
import type { z } from 'zod';
import { isSelfUpstream, listenSchema, nameSchema, upstreamSchema } from '../config.js';
import { toHttpError } from '../http-errors.js';
import type { Applications } from '../applications.js';
import type { ProxyManager } from '../proxies.js';
import { packageVersion } from '../../common/index.js';

/**
 * A Toxiproxy API error: `{ "error": message, "status": status, "code": "FL_ERR_..." }` (Toxiproxy's
 * shape, plus faultline's code so that every error answer of the daemon carries one).
 */
class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string = status === 404 ? 'FL_ERR_EXECUTOR_PROXY_NOT_FOUND' : status === 409 ? 'FL_ERR_PROXY_CONFLICT' : 'FL_ERR_EXECUTOR_INVALID_REQUEST',
  ) {
    super(message);
  }
}

const errProxyNotFound = () => new ApiError('proxy not found', 404);
const errToxicNotFound = () => new ApiError('toxic not found', 404, 'FL_ERR_PROXY_NOT_FOUND');

interface ToxicJson {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: Record<string, unknown>;
}

function toxicJson(t: ToxicSpec): ToxicJson {
  return { name: t.name, type: t.type, stream: t.stream, toxicity: t.toxicity, attributes: snakifyKeys(t.config) as Record<string, unknown> };
}

function proxyJson(p: Proxy, enabled: boolean): Record<string, unknown> {
  return {
    name: p.name,
    listen: p.listen,
    upstream: p.upstream,
    enabled,
    toxics: p.protocol === 'tcp' ? p.listToxics().map(toxicJson) : [],
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function badBody(detail: string): ApiError {
  return new ApiError(`bad request body: ${detail}`, 400);
}

function optString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badBody(`${key} must be a string`);
  return v;
}

function optBool(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badBody(`${key} must be a boolean`);
  return v;
}

function toxicity(body: Record<string, unknown>, fallback: number): number {
  const v = body.toxicity;
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw badBody('toxicity must be a number between 0 and 1');
  return v;
}

/**
 * Validates toxic attributes (wire names) against the registry schema of `type`, keeping only
 * the names the type knows. Returns the code-form config (without `stream`).
 */
function toxicConfig(type: ToxicType, attributes: Record<string, unknown>): ToxicSpec['config'] {
  const schema = defaultRegistry.get(type).schema;
  const known = new Set(Object.keys(snakifyKeys(camelizeKeys(schema.parse({}) as Record<string, unknown>))));
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attributes)) if (known.has(k) && k !== 'stream') kept[k] = v;
  const parsed = schema.safeParse(kept);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw badBody(`attributes.${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}`);
  }
  const { stream: _stream, ...config } = camelizeKeys(parsed.data as Record<string, unknown>);
  return config as ToxicSpec['config'];
}

function requireTcp(proxies: ProxyManager, name: string): TcpProxy {
  const p = proxies.get(name);
  if (!p) throw errProxyNotFound();
  if (p.protocol !== 'tcp') throw new ApiError('toxics apply to TCP proxies only; use /v1/faults for HTTP faults', 400);
  return p;
}

/** Checks one field with the schema `/v1/proxies` uses for it; a bad value is a 400 naming the field. */
function checked(schema: z.ZodType<string>, field: string, value: string, where: string): string {
  const r = schema.safeParse(value);
  if (!r.success) throw badBody(`${field}${where}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

function selfUpstream(listen: string, upstream: string, where: string): ApiError {
  return badBody(`upstream${where}: is the proxy's own listen address (${listen}): it would forward to itself`);
}

function proxyInput(raw: unknown, where = ''): { name: string; listen: string; upstream: string; enabled: boolean } {
  if (!isObject(raw)) throw badBody(`expected a JSON object${where}`);
  const name = optString(raw, 'name');
  const upstream = optString(raw, 'upstream');
  if (!name) throw new ApiError(`missing required field: name${where}`, 400);
  if (!upstream) throw new ApiError(`missing required field: upstream${where}`, 400);
  const input = {
    name: checked(nameSchema, 'name', name, where),
    listen: checked(listenSchema, 'listen', optString(raw, 'listen') || '127.0.0.1:0', where),
    upstream: checked(upstreamSchema, 'upstream', upstream, where),
    enabled: optBool(raw, 'enabled') ?? true,
  };
  if (isSelfUpstream(input.listen, input.upstream)) throw selfUpstream(input.listen, input.upstream, where);
  return input;
}

/** Maps what the executor throws to Toxiproxy's error shape, with the executor's one status table. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ValidationError) return new ApiError(`bad request body: ${err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, 400, err.code);
  const mapped = toHttpError(err);
  if (mapped.status === 409 && err instanceof FaultlineError && err.code === 'FL_ERR_EXECUTOR_PROXY_EXISTS') {
    return new ApiError('proxy already exists', 409, 'FL_ERR_EXECUTOR_PROXY_EXISTS');
  }
  if (mapped.status === 400 && !(err instanceof FaultlineError)) return new ApiError(`bad request body: ${mapped.body.error}`, 400, mapped.body.code);
  return new ApiError(mapped.bug ? (err instanceof Error ? err.message : String(err)) : mapped.body.error, mapped.status, mapped.body.code);
}

/**
 * Registers Toxiproxy's routes (`/proxies…`, `/populate`, `/reset`, `/version`) on `app`.
 * @example
 * await registerToxiproxyApi(app, { proxies });
 */
export async function registerToxiproxyApi(
  app: FastifyInstance,
  deps: { proxies: ProxyManager; logger?: Logger; applications: Applications; maxToxicMs: number },
): Promise<void> {
  const { proxies, applications: apps } = deps;
  const fromHere = (service: string, pred: (faultType: string, effectId: string) => boolean) =>
    apps.liveWhere((a) => a.row.source === 'toxiproxy' && a.row.service === service && pred(a.row.faultType, a.effectId));
  const disabledHere = (name: string) => fromHere(name, (t) => t === 'down').length > 0;
  const show = (p: Proxy) => proxyJson(p, proxies.isEnabled(p.name) && !disabledHere(p.name));

  /** `enabled: false` is a `down` application; `enabled: true` ends them (and the operator's switch is on). */
  const setEnabled = async (name: string, enabled: boolean): Promise<void> => {
    if (enabled) {
      await apps.cancelAll('enabled through the Toxiproxy API', 'cancel', (row) => row.source === 'toxiproxy' && row.service === name && row.faultType === 'down');
      if (!proxies.isEnabled(name)) await proxies.setEnabled(name, true);
      return;
    }
    if (disabledHere(name)) return;
    await apps.open(parsePlan({ service: name, fault_type: 'down', duration_seconds: deps.maxToxicMs / 1000 }), { source: 'toxiproxy' });
  };

  await app.register(async (api) => {
    // Toxiproxy clients POST /reset with no body and sometimes an empty JSON one: accept both.
    api.removeContentTypeParser('application/json');
    api.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (err) {
        done(badBody((err as Error).message), undefined);
      }
    });
    api.setErrorHandler((err, _req, reply) => {
      const e = toApiError(err);
      if (e.status >= 500) deps.logger?.error({ err }, 'toxiproxy api: unexpected error');
      void reply.code(e.status).type('application/json').send({ error: e.message, status: e.status, code: e.code });
    });

    const noContent = (reply: FastifyReply) => reply.code(204).send();

    api.get('/version', async (_req, reply) => reply.type('application/json; charset=utf-8').send(`{"version": "${packageVersion()}"}\n`));

    api.get('/proxies', async () => Object.fromEntries(proxies.list().map((p) => [p.name, show(p)])));

    api.post('/proxies', async (req, reply) => {
      const input = proxyInput(req.body);
      const p = await proxies.create({ ...input, enabled: true, protocol: 'tcp' });
      if (!input.enabled) await setEnabled(p.name, false);
      return reply.code(201).send(show(p));
    });

    api.post('/populate', async (req, reply) => {
      const body = req.body;
      if (!Array.isArray(body)) throw badBody('expected a JSON array of proxies');
      // Validate every entry before creating any (Toxiproxy does the same).
      const inputs = body.map((raw, i) => proxyInput(raw, ` at proxy ${i + 1}`));
      const out: Proxy[] = [];
      for (const input of inputs) {
        const existing = proxies.get(input.name);
        if (existing && existing.upstream === input.upstream && (input.listen === existing.listen || input.listen.endsWith(':0'))) {
          out.push(existing);
          continue;
        }
        if (existing) await proxies.remove(input.name);
        const created = await proxies.create({ ...input, enabled: true, protocol: 'tcp' });
        if (!input.enabled) await setEnabled(created.name, false);
        out.push(created);
      }
      return reply.code(201).send({ proxies: out.map(show) });
    });

    api.get<{ Params: { proxy: string } }>('/proxies/:proxy', async (req) => {
      const p = proxies.get(req.params.proxy);
      if (!p) throw errProxyNotFound();
      return show(p);
    });

    const updateProxy = async (req: { params: { proxy: string }; body: unknown }) => {
      if (!proxies.get(req.params.proxy)) throw errProxyNotFound();
      const body = req.body === undefined ? {} : req.body;
      if (!isObject(body)) throw badBody('expected a JSON object');
      const patch: { listen?: string; upstream?: string } = {};
      const listen = optString(body, 'listen');
      const upstream = optString(body, 'upstream');
      const enabled = optBool(body, 'enabled');
      if (listen) patch.listen = checked(listenSchema, 'listen', listen, '');
      if (upstream) patch.upstream = checked(upstreamSchema, 'upstream', upstream, '');
      const current = proxies.get(req.params.proxy);
      const nextListen = patch.listen ?? current?.listen ?? '';
      if (isSelfUpstream(nextListen, patch.upstream ?? current?.upstream ?? '')) throw selfUpstream(nextListen, patch.upstream ?? '', '');
      if (patch.listen !== undefined || patch.upstream !== undefined) await proxies.update(req.params.proxy, patch);
      if (enabled !== undefined) await setEnabled(req.params.proxy, enabled);
      return show(proxies.require(req.params.proxy));
    };
    api.post<{ Params: { proxy: string } }>('/proxies/:proxy', updateProxy);
    api.patch<{ Params: { proxy: string } }>('/proxies/:proxy', updateProxy);

    api.delete<{ Params: { proxy: string } }>('/proxies/:proxy', async (req, reply) => {
      if (!proxies.get(req.params.proxy)) throw errProxyNotFound();
      await proxies.remove(req.params.proxy);
      return noContent(reply);
    });

    api.get<{ Params: { proxy: string } }>('/proxies/:proxy/toxics', async (req) => {
      const p = proxies.get(req.params.proxy);
      if (!p) throw errProxyNotFound();
      return p.protocol === 'tcp' ? p.listToxics().map(toxicJson) : [];
    });

    api.post<{ Params: { proxy: string } }>('/proxies/:proxy/toxics', async (req) => {
      const p = requireTcp(proxies, req.params.proxy);
      const body = req.body;
      if (!isObject(body)) throw badBody('expected a JSON object');
      const type = optString(body, 'type');
      if (!type || !(toxicTypes as readonly string[]).includes(type)) throw new ApiError('invalid toxic type', 400);
      const stream = optString(body, 'stream') ?? 'downstream';
      if (stream !== 'upstream' && stream !== 'downstream') throw new ApiError('stream was invalid, can be either upstream or downstream', 400);
      const attributes = body.attributes ?? {};
      if (!isObject(attributes)) throw badBody('attributes must be an object');
      const name = checked(nameSchema, 'name', optString(body, 'name') || `${type}_${stream}`, '');
      if (p.listToxics().some((t) => t.name === name)) throw new ApiError('toxic already exists', 409);
      const config = toxicConfig(type as ToxicType, attributes);
      const plan = parsePlan({
        service: p.name,
        fault_type: type,
        percentage: Math.round(toxicity(body, 1) * 100 * 1e6) / 1e6,
        duration_seconds: deps.maxToxicMs / 1000,
        fault_config: { ...(snakifyKeys(config) as Record<string, unknown>), stream },
      });
      await apps.open(plan, { source: 'toxiproxy', effectId: name });
      const added = p.listToxics().find((t) => t.name === name);
      if (!added) throw new ApiError('toxic could not be added', 500);
      return toxicJson(added);
    });

    const findToxic = (p: TcpProxy, name: string) => {
      const t = p.listToxics().find((x) => x.name === name);
      if (!t) throw errToxicNotFound();
      return t;
    };

    api.get<{ Params: { proxy: string; toxic: string } }>('/proxies/:proxy/toxics/:toxic', async (req) => {
      const p = proxies.get(req.params.proxy);
      if (!p) throw errProxyNotFound();
      if (p.protocol !== 'tcp') throw errToxicNotFound();
      return toxicJson(findToxic(p, req.params.toxic));
    });

    const updateToxic = async (req: { params: { proxy: string; toxic: string }; body: unknown }) => {
      const p = requireTcp(proxies, req.params.proxy);
      const current = findToxic(p, req.params.toxic);
      const body = req.body === undefined ? {} : req.body;
      if (!isObject(body)) throw badBody('expected a JSON object');
      const attributes = body.attributes ?? {};
      if (!isObject(attributes)) throw badBody('attributes must be an object');
      // Toxiproxy decodes the new attributes over the current ones: what is not sent is kept.
      const merged = { ...(snakifyKeys(current.config) as Record<string, unknown>), ...attributes };
      p.updateToxic(current.name, { toxicity: toxicity(body, current.toxicity), config: toxicConfig(current.type, merged) });
      return toxicJson(findToxic(p, current.name));
    };
    api.post<{ Params: { proxy: string; toxic: string } }>('/proxies/:proxy/toxics/:toxic', updateToxic);
    api.patch<{ Params: { proxy: string; toxic: string } }>('/proxies/:proxy/toxics/:toxic', updateToxic);

    api.delete<{ Params: { proxy: string; toxic: string } }>('/proxies/:proxy/toxics/:toxic', async (req, reply) => {
      const p = requireTcp(proxies, req.params.proxy);
      const owners = apps.liveWhere((a) => a.row.service === p.name && a.effectId === req.params.toxic);
      if (owners.length > 0) await apps.cancelAll('removed through the Toxiproxy API', 'cancel', (row) => owners.some((o) => o.row.id === row.id));
      else if (!p.removeToxic(req.params.toxic)) throw errToxicNotFound();
      return noContent(reply);
    });

    // Ends what this API made (toxics, `enabled: false`) through the lifecycle; faults from
    // /v1, policies and drills keep running until their own end or /v1/halt.
    api.post('/reset', async (_req, reply) => {
      await apps.cancelAll('reset through the Toxiproxy API', 'cancel', (row) => row.source === 'toxiproxy');
      for (const p of proxies.list()) if (!proxies.isEnabled(p.name)) await proxies.setEnabled(p.name, true);
      return noContent(reply);
    });
  });
}
