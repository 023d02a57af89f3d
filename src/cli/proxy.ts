import type { Command } from 'commander';
import {
  ValidationError,
  httpFaultTypes,
  httpMethods,
  isHttpFaultType,
  isListenerFaultType,
  isToxicType,
  listenerFaultTypes,
  safeParsePlan,
  toxicTypes,
  type FaultPlan,
  type FieldIssue,
} from '../plan/index.js';
import { createHttpProxy, createTcpProxy, installPlan, type Observation, type ProxyEvent, type Recorder } from '../proxy/index.js';

/** Options of `faultline proxy`. */
interface ProxyCliOptions {
  listen: string;
  upstream: string;
  http?: boolean;
  name: string;
  toxic: string[];
  rule: string[];
  headerFaults?: boolean;
  upstreamTimeoutMs?: string;
  summaryInterval: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `1.5` -> number, `true`/`false` -> boolean, else the string. */
function scalar(v: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  return v;
}

/** Sets `a.b.c=v` as nested keys. */
function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let obj = target;
  for (const k of keys.slice(0, -1)) {
    const next = obj[k];
    obj = next !== null && typeof next === 'object' ? (next as Record<string, unknown>) : (obj[k] = {});
  }
  obj[keys[keys.length - 1] as string] = value;
}

interface Parsed {
  readonly id: string;
  readonly plan: FaultPlan;
}

/**
 * `--toxic latency:latency=100,jitter=10[,stream=upstream][,toxicity=0.5][,name=x]` as a plan.
 * Toxiproxy's names and attributes; `toxicity` 0..1 (default 1).
 */
function parseToxic(flag: string, index: number, service: string): Parsed | FieldIssue[] {
  const where = `--toxic[${index}]`;
  const colon = flag.indexOf(':');
  const type = (colon === -1 ? flag : flag.slice(0, colon)).trim();
  const config: Record<string, unknown> = {};
  let toxicity: unknown = 1;
  let name: string | undefined;
  const issues: FieldIssue[] = [];
  for (const pair of colon === -1 ? [] : flag.slice(colon + 1).split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: `${where}.${pair}`, message: 'expected key=value' });
      continue;
    }
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (key === 'toxicity') toxicity = scalar(value);
    else if (key === 'name') name = value;
    else setPath(config, key, scalar(value));
  }
  if (typeof toxicity !== 'number' || toxicity < 0 || toxicity > 1) issues.push({ path: `${where}.toxicity`, message: 'must be a number between 0 and 1' });
  if (issues.length > 0) return issues;
  const wire = { service, fault_type: type, fault_config: config, percentage: (toxicity as number) * 100, duration_seconds: 7 * 24 * 3600 };
  const res = safeParsePlan(wire);
  if (!res.ok) return res.issues.map((i) => ({ path: `${where}.${i.path}`, message: i.message }));
  const stream = (res.plan.faultConfig as { stream?: string }).stream;
  return { id: name ?? (stream === undefined ? type : `${type}_${stream}`), plan: res.plan };
}

/**
 * `--rule '[METHOD] [/path/glob] <fault> key=value ... [percentage=N] [header.X-Name=value] [id=x]'`.
 * Other keys (dotted for nesting: `distribution.type=uniform`) go to the fault's config.
 */
function parseRule(flag: string, index: number, service: string): Parsed | FieldIssue[] {
  const where = `--rule[${index}]`;
  const tokens = flag.trim().split(/\s+/).filter((t) => t !== '');
  const wire: Record<string, unknown> = { service, duration_seconds: 7 * 24 * 3600 };
  const config: Record<string, unknown> = {};
  const headers: Record<string, string> = {};
  const issues: FieldIssue[] = [];
  let id: string | undefined;
  let i = 0;
  if (tokens[i] !== undefined && (httpMethods as readonly string[]).includes((tokens[i] as string).toUpperCase())) wire.method = (tokens[i++] as string).toUpperCase();
  if (tokens[i] !== undefined && /^[/*]/.test(tokens[i] as string)) wire.api = tokens[i++];
  const type = tokens[i++];
  if (type === undefined || type.includes('=')) {
    return [{ path: `${where}.fault_type`, message: `is required: '[METHOD] [/path] <${httpFaultTypes.join('|')}> key=value ...'` }];
  }
  wire.fault_type = type;
  for (; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    const eq = tok.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: `${where}.${tok}`, message: 'expected key=value' });
      continue;
    }
    const key = tok.slice(0, eq);
    const value = tok.slice(eq + 1);
    if (key === 'percentage') wire.percentage = scalar(value);
    else if (key === 'id') id = value;
    else if (key.startsWith('header.')) headers[key.slice('header.'.length)] = value;
    else setPath(config, key, scalar(value));
  }
  if (issues.length > 0) return issues;
  wire.fault_config = config;
  if (Object.keys(headers).length > 0) wire.headers = headers;
  const res = safeParsePlan(wire);
  if (!res.ok) return res.issues.map((x) => ({ path: `${where}.${x.path}`, message: x.message }));
  return { id: id ?? `rule-${index}`, plan: res.plan };
}

function summary(o: Observation): string {
  const codes = Object.entries(o.statusCodes)
    .map(([c, n]) => `${c}:${n}`)
    .join(' ');
  return `requests=${o.requests} faulted=${o.faulted} errors=${o.errors} p50=${o.latencyMs.p50}ms p99=${o.latencyMs.p99}ms in=${o.bytesIn}B out=${o.bytesOut}B${codes ? ` codes ${codes}` : ''}`;
}

function eventLine(e: ProxyEvent): string {
  const { time, level, msg, ...rest } = e;
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level} ${msg}${fields ? ` ${fields}` : ''}`;
}

/**
 * `faultline proxy --listen A --upstream B [--http] [--toxic ...] [--rule ...]`: an ad-hoc fault
 * proxy in the foreground; Ctrl-C closes it and exits 0. A bad flag exits 2 naming the field.
 */
export function registerProxy(program: Command): void {
  program
    .command('proxy')
    .description('run a fault-injecting TCP (or --http) proxy in the foreground; Ctrl-C stops it')
    .requiredOption('--listen <host:port>', 'address to listen on (port 0 picks one)')
    .requiredOption('--upstream <host:port>', 'address (or http:// URL) to forward to')
    .option('--http', 'HTTP proxy with route-aware rules instead of a TCP proxy')
    .option('--name <name>', 'proxy name in logs', 'proxy')
    .option('--toxic <type:k=v,...>', `TCP toxic (${[...toxicTypes, ...listenerFaultTypes].join(', ')}), e.g. latency:latency=100,jitter=10 (repeatable)`, collect, [])
    .option('--rule <spec>', `HTTP rule (${httpFaultTypes.join(', ')}), e.g. 'POST /payment/* abort http_status=503 percentage=50' (repeatable)`, collect, [])
    .option('--header-faults', 'HTTP: honour x-faultline-delay-ms / x-faultline-abort-status request headers')
    .option('--upstream-timeout-ms <ms>', 'HTTP: answer 504 after this long without upstream headers', '30000')
    .option('--summary-interval <seconds>', 'print a traffic summary this often when it changed (0 = never)', '5')
    .option('--json', 'print events and summaries as JSON lines')
    .action(async (opts: ProxyCliOptions) => {
      const issues: FieldIssue[] = [];
      const parsed: Parsed[] = [];
      if (opts.http && opts.toxic.length > 0) issues.push({ path: '--toxic', message: 'TCP toxics need a TCP proxy (drop --http, or use --rule)' });
      if (!opts.http && opts.rule.length > 0) issues.push({ path: '--rule', message: 'HTTP rules need --http' });
      opts.toxic.forEach((t, i) => {
        const r = parseToxic(t, i, opts.name);
        if (Array.isArray(r)) issues.push(...r);
        else if (!isToxicType(r.plan.faultType) && !isListenerFaultType(r.plan.faultType)) {
          issues.push({ path: `--toxic[${i}].fault_type`, message: `'${r.plan.faultType}' is not a TCP toxic` });
        } else parsed.push(r);
      });
      opts.rule.forEach((t, i) => {
        const r = parseRule(t, i, opts.name);
        if (Array.isArray(r)) issues.push(...r);
        else if (!isHttpFaultType(r.plan.faultType)) {
          issues.push({ path: `--rule[${i}].fault_type`, message: `'${r.plan.faultType}' is not an HTTP fault (${httpFaultTypes.join(', ')})` });
        } else parsed.push(r);
      });
      const timeoutMs = Number(opts.upstreamTimeoutMs);
      if (!(timeoutMs > 0)) issues.push({ path: '--upstream-timeout-ms', message: 'must be a number > 0' });
      const every = Number(opts.summaryInterval);
      if (!(every >= 0)) issues.push({ path: '--summary-interval', message: 'must be a number >= 0' });
      if (issues.length > 0) {
        process.exitCode = 2;
        throw new ValidationError('proxy flags', issues);
      }

      let proxy: ReturnType<typeof createHttpProxy> | ReturnType<typeof createTcpProxy>;
      try {
        proxy = opts.http
          ? createHttpProxy({ name: opts.name, listen: opts.listen, upstream: opts.upstream, headerFaults: opts.headerFaults ?? false, upstreamTimeoutMs: timeoutMs })
          : createTcpProxy({ name: opts.name, listen: opts.listen, upstream: opts.upstream });
      } catch (err) {
        process.exitCode = 2;
        throw new ValidationError('proxy flags', [{ path: '--listen/--upstream', message: err instanceof Error ? err.message : String(err) }]);
      }
      const recorder: Recorder = proxy.recorder;
      const out = (line: string, value: unknown): void => {
        process.stdout.write(opts.json ? `${JSON.stringify(value)}\n` : `${line}\n`);
      };
      recorder.onEvent((e) => out(eventLine(e), e));
      await proxy.start();
      for (const { id, plan } of parsed) {
        installPlan(proxy, plan, id);
      }
      out(`faultline proxy ${opts.name}: ${proxy.protocol} ${proxy.listen} -> ${proxy.upstream} (${parsed.length} fault${parsed.length === 1 ? '' : 's'})`, {
        msg: 'ready',
        protocol: proxy.protocol,
        listen: proxy.listen,
        upstream: proxy.upstream,
        faults: parsed.map((p) => p.id),
      });

      let last = -1;
      const timer =
        every > 0
          ? setInterval(() => {
              const o = proxy.stats();
              if (o.requests === last) return;
              last = o.requests;
              const { logs: _logs, ...figures } = o;
              out(`summary ${summary(o)}`, { msg: 'summary', ...figures });
            }, every * 1000)
          : undefined;

      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          out(`${signal}: closing`, { msg: 'closing', signal });
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      if (timer !== undefined) clearInterval(timer);
      await proxy.close();
      const { logs: _logs, ...figures } = proxy.stats();
      out(`closed ${summary(proxy.stats())}`, { msg: 'closed', ...figures });
      process.exitCode = 0;
    });
}
