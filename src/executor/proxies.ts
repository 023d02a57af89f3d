/**
 * The executor's proxies: created from the config, at runtime by the API (`/v1/proxies`) or by
 * the Toxiproxy-compatible API, persisted in the store so that a restarted executor listens on
 * the same addresses again.
 */
import type { Logger } from 'pino';
import type { Proxy } from '../proxy/index.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { Store } from './store.js';

/** What a proxy is made of (code form). */
export interface ProxySpec {
  readonly name: string;
  /** `host:port`; port 0 picks a free one (the real port is stored once listening). */
  readonly listen: string;
  readonly upstream: string;
  readonly protocol: 'tcp' | 'http';
  readonly enabled: boolean;
}

/** Makes a proxy (not yet listening) from a spec. */
export type ProxyFactory = (spec: ProxySpec) => Proxy;

/** A proxy as the API shows it (wire form). */
export interface ProxyView {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly protocol: 'tcp' | 'http';
  readonly enabled: boolean;
  readonly faults: string[];
  readonly stats: {
    readonly requests: number;
    readonly faulted: number;
    readonly bytes_in: number;
    readonly bytes_out: number;
    readonly errors: number;
    readonly error_rate: number;
  };
}

type Listener = (name: string) => void;

/**
 * Owns every proxy of the executor. `enabled` is the operator's wish (API, Toxiproxy's
 * `enabled: false`); a `down` fault holds a proxy down on top of it without changing it.
 * @example
 * const p = await executor.proxies.create({ name: 'db', listen: '127.0.0.1:0', upstream: '127.0.0.1:5432', protocol: 'tcp', enabled: true });
 */
export class ProxyManager {
  readonly #store: Store | undefined;
  readonly #factory: ProxyFactory;
  readonly #log: Logger | undefined;
  readonly #proxies = new Map<string, Proxy>();
  readonly #enabled = new Map<string, boolean>();
  readonly #downHolds = new Map<string, number>();
  readonly #creating = new Set<string>();
  /** When each proxy was first stored (read once from the store, then kept here). */
  #createdAt: Map<string, number> | undefined;
  readonly #onCreate = new Set<Listener>();
  readonly #onRemove = new Set<Listener>();

  constructor(options: { store?: Store; factory: ProxyFactory; logger?: Logger }) {
    this.#store = options.store;
    this.#factory = options.factory;
    this.#log = options.logger;
  }

  /** Every proxy, in creation order. */
  list(): Proxy[] {
    return [...this.#proxies.values()];
  }

  get(name: string): Proxy | undefined {
    return this.#proxies.get(name);
  }

  /** @throws NotFoundError (FL_ERR_EXECUTOR_PROXY_NOT_FOUND) */
  require(name: string): Proxy {
    const p = this.#proxies.get(name);
    if (!p) throw new NotFoundError('proxy', name);
    return p;
  }

  /** The operator's `enabled` (a `down` fault does not change it). */
  isEnabled(name: string): boolean {
    return this.#enabled.get(name) ?? false;
  }

  /**
   * Creates a proxy, starts it listening and stores it.
   * @throws ConflictError (409) when the name exists; ProxyListenError (409) when the address is taken.
   */
  async create(spec: ProxySpec): Promise<Proxy> {
    if (this.#proxies.has(spec.name) || this.#creating.has(spec.name)) throw new ConflictError('proxy', spec.name);
    this.#creating.add(spec.name);
    try {
      const proxy = this.#factory(spec);
      await proxy.start();
      if (!spec.enabled) await proxy.setEnabled(false);
      this.#proxies.set(spec.name, proxy);
      this.#enabled.set(spec.name, spec.enabled);
      this.#persist(proxy, spec.enabled);
      void this.#store?.addEvent('proxy_created', spec.name, { listen: proxy.listen, upstream: spec.upstream, protocol: spec.protocol });
      this.#log?.info({ proxy: spec.name, listen: proxy.listen, upstream: spec.upstream, protocol: spec.protocol }, 'proxy created');
      for (const l of this.#onCreate) l(spec.name);
      return proxy;
    } finally {
      this.#creating.delete(spec.name);
    }
  }

  /**
   * Changes a proxy's address or upstream (it is recreated, its faults re-added) or its `enabled`.
   * @throws NotFoundError; ProxyListenError when the new address is taken.
   */
  async update(name: string, patch: { listen?: string; upstream?: string; enabled?: boolean }): Promise<Proxy> {
    const old = this.require(name);
    const readdress = (patch.listen !== undefined && patch.listen !== old.listen) || (patch.upstream !== undefined && patch.upstream !== old.upstream);
    if (!readdress) {
      if (patch.enabled !== undefined) await this.setEnabled(name, patch.enabled);
      return this.require(name);
    }
    const enabled = patch.enabled ?? this.isEnabled(name);
    const spec: ProxySpec = { name, listen: patch.listen ?? old.listen, upstream: patch.upstream ?? old.upstream, protocol: old.protocol, enabled };
    const fresh = this.#factory(spec);
    await old.close();
    try {
      await fresh.start();
    } catch (err) {
      // Put the old one back where it was, so a failed update changes nothing.
      const back = this.#factory({ ...spec, listen: old.listen, upstream: old.upstream });
      await back.start().catch(() => undefined);
      this.#copyFaults(old, back);
      this.#proxies.set(name, back);
      throw err;
    }
    this.#copyFaults(old, fresh);
    if (!enabled || (this.#downHolds.get(name) ?? 0) > 0) await fresh.setEnabled(false);
    this.#proxies.set(name, fresh);
    this.#enabled.set(name, enabled);
    this.#persist(fresh, enabled);
    void this.#store?.addEvent('proxy_updated', name, { listen: fresh.listen, upstream: fresh.upstream });
    return fresh;
  }

  /** Closes a proxy, cancels what targets it, and forgets it. @throws NotFoundError */
  async remove(name: string): Promise<void> {
    const proxy = this.require(name);
    this.#proxies.delete(name);
    this.#enabled.delete(name);
    this.#downHolds.delete(name);
    for (const l of this.#onRemove) l(name);
    await proxy.close();
    this.#createdAt?.delete(name);
    void this.#store?.deleteProxy(name);
    void this.#store?.addEvent('proxy_removed', name);
    this.#log?.info({ proxy: name }, 'proxy removed');
  }

  /** The operator's switch: `false` closes the listener and cuts connections. @throws NotFoundError */
  async setEnabled(name: string, enabled: boolean): Promise<void> {
    const proxy = this.require(name);
    this.#enabled.set(name, enabled);
    const effective = enabled && (this.#downHolds.get(name) ?? 0) === 0;
    if (proxy.enabled !== effective) await proxy.setEnabled(effective);
    this.#persist(proxy, enabled);
  }

  /**
   * Holds a proxy down (the `down` fault) until the returned release is called. Holds stack:
   * the proxy comes back when the last one is released and the operator wants it enabled.
   */
  async holdDown(name: string): Promise<() => Promise<void>> {
    const proxy = this.require(name);
    this.#downHolds.set(name, (this.#downHolds.get(name) ?? 0) + 1);
    if (proxy.enabled) await proxy.setEnabled(false);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      const n = (this.#downHolds.get(name) ?? 1) - 1;
      const current = this.#proxies.get(name);
      if (current === undefined) return;
      this.#downHolds.set(name, n);
      if (n <= 0 && this.isEnabled(name) && !current.enabled) await current.setEnabled(true);
    };
  }

  /** Closes every proxy (the store keeps them, so a restart recreates them). */
  async closeAll(): Promise<void> {
    const all = [...this.#proxies.values()];
    this.#proxies.clear();
    await Promise.allSettled(all.map((p) => p.close()));
  }

  /** Called after a proxy was created (policies install themselves on it). */
  onCreate(listener: Listener): { dispose(): void } {
    this.#onCreate.add(listener);
    return { dispose: () => this.#onCreate.delete(listener) };
  }

  /** Called when a proxy is being removed, before it closes (applications on it are cancelled). */
  onRemove(listener: Listener): { dispose(): void } {
    this.#onRemove.add(listener);
    return { dispose: () => this.#onRemove.delete(listener) };
  }

  /** A proxy as the API shows it. */
  view(proxy: Proxy): ProxyView {
    const s = proxy.stats();
    const faults = proxy.protocol === 'tcp' ? proxy.listToxics().map((t) => t.name) : proxy.listRules().map((r) => r.id);
    return {
      name: proxy.name,
      listen: proxy.listen,
      upstream: proxy.upstream,
      protocol: proxy.protocol,
      enabled: this.isEnabled(proxy.name),
      faults,
      stats: { requests: s.requests, faulted: s.faulted, bytes_in: s.bytesIn, bytes_out: s.bytesOut, errors: s.errors, error_rate: s.errorRate },
    };
  }

  #persist(proxy: Proxy, enabled: boolean): void {
    if (!this.#store) return;
    this.#createdAt ??= new Map(this.#store.listProxies().map((p) => [p.name, p.createdAt]));
    const createdAt = this.#createdAt.get(proxy.name) ?? Date.now();
    this.#createdAt.set(proxy.name, createdAt);
    void this.#store.upsertProxy({ name: proxy.name, listen: proxy.listen, upstream: proxy.upstream, protocol: proxy.protocol, enabled, createdAt });
  }

  #copyFaults(from: Proxy, to: Proxy): void {
    if (from.protocol === 'tcp' && to.protocol === 'tcp') for (const t of from.listToxics()) to.addToxic(t);
    if (from.protocol === 'http' && to.protocol === 'http') for (const r of from.listRules()) to.addRule(r);
  }
}
