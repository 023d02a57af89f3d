import { request } from 'undici';
import type { Registry } from 'prom-client';
import type { TelemetryExporter } from '../types.js';
import { toLineProtocol } from './line-protocol.js';
import { createPeriodicExporter, defaultTimeoutMs, type ExporterCommonOptions } from './periodic.js';

interface InfluxCommon extends ExporterCommonOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8086`. */
  readonly url: string;
  readonly registry: Registry;
  /** Prepended to every measurement name. */
  readonly measurementPrefix?: string;
  /** Tags added to every point. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** InfluxDB 1.x: `POST /write?db=<db>&precision=ms`. */
export interface Influx1ExporterOptions extends InfluxCommon {
  readonly version: 1;
  readonly db: string;
  /** Retention policy (default: the database's default). */
  readonly retentionPolicy?: string;
  readonly username?: string;
  readonly password?: string;
  /** Sends `CREATE DATABASE` (idempotent) before the first write and after a `database not found`. */
  readonly createDatabase?: boolean;
}

/** InfluxDB 2.x / 3.x: `POST /api/v2/write?org=&bucket=&precision=ms` with `Authorization: Token`. */
export interface Influx2ExporterOptions extends InfluxCommon {
  readonly version: 2;
  readonly org: string;
  readonly bucket: string;
  readonly token: string;
}

/** Options of {@link createInfluxExporter}. */
export type InfluxExporterOptions = Influx1ExporterOptions | Influx2ExporterOptions;

function endpoint(base: string, path: string, query: Record<string, string | undefined>): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const res = await request(url, { method: 'POST', body, headers, signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const text = await res.body.text();
  if (res.statusCode < 200 || res.statusCode >= 300) {
    throw new Error(`influxdb answered ${res.statusCode}: ${text.trim().slice(0, 500)}`);
  }
  // 1.x answers 200 (not 204) to /query with the statement's error in the body.
  if (/"error"\s*:/.test(text)) throw new Error(`influxdb: ${text.trim().slice(0, 500)}`);
}

/**
 * Writes the registry as InfluxDB line protocol (millisecond timestamps) on an interval, to a 1.x
 * or a 2.x/3.x server.
 * @example
 * const exporter = createInfluxExporter({ url: 'http://127.0.0.1:8086', version: 1, db: 'faultline', intervalMs: 10_000, registry });
 * exporter.start();
 */
export function createInfluxExporter(options: InfluxExporterOptions): TelemetryExporter {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(options.intervalMs);
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  let writeUrl: string;
  let ensureDatabase: ((signal: AbortSignal) => Promise<void>) | null = null;
  if (options.version === 2) {
    writeUrl = endpoint(options.url, '/api/v2/write', { org: options.org, bucket: options.bucket, precision: 'ms' });
    headers['authorization'] = `Token ${options.token}`;
  } else {
    const auth = { u: options.username, p: options.password };
    writeUrl = endpoint(options.url, '/write', { db: options.db, rp: options.retentionPolicy, precision: 'ms', ...auth });
    if (options.createDatabase === true) {
      const q = `CREATE DATABASE "${options.db.replace(/["\\]/g, (c) => `\\${c}`)}"`;
      const queryUrl = endpoint(options.url, '/query', auth);
      ensureDatabase = (signal) =>
        post(queryUrl, new URLSearchParams({ q }).toString(), { 'content-type': 'application/x-www-form-urlencoded' }, signal, timeoutMs);
    }
  }
  let databaseReady = ensureDatabase === null;
  return createPeriodicExporter({
    ...options,
    timeoutMs,
    name: options.name ?? 'influxdb',
    send: async (signal) => {
      const body = toLineProtocol(await options.registry.getMetricsAsJSON(), {
        timestampMs: Date.now(),
        ...(options.measurementPrefix === undefined ? {} : { measurementPrefix: options.measurementPrefix }),
        ...(options.tags === undefined ? {} : { tags: options.tags }),
      });
      if (!databaseReady && ensureDatabase !== null) {
        await ensureDatabase(signal);
        databaseReady = true;
      }
      if (body === '') return;
      try {
        await post(writeUrl, body, headers, signal, timeoutMs);
      } catch (error) {
        if (ensureDatabase !== null && error instanceof Error && error.message.includes('database not found')) databaseReady = false;
        throw error;
      }
    },
  });
}
