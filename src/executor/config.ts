/**
 * `faultline.yaml`: the executor's configuration (snake_case on disk, camelCase in code).
 * Validated whole before anything starts; every bad field is named by its path.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { fieldIssues, type FieldIssue } from '../plan/index.js';
import { ConfigInvalidError, ConfigReadError } from './errors.js';
import { processesSection, telemetrySection, alertsSection } from './modules.js';

/** `host:port` (IPv6 in brackets); port 0 picks a free one. */
export const listenSchema = z
  .string({ error: 'must be a string host:port' })
  .max(300, { error: 'must be at most 300 characters' })
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, { error: "must be 'host:port', e.g. 127.0.0.1:8474", abort: true })
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65_535, { error: 'port must be <= 65535' });

/** An upstream: `host:port` or an `http://` URL. */
export const upstreamSchema = z
  .string({ error: 'must be a string host:port or http URL' })
  .min(1, { error: 'must not be empty' })
  .max(2000, { error: 'must be at most 2000 characters' })
  .regex(/^(https?:\/\/[^\s]+|(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5})$/, { error: "must be 'host:port' or 'http://host:port'", abort: true })
  .refine(
    (s) => {
      const a = addressOf(s);
      return a !== undefined && Number.isInteger(a.port) && a.port >= 1 && a.port <= 65_535;
    },
    { error: 'port must be 1-65535' },
  );

/** The name rule of proxies and policies, everywhere (API v1, the Toxiproxy routes, URLs, faultline.yaml). */
export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** A proxy or policy name: 1..128 characters of letters, digits, `_ . -`; not `.` or `..` (a name ends up in URLs). */
export const nameSchema = z
  .string({ error: 'must be a string' })
  .regex(NAME_PATTERN, { error: 'must be 1-128 characters of letters, digits, _ . -', abort: true })
  .refine((s) => s !== '.' && s !== '..', { error: "must not be '.' or '..'" });

/** The host and port an address names (`host:port` or an http(s) URL), or undefined when it names none. */
export function addressOf(value: string): { host: string; port: number } | undefined {
  if (/^https?:\/\//i.test(value)) {
    try {
      const u = new URL(value);
      const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      return { host: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port };
    } catch {
      return undefined;
    }
  }
  const i = value.lastIndexOf(':');
  if (i < 0) return undefined;
  const host = value.slice(0, i).replace(/^\[|\]$/g, '').toLowerCase();
  return { host: host === '' ? '127.0.0.1' : host, port: Number(value.slice(i + 1)) };
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;
const WILDCARD = new Set(['0.0.0.0', '::']);

/**
 * True when a proxy listening on `listen` would forward to itself through `upstream` (one
 * connection then turns into hundreds of sockets): same port, and the same host, a loopback name
 * for a loopback one, or any local host for a wildcard listen.
 */
export function isSelfUpstream(listen: string, upstream: string): boolean {
  const l = addressOf(listen);
  const u = addressOf(upstream);
  if (!l || !u || l.port === 0 || l.port !== u.port) return false;
  if (l.host === u.host || WILDCARD.has(l.host)) return true;
  return LOOPBACK.test(l.host) && (LOOPBACK.test(u.host) || WILDCARD.has(u.host));
}

/** One proxy (wire form). */
export const proxyConfigSchema = z
  .strictObject({
    name: nameSchema,
    listen: listenSchema.default('127.0.0.1:0'),
    upstream: upstreamSchema,
    protocol: z.enum(['tcp', 'http'], { error: "must be 'tcp' or 'http'" }).default('tcp'),
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
  })
  .superRefine((p, ctx) => {
    if (isSelfUpstream(p.listen, p.upstream)) ctx.addIssue({ code: 'custom', path: ['upstream'], message: `is the proxy's own listen address (${p.listen}): it would forward to itself` });
  });

/** The whole `faultline.yaml` (wire form). */
export const executorConfigSchema = z
  .strictObject({
    listen: listenSchema.optional(),
    state: z.string({ error: 'must be a path' }).min(1).optional(),
    /** Web origins (`http://host:port`) whose pages may call the API; every other Origin is refused. */
    allowed_origins: z
      .array(
        z
          .string({ error: 'must be a string' })
          .regex(/^https?:\/\/[^/\s?#]+$/, { error: "must be an origin 'http://host:port' (scheme, host and port; no path)" }),
        { error: 'must be a list of origins' },
      )
      .default([]),
    /** Names the Host header may carry besides the listen address and loopback (a DNS name this daemon is reached by). */
    allowed_hosts: z
      .array(z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9.-]{1,253}$/, { error: 'must be a host name (letters, digits, . -)' }), {
        error: 'must be a list of host names',
      })
      .default([]),
    max_duration_seconds: z
      .number({ error: 'must be a number of seconds' })
      .gt(0, { error: 'must be > 0' })
      .max(7 * 24 * 3600, { error: 'must be at most 604800' })
      .default(600),
    proxies: z.array(proxyConfigSchema, { error: 'must be a list of proxies' }).default([]),
    toxiproxy: z
      .strictObject({
        max_toxic_seconds: z
          .number({ error: 'must be a number of seconds' })
          .gt(0, { error: 'must be > 0' })
          .max(7 * 24 * 3600, { error: 'must be at most 604800' })
          .optional(),
      })
      .optional(),
    retention: z
      .strictObject({
        days: z.number({ error: 'must be a number of days' }).gt(0, { error: 'must be > 0' }).max(3650, { error: 'must be at most 3650' }).default(7),
        max_rows: z.number({ error: 'must be a count' }).int({ error: 'must be an integer' }).min(10, { error: 'must be >= 10' }).max(10_000_000).default(10_000),
      })
      .default({ days: 7, max_rows: 10_000 }),
    processes: processesSection,
    telemetry: telemetrySection,
    alerts: alertsSection,
  });

/** Duplicate proxy names, read from the raw input so they are named even when other fields are bad. */
function duplicateProxyIssues(input: unknown): FieldIssue[] {
  const proxies = input !== null && typeof input === 'object' ? (input as { proxies?: unknown }).proxies : undefined;
  if (!Array.isArray(proxies)) return [];
  const seen = new Set<unknown>();
  const out: FieldIssue[] = [];
  proxies.forEach((p: unknown, i) => {
    const name = p !== null && typeof p === 'object' ? (p as { name?: unknown }).name : undefined;
    if (typeof name !== 'string') return;
    if (seen.has(name)) out.push({ path: `proxies[${i}].name`, message: `duplicate proxy name '${name}'` });
    seen.add(name);
  });
  return out;
}

/** A parsed `faultline.yaml` (wire form, defaults filled). */
export type ExecutorConfig = z.output<typeof executorConfigSchema>;
/** One proxy of the config (wire form, defaults filled). */
export type ProxyConfig = z.output<typeof proxyConfigSchema>;

/** Configs this module produced: passing one back (loadConfig -> startExecutor) is not re-parsed. */
const parsed = new WeakSet<object>();

/**
 * Validates a config object (already parsed from YAML/JSON). A config returned by
 * `loadConfig`/`parseConfig` is returned as it is (some sections parse into richer objects).
 * @throws ConfigInvalidError naming each bad path.
 */
export function parseConfig(input: unknown, file = '(inline)'): ExecutorConfig {
  if (input !== null && typeof input === 'object' && parsed.has(input)) return input as ExecutorConfig;
  const result = executorConfigSchema.safeParse(input ?? {});
  const issues = [...(result.success ? [] : fieldIssues(result.error, input ?? {})), ...duplicateProxyIssues(input)];
  if (!result.success || issues.length > 0) throw new ConfigInvalidError(file, issues);
  parsed.add(result.data);
  return result.data;
}

/**
 * Reads and validates `faultline.yaml`.
 * @throws ConfigReadError when the file is missing or not YAML; ConfigInvalidError when a field is bad.
 * @example
 * const config = await loadConfig('faultline.yaml');
 */
export async function loadConfig(path: string): Promise<ExecutorConfig> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ConfigReadError(path, err);
  }
  return parseConfig(raw, path);
}

/** Splits `host:port` (`[::1]:80` too): the one in src/common. */
export { splitHostPort } from '../common/index.js';
