/**
 * The executor's HTTP server (fastify): the request checks of `security.ts` (Host, Origin,
 * browsers, token, content type), body parsing that never throws past the error handler, the one
 * error mapping (fastify's own errors included), API request metrics, the v1 routes,
 * `/openapi.json`, and the hook through which plugins (the Toxiproxy-compatible API) add their routes.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BadJsonError, BadUrlError, RouteNotFoundError, UrlTooLongError } from './errors.js';
import { toHttpError } from './http-errors.js';
import type { ExecutorMetrics } from './metrics.js';
import { buildOpenApi, type ExtraRoute } from './openapi.js';
import { v1Routes, type RouteContext, type RouteDef } from './routes/v1.js';
import { BODY_IGNORED_ROUTES, installAuditLog, installSecurity, type Refusal } from './security.js';

/** Bodies larger than this answer 413. */
export const BODY_LIMIT = 1_048_576;

/** Options of {@link buildServer}. */
export interface ServerOptions {
  readonly logger: Logger;
  readonly token?: string;
  /** The host the API listens on (the `Host` check accepts it besides loopback names). */
  readonly listenHost?: string;
  /** Web origins allowed to call the API (faultline.yaml `allowed_origins`). */
  readonly allowedOrigins?: readonly string[];
  /** Extra names the `Host` header may carry (faultline.yaml `allowed_hosts`). */
  readonly allowedHosts?: readonly string[];
  /** Called for every refused request (403, 401, 415): the audit log. */
  readonly onRefused?: (refusal: Refusal) => void;
  readonly metrics: ExecutorMetrics;
  /** Adds routes (plugins) before the server is ready. */
  readonly extraRoutes?: ReadonlyArray<(app: FastifyInstance) => void | Promise<void>>;
}

/** Fastify's errors raised before routing (bad URL encoding, a too-long name in the path), in the one error shape. */
function frameworkError(err: { code?: unknown; message?: unknown }, req: FastifyRequest, reply: FastifyReply): void {
  const url = req.raw.url ?? '';
  const known = err.code === 'FST_ERR_BAD_URL' ? new BadUrlError(url) : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new UrlTooLongError(url) : err;
  const mapped = toHttpError(known);
  void reply.code(mapped.status).type('application/json').send(mapped.body);
}

/**
 * Builds (does not listen) the fastify app with every v1 route.
 * @returns the app, the v1 route table, and every route the server registered (plugins' too).
 */
export async function buildServer(
  ctx: RouteContext,
  options: ServerOptions,
): Promise<{ app: FastifyInstance; routes: RouteDef[]; registered: readonly ExtraRoute[] }> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: frameworkError,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  const registered: ExtraRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) if (m !== 'HEAD') registered.push({ method: String(m), url: route.url ?? route.path });
  });

  // Every route is checked before its body is read (a refused request never reaches a parser).
  installSecurity(app, {
    listenHost: options.listenHost ?? '127.0.0.1',
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.onRefused ? { onRefused: options.onRefused } : {}),
  });

  installAuditLog(app, (e) =>
    options.logger.info({ audit: true, remote: e.remote, method: e.method, route: e.route, status: e.status, fault_id: e.faultId }, 'mutating call'),
  );

  // One parser for every content type that passed the check (application/json, or none with an
  // empty body): JSON, or nothing. Bad JSON is a 400, never a 500.
  app.removeAllContentTypeParsers();
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    json(req, text, (err, value) => {
      if (err) done(new BadJsonError(err.message), undefined);
      else done(null, value);
    });
  });

  app.addHook('onResponse', async (req, reply) => {
    options.metrics.apiRequests.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) });
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request');
  });

  app.setErrorHandler((err, req, reply) => {
    const mapped = toHttpError(err);
    if (mapped.bug) req.log.error({ err, method: req.method, url: req.url }, 'unmapped error: this is a bug');
    else if (mapped.status >= 500) req.log.warn({ code: mapped.body.code, url: req.url }, mapped.body.error);
    void reply.code(mapped.status).type('application/json').send(mapped.body);
  });

  app.setNotFoundHandler((req, reply) => {
    const mapped = toHttpError(new RouteNotFoundError(req.method, req.url.split('?')[0] ?? ''));
    void reply.code(mapped.status).send(mapped.body);
  });

  const routes = v1Routes(ctx);
  for (const r of routes) if (!BODY_IGNORED_ROUTES.has(`${r.method} ${r.url}`)) app.route({ method: r.method, url: r.url, handler: r.handler });
  // A halt always works: its body, whatever its type or size, is drained unread.
  await app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_req, payload, done) => {
      payload.on('error', () => undefined);
      payload.resume();
      done(null, undefined);
    });
    for (const r of routes) if (BODY_IGNORED_ROUTES.has(`${r.method} ${r.url}`)) child.route({ method: r.method, url: r.url, handler: r.handler, bodyLimit: Number.MAX_SAFE_INTEGER });
  });

  for (const add of options.extraRoutes ?? []) await add(app);

  app.get('/openapi.json', async () => buildOpenApi(routes, registered, ctx.version));
  await app.ready();
  return { app, routes, registered };
}
