/**
 * The executor's HTTP server (fastify): body parsing that never throws past the error handler,
 * the bearer-token check on mutating requests, the one error mapping, API request metrics, the
 * v1 routes, `/openapi.json`, and the hook through which plugins (the Toxiproxy-compatible API)
 * add their routes.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { BadJsonError, RouteNotFoundError, UnauthorizedError } from './errors.js';
import { toHttpError } from './http-errors.js';
import type { ExecutorMetrics } from './metrics.js';
import { buildOpenApi, type ExtraRoute } from './openapi.js';
import { v1Routes, type RouteContext, type RouteDef } from './routes/v1.js';

/** Bodies larger than this answer 413. */
export const BODY_LIMIT = 1_048_576;

/** Options of {@link buildServer}. */
export interface ServerOptions {
  readonly logger: Logger;
  readonly token?: string;
  readonly metrics: ExecutorMetrics;
  /** Adds routes (plugins) before the server is ready. */
  readonly extraRoutes?: ReadonlyArray<(app: FastifyInstance) => void | Promise<void>>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function tokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m?.[1]) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
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
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  const registered: ExtraRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) if (m !== 'HEAD') registered.push({ method: String(m), url: route.url ?? route.path });
  });

  // One parser for every content type: JSON, or nothing. A client that forgets the content type
  // (curl -d) still gets its JSON read; anything else is a 400, never a 415/500.
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

  if (options.token !== undefined && options.token !== '') {
    const token = options.token;
    app.addHook('onRequest', async (req) => {
      if (!SAFE_METHODS.has(req.method) && !tokenMatches(req.headers.authorization, token)) throw new UnauthorizedError();
    });
  }

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
  for (const r of routes) app.route({ method: r.method, url: r.url, handler: r.handler });

  for (const add of options.extraRoutes ?? []) await add(app);

  app.get('/openapi.json', async () => buildOpenApi(routes, registered, ctx.version));
  await app.ready();
  return { app, routes, registered };
}
