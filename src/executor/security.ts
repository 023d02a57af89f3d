/**
 * What keeps a web page from changing faults: the request checks every route goes through, in
 * one `onRequest` hook, before any body is read.
 *
 *   request ──▶ Host names us? ──▶ Origin ours or allowed? ──▶ not a browser (Toxiproxy routes)?
 *           ──▶ token (mutating, and reads of process output) ──▶ body is application/json? ──▶ route
 *                  403                 403                          403
 *                  401                                              415
 *
 * A browser can send a cross-site request without asking first only when it is a "simple" one
 * (GET/HEAD/POST with a form, text/plain or no content type), and it then says where it comes
 * from in `Origin`. So: a foreign `Origin` is refused, a body that is not `application/json` is
 * refused (JSON needs a preflight, and the preflight meets the same Origin check), and a `Host`
 * that names neither us nor loopback (DNS rebinding: a name the attacker controls that resolves
 * to 127.0.0.1, so the page is "same-origin" with us) is refused. Toxiproxy's routes also refuse
 * browser user agents, as Toxiproxy does. Every refusal is reported to `onRefused` (the audit log).
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  BrowserRefusedError,
  HostRefusedError,
  OriginRefusedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './errors.js';
import { toHttpError } from './http-errors.js';

/** One refused request, as the audit log records it. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly method: string;
  /** The path asked for (no query string). */
  readonly route: string;
  readonly remote: string;
  readonly origin: string | null;
  readonly host: string | null;
  readonly userAgent: string | null;
}

/** Options of {@link installSecurity}. */
export interface SecurityOptions {
  /** Bearer token: mutating requests and reads of process output need it. None: open. */
  readonly token?: string;
  /** Origins (`scheme://host[:port]`) allowed to call besides the daemon's own. */
  readonly allowedOrigins?: readonly string[];
  /** Host names (besides loopback and the listen host) a request may name in `Host`. */
  readonly allowedHosts?: readonly string[];
  /** The host the API listens on, as configured (`127.0.0.1`, `0.0.0.0`, `::`, a name). */
  readonly listenHost: string;
  /** Called once per refused request, before the answer. */
  readonly onRefused?: (refusal: Refusal) => void;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** Paths of the Toxiproxy-compatible API (where browser user agents are refused, as Toxiproxy does). */
const TOXIPROXY_PATH = /^\/(proxies|populate|reset|version)(\/|$)/;

/** Routes whose body is ignored, whatever its type: a halt always works. */
export const BODY_IGNORED_ROUTES: ReadonlySet<string> = new Set(['POST /v1/halt']);

/** Reads that expose what supervised processes printed (`last_lines`) or the audit trail: they need the token when one is set. */
const PROTECTED_READ = /^\/v1\/(processes|events)(\/|$)/;

/** True when `host` (no brackets, no port) is a loopback name or address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return LOOPBACK_NAMES.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host part of a `Host` header (`[::1]:8474` -> `::1`, `Example.COM:80` -> `example.com`). */
export function hostOfHeader(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(1, end);
  }
  const colon = h.lastIndexOf(':');
  return (colon < 0 ? h : h.slice(0, colon)).replace(/\.$/, '');
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m?.[1]) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function hasBody(req: FastifyRequest): boolean {
  const length = header(req, 'content-length');
  return header(req, 'transfer-encoding') !== undefined || (length !== undefined && length.trim() !== '0');
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
function isJsonMediaType(contentType: string): boolean {
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function normalizeOrigin(origin: string): string {
  try {
    const u = new URL(origin);
    return u.origin === 'null' ? origin.trim().toLowerCase() : u.origin.toLowerCase();
  } catch {
    return origin.trim().toLowerCase();
  }
}

/**
 * Adds the request checks to `app` (before the routes, so every route and plugin has them), and
 * answers CORS preflights of allowed origins.
 * @example
 * installSecurity(app, { listenHost: '127.0.0.1', token: process.env.FAULTLINE_TOKEN, onRefused: (r) => log(r) });
 */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const token = options.token !== undefined && options.token !== '' ? options.token : undefined;
  const allowedOrigins = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
  const listenHost = options.listenHost.toLowerCase().replace(/^\[|\]$/g, '');
  const wildcard = WILDCARD_HOSTS.has(listenHost);
  const allowedHosts = new Set([listenHost, ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  if (wildcard) allowedHosts.add(hostname().toLowerCase());

  const hostAllowed = (host: string): boolean => {
    if (isLoopbackHost(host) || allowedHosts.has(host)) return true;
    // Listening on every address: any address literal names us (a rebinding attack needs a DNS name).
    return wildcard && isIP(host) !== 0;
  };

  const refuse = (req: FastifyRequest, err: Error & { code: string }): never => {
    const { status } = toHttpError(err);
    options.onRefused?.({
      status,
      code: err.code,
      method: req.method,
      route: req.url.split('?')[0] ?? req.url,
      remote: req.ip,
      origin: header(req, 'origin') ?? null,
      host: header(req, 'host') ?? null,
      userAgent: header(req, 'user-agent') ?? null,
    });
    throw err;
  };

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? req.url;
    const hostHeader = header(req, 'host');
    if (hostHeader !== undefined && !hostAllowed(hostOfHeader(hostHeader))) refuse(req, new HostRefusedError(hostHeader));

    const origin = header(req, 'origin');
    let allowedCrossOrigin = false;
    if (origin !== undefined) {
      const own = hostHeader !== undefined && normalizeOrigin(origin) === normalizeOrigin(`http://${hostHeader}`);
      allowedCrossOrigin = !own && allowedOrigins.has(normalizeOrigin(origin));
      if (!own && !allowedCrossOrigin) refuse(req, new OriginRefusedError(origin));
    }

    if (TOXIPROXY_PATH.test(path) && (header(req, 'user-agent') ?? '').startsWith('Mozilla/')) refuse(req, new BrowserRefusedError());

    if (allowedCrossOrigin && origin !== undefined) {
      void reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      if (req.method === 'OPTIONS' && header(req, 'access-control-request-method') !== undefined) {
        // A preflight of an allowed origin: say what it may send; the real request meets every check.
        return reply
          .code(204)
          .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
          .header('access-control-allow-headers', 'content-type, authorization')
          .header('access-control-max-age', '600')
          .send();
      }
    }

    const mutating = !SAFE_METHODS.has(req.method);
    if (token !== undefined && (mutating || PROTECTED_READ.test(path)) && !tokenMatches(header(req, 'authorization'), token)) {
      refuse(req, new UnauthorizedError());
    }

    if (mutating && !BODY_IGNORED_ROUTES.has(`${req.method} ${req.routeOptions.url ?? ''}`)) {
      const contentType = header(req, 'content-type');
      if ((contentType !== undefined || hasBody(req)) && !isJsonMediaType(contentType ?? '')) {
        refuse(req, new UnsupportedMediaTypeError(contentType ?? null));
      }
    }
    return undefined;
  });
}

/** What the audit log writes for each mutating call. */
export interface AuditEntry {
  readonly remote: string;
  readonly method: string;
  readonly route: string;
  readonly status: number;
  /** The fault application the call created or ended, when there is one. */
  readonly faultId: string | null;
}

const APPLY_ID = /"apply_id"\s*:\s*"([^"]{1,200})"/;

/**
 * Logs every mutating call once it is answered (remote address, route, outcome, fault id): the
 * audit trail's log side; `GET /v1/events` is its stored side.
 */
export function installAuditLog(app: FastifyInstance, log: (entry: AuditEntry) => void): void {
  app.addHook('onSend', async (req, _reply, payload) => {
    if (!SAFE_METHODS.has(req.method) && typeof payload === 'string') {
      const m = APPLY_ID.exec(payload.slice(0, 4096));
      if (m?.[1]) (req as FastifyRequest & { auditFaultId?: string }).auditFaultId = m[1];
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    if (SAFE_METHODS.has(req.method)) return;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const fromParams = typeof params.apply_id === 'string' ? params.apply_id : null;
    log({
      remote: req.ip,
      method: req.method,
      route: (req.url.split('?')[0] ?? req.url).slice(0, 300),
      status: reply.statusCode,
      faultId: (req as FastifyRequest & { auditFaultId?: string }).auditFaultId ?? fromParams,
    });
  });
}
