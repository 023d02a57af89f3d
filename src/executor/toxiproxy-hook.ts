/**
 * Where the Toxiproxy-compatible API joins the executor's server (executor mode only; the
 * standalone supervisor has no proxies).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Applications } from './applications.js';
import type { ProxyManager } from './proxies.js';
import { registerToxiproxyApi } from './toxiproxy-compat/index.js';

/** Registers the Toxiproxy-compatible routes on `app`. */
export async function registerToxiproxyHook(
  app: FastifyInstance,
  deps: { proxies: ProxyManager; logger: Logger; applications: Applications; maxToxicMs: number },
): Promise<void> {
  await registerToxiproxyApi(app, deps);
}
