/**
 * `createTcpProxy`: a TCP proxy with Toxiproxy's toxics, added, updated and removed live.
 *
 *   client ──▶ listener ──▶ Connection ── Link 'upstream' ──▶ upstream service
 *                                      ◀─ Link 'downstream' ─┘
 *
 * The proxy owns the listener, the open connections, the installed toxics (in add order) and a
 * recorder. A toxic change is applied to every open connection at once.
 */
import net from 'node:net';
import { z } from 'zod';
import { ValidationError, camelizeKeys, defaultRegistry, fieldIssues, snakifyKeys } from '../../plan/index.js';
import { ProxyConflictError, ProxyListenError, ProxyNotFoundError } from '../errors.js';
import { createRecorder, type Recorder } from '../recorder/index.js';
import type { Observation, ProxyOptions, TcpProxy, ToxicSpec, ToxicType } from '../types.js';
import { Connection, type InstalledToxic } from './connection.js';
import { toxicRegistry } from './toxics/index.js';

const toxicTypes = Object.keys(toxicRegistry) as [ToxicType, ...ToxicType[]];

const specShape = z.strictObject({
  name: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  type: z.enum(toxicTypes, { error: `must be one of: ${toxicTypes.join(', ')}` }),
  stream: z.enum(['upstream', 'downstream'], { error: "must be 'upstream' or 'downstream'" }),
  toxicity: z.number({ error: 'must be a number' }).min(0, { error: 'must be >= 0' }).max(1, { error: 'must be <= 1' }),
  config: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
});

/**
 * Validates a toxic spec against the plan registry's schema of its type and fills in defaults.
 * @throws ValidationError naming each bad field (`config.average_size`, `toxicity`, ...).
 */
export function normalizeToxicSpec(spec: ToxicSpec): ToxicSpec {
  const shape = specShape.safeParse(spec);
  if (!shape.success) throw new ValidationError('toxic', fieldIssues(shape.error, spec));
  const { name, type, stream, toxicity, config } = shape.data;
  const wire = { ...(snakifyKeys(config) as Record<string, unknown>), stream };
  const parsed = defaultRegistry.get(type).schema.safeParse(wire);
  if (!parsed.success) throw new ValidationError('toxic', fieldIssues(parsed.error, wire, ['config']));
  const attrs = { ...(camelizeKeys(parsed.data) as Record<string, unknown>) };
  delete attrs.stream;
  return { name, type, stream, toxicity, config: attrs as ToxicSpec['config'] };
}

/** Splits `host:port` (or `[v6]:port`). @throws ValidationError */
export function parseHostPort(value: string, field: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ValidationError('proxy options', [{ path: field, message: 'must be host:port' }]);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

const formatHostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

class TcpProxyImpl implements TcpProxy {
  readonly protocol = 'tcp' as const;
  readonly name: string;
  readonly upstream: string;
  readonly #host: string;
  #port: number;
  readonly #target: { host: string; port: number };
  readonly #recorder: Recorder = createRecorder();
  readonly #connections = new Set<Connection>();
  readonly #toxics = new Map<string, InstalledToxic>();
  #order = 0;
  #server: net.Server | undefined;
  #enabled = false;
  #starting: Promise<void> | undefined;

  constructor(options: ProxyOptions) {
    this.name = options.name;
    this.upstream = options.upstream;
    const listen = parseHostPort(options.listen, 'listen');
    this.#host = listen.host;
    this.#port = listen.port;
    this.#target = parseHostPort(options.upstream, 'upstream');
  }

  get listen(): string {
    return formatHostPort(this.#host, this.#port);
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  start(): Promise<void> {
    if (this.#server !== undefined) return Promise.resolve();
    this.#starting ??= this.#listen().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  async #listen(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new ProxyListenError(this.listen, err));
      server.once('error', onError);
      server.listen({ host: this.#host, port: this.#port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.#recorder.event('error', 'listener error', { error: err.message }));
    const address = server.address();
    if (address !== null && typeof address === 'object') this.#port = address.port;
    this.#server = server;
    this.#enabled = true;
    this.#recorder.event('info', 'listening', { listen: this.listen, upstream: this.upstream });
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled) {
      await this.start();
      return;
    }
    await this.#stopListening();
    this.#recorder.event('info', 'disabled: listener closed, connections cut', { listen: this.listen });
  }

  async close(): Promise<void> {
    await this.#stopListening();
  }

  async #stopListening(): Promise<void> {
    await this.#starting?.catch(() => {});
    const server = this.#server;
    this.#server = undefined;
    this.#enabled = false;
    for (const c of this.#connections) c.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    if (this.#server === undefined) {
      socket.destroy();
      return;
    }
    const conn = new Connection(
      socket,
      {
        host: this.#target.host,
        port: this.#target.port,
        recorder: this.#recorder,
        onClosed: (c) => this.#connections.delete(c),
      },
      this.#toxics.values(),
    );
    this.#connections.add(conn);
  }

  stats(): Observation {
    for (const c of this.#connections) c.accountBytes();
    return this.#recorder.snapshot();
  }

  observe(faultId: string): Observation | undefined {
    return this.#recorder.snapshot(faultId);
  }

  forget(faultId: string): void {
    this.#recorder.forget(faultId);
  }

  /** The proxy's recorder (events can be followed with `onEvent`). */
  get recorder(): Recorder {
    return this.#recorder;
  }

  addToxic(spec: ToxicSpec): void {
    const normalized = normalizeToxicSpec(spec);
    if (this.#toxics.has(normalized.name)) throw new ProxyConflictError('toxic', normalized.name, this.name);
    const installed: InstalledToxic = { spec: normalized, order: ++this.#order, counters: this.#recorder.fault(normalized.name) };
    this.#toxics.set(normalized.name, installed);
    installed.counters.event('info', 'toxic added', { type: normalized.type, stream: normalized.stream, toxicity: normalized.toxicity });
    for (const c of this.#connections) c.addToxic(installed);
  }

  updateToxic(name: string, patch: Partial<Omit<ToxicSpec, 'name' | 'type'>>): void {
    const prev = this.#toxics.get(name);
    if (prev === undefined) throw new ProxyNotFoundError('toxic', name, this.name);
    const merged = {
      ...prev.spec,
      ...patch,
      name,
      type: prev.spec.type,
      config: { ...prev.spec.config, ...(patch.config ?? {}) },
    } as ToxicSpec;
    const next: InstalledToxic = { ...prev, spec: normalizeToxicSpec(merged) };
    this.#toxics.set(name, next);
    next.counters.event('info', 'toxic updated', { stream: next.spec.stream, toxicity: next.spec.toxicity });
    for (const c of this.#connections) c.updateToxic(prev.spec, next);
  }

  removeToxic(name: string): boolean {
    const installed = this.#toxics.get(name);
    if (installed === undefined) return false;
    this.#toxics.delete(name);
    for (const c of this.#connections) c.removeToxic(name);
    installed.counters.event('info', 'toxic removed');
    return true;
  }

  listToxics(): ToxicSpec[] {
    return [...this.#toxics.values()].map((t) => t.spec);
  }

  removeAllToxics(): void {
    for (const name of [...this.#toxics.keys()]) this.removeToxic(name);
  }
}

/**
 * Creates a TCP proxy (not yet listening: call `start()`).
 * @throws ValidationError when `listen` or `upstream` is not `host:port`.
 * @example
 * const proxy = createTcpProxy({ name: 'db', listen: '127.0.0.1:0', upstream: '127.0.0.1:5432' });
 * await proxy.start();
 * proxy.addToxic({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, config: { latency: 100, jitter: 10 } });
 */
export function createTcpProxy(options: ProxyOptions): TcpProxy & { readonly recorder: Recorder } {
  return new TcpProxyImpl(options);
}
