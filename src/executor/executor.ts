/**
 * `startExecutor`: the control plane in one call. Used by `faultline serve`, by
 * `faultline supervise` (mode `supervisor`) and embedded in-process by the drill runner; it never
 * exits the process or installs signal handlers (the CLI does that).
 */
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Supervisor } from '../supervisor/index.js';
import type { AlertSignals } from '../telemetry/index.js';
import { Applications } from './applications.js';
import { parseConfig, splitHostPort, type ExecutorConfig } from './config.js';
import { ListenError, TokenRequiredError } from './errors.js';
import { registerExecutorMetrics } from './metrics.js';
import { createTelemetry, defaultProxyFactory, startSupervisor, type TelemetryHandle } from './modules.js';
import { Policies } from './policies.js';
import { ProxyManager, type ProxyFactory } from './proxies.js';
import type { RouteContext } from './routes/v1.js';
import { packageVersion } from '../common/index.js';
import { buildServer } from './server.js';
import { isLoopbackHost, type Refusal } from './security.js';
import { Store } from './store.js';
import { registerToxiproxyHook } from './toxiproxy-hook.js';


/** Alert signals from the proxies' totals (error rate over the last interval, worst p95) and the processes. */
function sampler(proxies: ProxyManager, supervisor: () => Supervisor | undefined): () => AlertSignals {
  let last = { requests: 0, errors: 0 };
  return () => {
    let requests = 0;
    let errors = 0;
    let p95 = 0;
    for (const p of proxies.list()) {
      const s = p.stats();
      requests += s.requests;
      errors += s.errors;
      p95 = Math.max(p95, s.latencyMs.p95);
    }
    const dReq = requests - last.requests;
    const dErr = errors - last.errors;
    last = { requests, errors };
    const sup = supervisor();
    const procs = sup?.list() ?? [];
    return {
      ...(dReq > 0 ? { errorRate: Math.max(0, dErr) / dReq, latencyP95Ms: p95 } : {}),
      ...(sup ? { unhealthyProcesses: procs.filter((p) => p.health !== 'healthy').map((p) => p.name), restarts: procs.reduce((n, p) => n + p.restartCount, 0) } : {}),
    };
  };
}

/** What a plugin (the Toxiproxy-compatible API) gets to register its routes. */
export interface ExtraRoutesContext {
  readonly proxies: ProxyManager;
  readonly logger: Logger;
}

/** Options of {@link startExecutor}. */
export interface StartExecutorOptions {
  /** A parsed config (`loadConfig`) or its wire object; default: empty. */
  readonly config?: ExecutorConfig | Record<string, unknown>;
  /** `host:port`; default the config's `listen`, else `127.0.0.1:8474`. Port 0 picks a free one. */
  readonly listen?: string;
  /** SQLite state file; default the config's `state`, else `.faultline/state.db`. `:memory:` keeps nothing. */
  readonly statePath?: string;
  /** Bearer token for mutating requests; default `FAULTLINE_TOKEN`. Empty = none. */
  readonly token?: string;
  /**
   * Listen beyond loopback without a token (anyone who reaches the port can inject faults).
   * Without it, a non-loopback `listen` and no token throw `TokenRequiredError`.
   */
  readonly dangerouslyAllowInsecureListen?: boolean;
  /** Cap of every application; default the config's `max_duration_seconds` (600). */
  readonly maxDurationSeconds?: number;
  /** Where the supervisor writes `runs/<run_id>/manifest.json`. */
  readonly runsDir?: string;
  /** A pino logger; default pino at `FAULTLINE_LOG_LEVEL` (info; warn when embedded). */
  readonly logger?: Logger;
  /** In-process use (the drill runner): quieter default logging. */
  readonly embedded?: boolean;
  /** `supervisor`: only the supervisor and its API (`faultline supervise`); no proxies, faults or store. */
  readonly mode?: 'executor' | 'supervisor';
  /** Proxy factory (default: the proxy module's TCP and HTTP proxies). */
  readonly proxyFactory?: ProxyFactory;
  /** Adds routes to the server before it listens (plugins). */
  readonly extraRoutes?: (app: FastifyInstance, ctx: ExtraRoutesContext) => void | Promise<void>;
}

/** A running executor. */
export interface Executor {
  /** `http://host:port` it listens on. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly app: FastifyInstance;
  /** Every route the server has (method, fastify url), plugins' included. */
  readonly routes: ReadonlyArray<{ readonly method: string; readonly url: string }>;
  readonly proxies: ProxyManager;
  readonly supervisor: Supervisor | undefined;
  readonly applications: Applications | undefined;
  readonly policies: Policies | undefined;
  readonly store: Store | undefined;
  readonly telemetry: TelemetryHandle;
  readonly logger: Logger;
  /** Reverts every fault and deletes every policy now. */
  halt(): Promise<{ cancelled: number; policiesRemoved: number }>;
  /**
   * Reverts every fault (applications end as `cancelled`; policies stay stored), stops exporters
   * and alerts, stops supervised processes, closes proxies, the server and the store. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts the executor: store, proxies (config then stored ones), recovery of applications and
 * policies, supervisor, telemetry, HTTP server.
 * @throws ConfigInvalidError on a bad config; StoreError when the state file cannot be opened;
 *   an error when the address is taken.
 * @example
 * const ex = await startExecutor({ config: await loadConfig('faultline.yaml'), listen: '127.0.0.1:0', statePath: ':memory:' });
 * await fetch(`${ex.url}/v1/health`);
 * await ex.close();
 */
export async function startExecutor(options: StartExecutorOptions = {}): Promise<Executor> {
  const mode = options.mode ?? 'executor';
  const config = parseConfig(options.config ?? {});
  const logger =
    options.logger ??
    pino({ level: process.env.FAULTLINE_LOG_LEVEL ?? (options.embedded ? 'warn' : 'info'), base: { service: 'faultline', mode } });
  const listen = options.listen ?? config.listen ?? '127.0.0.1:8474';
  const token = options.token ?? process.env.FAULTLINE_TOKEN;
  if ((token === undefined || token === '') && !isLoopbackHost(splitHostPort(listen).host) && !options.dangerouslyAllowInsecureListen) {
    throw new TokenRequiredError(listen);
  }
  const maxDurationMs = (options.maxDurationSeconds ?? config.max_duration_seconds) * 1000;
  const startedAt = Date.now();

  const cleanups: Array<() => Promise<void> | void> = [];
  const runCleanups = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        logger.error({ err }, 'error while closing the executor');
      }
    }
  };

  try {
    const store =
      mode === 'executor'
        ? new Store(options.statePath ?? config.state ?? '.faultline/state.db', {
            logger,
            retention: { days: config.retention.days, maxRows: config.retention.max_rows },
          })
        : undefined;
    let applications: Applications | undefined;
    let policies: Policies | undefined;
    const proxies = new ProxyManager({ factory: options.proxyFactory ?? defaultProxyFactory, logger, ...(store ? { store } : {}) });
    if (store) {
      const s = store;
      cleanups.push(() => s.close());
    }
    cleanups.push(() => proxies.closeAll());

    // Applications resolve process targets through this ref: the supervisor starts after them.
    const supervisorHolder: { current?: Supervisor } = {};
    const supervisorRef = (): Supervisor | undefined => supervisorHolder.current;

    if (mode === 'executor' && store) {
      applications = new Applications({ store, proxies, supervisor: supervisorRef, maxDurationMs, logger });
      policies = new Policies({ store, proxies, applications, logger });
      // Config proxies first (the file wins over the store), then proxies created at runtime.
      const fromConfig = new Set(config.proxies.map((p) => p.name));
      const stored = new Map(store.listProxies().map((p) => [p.name, p]));
      for (const p of config.proxies) {
        const prev = stored.get(p.name);
        // Reuse the port a port-0 proxy got last time, so clients keep their address across restarts.
        const reuse = p.listen.endsWith(':0') && prev !== undefined && prev.upstream === p.upstream ? prev.listen : undefined;
        const spec = { name: p.name, listen: reuse ?? p.listen, upstream: p.upstream, protocol: p.protocol, enabled: prev?.enabled ?? p.enabled };
        try {
          await proxies.create(spec);
        } catch (err) {
          if (reuse === undefined) throw err;
          logger.warn({ proxy: p.name, listen: reuse }, 'last address is taken; listening on a new port');
          await proxies.create({ ...spec, listen: p.listen });
        }
      }
      for (const p of stored.values()) {
        if (fromConfig.has(p.name)) continue;
        try {
          await proxies.create({ name: p.name, listen: p.listen, upstream: p.upstream, protocol: p.protocol, enabled: p.enabled });
        } catch (err) {
          logger.error({ proxy: p.name, listen: p.listen, err: err instanceof Error ? err.message : String(err) }, 'stored proxy could not be recreated');
        }
      }
    }

    const telemetry = createTelemetry(config.telemetry, config.alerts, { logger });
    cleanups.push(() => telemetry.stop());

    const supervisor = await startSupervisor(config.processes, { ...(options.runsDir !== undefined ? { runsDir: options.runsDir } : {}), logger, registry: telemetry.registry });
    if (supervisor) {
      supervisorHolder.current = supervisor;
      cleanups.push(() => supervisor.stop());
    }

    if (mode === 'supervisor') {
      // `faultline supervise`: process faults go through the same lifecycle (one scheduler ends
      // them, pauses stack), kept in memory: this mode has no state file.
      const memory = new Store(':memory:', { logger });
      cleanups.push(() => memory.close());
      applications = new Applications({ store: memory, proxies, supervisor: supervisorRef, maxDurationMs, logger });
    }
    if (applications) {
      const a = applications;
      // Faults come off before the proxies and processes go away (policies stay stored).
      cleanups.push(async () => {
        await a.cancelAll('executor stopped', 'stop');
      });
      await policies?.recover();
      await applications.recover();
    }

    telemetry.start(sampler(proxies, supervisorRef));

    const metrics = registerExecutorMetrics(telemetry.registry, {
      ...(applications ? { applications } : {}),
      ...(policies ? { policies } : {}),
      proxies,
      ...(store ? { store } : {}),
    });

    // Revert first, record after: nothing here waits on the store.
    const halt = async (): Promise<{ cancelled: number; policiesRemoved: number }> => {
      const policiesBefore = policies?.list().length ?? 0;
      const cancelled = (await applications?.cancelAll('halted', 'halt')) ?? 0;
      const policiesRemoved = policiesBefore - (policies?.list().length ?? 0) + ((await policies?.deleteAll()) ?? 0);
      void store?.addEvent('halt', '*', { cancelled, policies_removed: policiesRemoved });
      logger.warn({ cancelled, policies_removed: policiesRemoved }, 'halt: every fault reverted');
      return { cancelled, policiesRemoved };
    };

    const ctx: RouteContext = {
      mode: mode === 'executor' ? 'executor' : 'supervisor',
      version: packageVersion(),
      startedAt,
      ...(applications ? { applications } : {}),
      ...(policies ? { policies } : {}),
      ...(mode === 'executor' ? { proxies } : {}),
      ...(store ? { store } : {}),
      maxDurationMs,
      supervisor: supervisorRef,
      telemetry,
      halt,
    };
    const extra: Array<(app: FastifyInstance) => void | Promise<void>> = [];
    if (mode === 'executor' && applications) {
      const lifecycle = applications;
      const maxToxicMs = Math.min(maxDurationMs, (config.toxiproxy?.max_toxic_seconds ?? maxDurationMs / 1000) * 1000);
      extra.push((app) => registerToxiproxyHook(app, { proxies, logger, applications: lifecycle, maxToxicMs }));
    }
    if (options.extraRoutes) {
      const add = options.extraRoutes;
      extra.push((app) => add(app, { proxies, logger }));
    }
    const { host, port } = splitHostPort(listen);
    const onRefused = (r: Refusal): void => {
      logger.warn({ audit: true, remote: r.remote, method: r.method, route: r.route, status: r.status, code: r.code, origin: r.origin, host: r.host }, 'request refused');
      store
        ?.addEvent('refused', `${r.method} ${r.route}`.slice(0, 300), {
          status: r.status,
          code: r.code,
          remote: r.remote,
          origin: r.origin,
          host: r.host,
          user_agent: r.userAgent === null ? null : r.userAgent.slice(0, 300),
        })
        .catch((err: unknown) => logger.error({ err }, 'could not record a refused request'));
    };
    const { app, registered } = await buildServer(ctx, {
      logger,
      ...(token ? { token } : {}),
      listenHost: host,
      allowedOrigins: config.allowed_origins,
      allowedHosts: config.allowed_hosts,
      onRefused,
      metrics,
      extraRoutes: extra,
    });
    cleanups.push(() => app.close());

    try {
      await app.listen({ host, port });
    } catch (err) {
      throw new ListenError(listen, err);
    }
    const addr = app.server.address();
    const realPort = typeof addr === 'object' && addr ? addr.port : port;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const url = `http://${urlHost}:${realPort}`;
    logger.info({ url, mode, state: store?.path ?? null, proxies: proxies.list().length, processes: supervisor?.list().length ?? 0 }, 'executor listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      host,
      port: realPort,
      app,
      routes: registered,
      proxies,
      supervisor,
      applications,
      policies,
      store,
      telemetry,
      logger,
      halt,
      close: () => (closing ??= runCleanups().then(() => logger.info('executor closed'))),
    };
  } catch (err) {
    await runCleanups();
    throw err;
  }
}
