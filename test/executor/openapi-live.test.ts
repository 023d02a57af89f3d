/**
 * The OpenAPI document is a contract: every route the server registered has a real operation in
 * /openapi.json, and live answers of every route (success and error) match the schema declared
 * for their status, checked with ajv. A new route fails this file twice until it is declared and
 * called here: once as "registered but undocumented", once as "documented but never called".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExecutor, type Executor } from '../../src/executor/index.js';
import { ROOT } from '../helpers/cli.js';
import { createAjv, describeErrors } from '../helpers/json-schema.js';
import { reservePort } from '../helpers/ports.js';
import { startUpstream } from './helpers.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Json = Record<string, unknown>;
interface Operation {
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('/openapi.json against the live server', () => {
  let ex: Executor;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let runs: string;
  let doc: { paths: Record<string, Record<string, Operation>> };
  const validators = new Map<string, ValidateFunction>();
  /** One ajv per schema: the plan schema's $id appears in several operations. */
  const compiled = (key: string, schema: Json): ValidateFunction => {
    let validate = validators.get(key);
    if (!validate) {
      validate = createAjv().compile(schema);
      validators.set(key, validate);
    }
    return validate;
  };
  const called = new Set<string>();
  const mismatches: string[] = [];

  /** Calls `METHOD template` (params filled from `params`) and checks the answer against the document. */
  async function hit(method: Method, template: string, params: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: unknown }> {
    const path = template.replace(/:([A-Za-z0-9_]+)/g, (_m, k: string) => encodeURIComponent(params[k] ?? `missing-${k}`));
    const res = await request(`${ex.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.body.text();
    const where = `${method} ${template} -> ${res.statusCode}`;
    called.add(`${method} ${template}`);
    const op = doc.paths[toOpenApiPath(template)]?.[method.toLowerCase()];
    if (!op) {
      mismatches.push(`${where}: no operation in /openapi.json`);
      return { status: res.statusCode, body: text };
    }
    // The request side: a body the server accepted fits the documented request schema, and one it
    // refused as invalid (400) does not.
    if (body !== undefined && (res.statusCode < 300 || res.statusCode === 400)) {
      const requestSchema = op.requestBody?.content['application/json']?.schema;
      if (!requestSchema) mismatches.push(`${where}: sent a body, but no request body is documented`);
      else {
        const validateRequest = compiled(`${method} ${template} request`, requestSchema);
        const fits = validateRequest(body) === true;
        if (fits !== res.statusCode < 300) {
          mismatches.push(`${where}: the documented request schema ${fits ? 'accepts' : 'rejects'} ${JSON.stringify(body)}${fits ? '' : `: ${describeErrors(validateRequest.errors)}`}`);
        }
      }
    }
    const declared = op.responses[String(res.statusCode)] ?? op.responses['default'];
    if (!declared) {
      mismatches.push(`${where}: status not declared`);
      return { status: res.statusCode, body: text };
    }
    const contentType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!declared.content) {
      if (text !== '') mismatches.push(`${where}: declared without a body, answered ${JSON.stringify(text.slice(0, 80))}`);
      return { status: res.statusCode, body: text };
    }
    const media = declared.content[contentType];
    if (!media) {
      mismatches.push(`${where}: answered ${contentType}, declared ${Object.keys(declared.content).join(', ')}`);
      return { status: res.statusCode, body: text };
    }
    if (contentType !== 'application/json') return { status: res.statusCode, body: text };
    const parsed = JSON.parse(text) as unknown;
    const key = `${method} ${template} ${res.statusCode in op.responses ? res.statusCode : 'default'}`;
    const validate = compiled(key, media.schema);
    if (!validate(parsed)) mismatches.push(`${where}: ${describeErrors(validate.errors)}\n    answer: ${text.slice(0, 300)}`);
    return { status: res.statusCode, body: parsed };
  }

  beforeAll(async () => {
    upstream = await startUpstream();
    runs = mkdtempSync(join(tmpdir(), 'faultline-openapi-'));
    const appPort = await reservePort();
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      runsDir: runs,
      logger: pino({ level: 'silent' }),
      config: {
        proxies: [
          { name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' },
          { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'tcp' },
        ],
        processes: [
          {
            name: 'app',
            command: process.execPath,
            args: [join(ROOT, 'test/fixtures/http-server.mjs'), String(appPort)],
            health: { http: { url: `http://127.0.0.1:${appPort}/health` }, interval_ms: 50 },
            restart: { policy: 'always' },
            stop_timeout_ms: 2000,
          },
        ],
        alerts: { interval_ms: 100, rules: ['restarts > 5'] },
      },
    });
    await ex.supervisor!.waitHealthy('app', 30_000);
    doc = (await (await request(`${ex.url}/openapi.json`)).body.json()) as typeof doc;
  }, 60_000);

  afterAll(async () => {
    await ex?.close();
    await upstream?.close();
    if (runs) rmSync(runs, { recursive: true, force: true });
  });

  it('documents every registered route with a real operation (answer schemas, no placeholders)', () => {
    const undocumented = ex.routes.filter((r) => !doc.paths[toOpenApiPath(r.url)]?.[r.method.toLowerCase()]);
    expect(
      undocumented.map((r) => `${r.method} ${r.url}`),
      'routes registered without an OpenAPI operation: declare them in the v1 route table (src/executor/routes/v1.ts) or in src/executor/toxiproxy-compat/docs.ts',
    ).toEqual([]);
    const placeholders: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const ok = Object.entries(op.responses).filter(([status]) => status !== 'default' && Number(status) < 300);
        if (ok.length === 0) placeholders.push(`${method.toUpperCase()} ${path}: no success answer declared`);
        for (const [status, r] of ok) if (status !== '204' && !r.content) placeholders.push(`${method.toUpperCase()} ${path} ${status}: no answer schema`);
      }
    }
    expect(placeholders).toEqual([]);
  });

  it('answers every route as the document says, success and error', async () => {
    // v1: health, faults, halt
    await hit('GET', '/v1/health');
    const applied = await hit('POST', '/v1/faults/apply', {}, { service: 'web', fault_type: 'abort', fault_config: { http_status: 503 }, duration_seconds: 60 });
    expect(applied.status).toBe(201);
    const id = (applied.body as Json).apply_id as string;
    expect((await hit('POST', '/v1/faults/apply', {}, { service: 'web', fault_type: 'abort', percentage: 150 })).status).toBe(400);
    expect((await hit('POST', '/v1/faults/apply', {}, { service: 'nope', fault_type: 'abort' })).status).toBe(404);
    await hit('GET', '/v1/faults');
    await hit('GET', '/v1/faults/:apply_id/status', { apply_id: id });
    expect((await hit('GET', '/v1/faults/:apply_id/status', { apply_id: 'nope' })).status).toBe(404);
    await hit('GET', '/v1/faults/:apply_id/metrics', { apply_id: id });
    await hit('DELETE', '/v1/faults/:apply_id', { apply_id: id });
    await hit('POST', '/v1/halt', {}, {});
    // v1: policies
    await hit('GET', '/v1/policies');
    expect((await hit('POST', '/v1/policies', {}, { id: 'p1', service: 'web', fault_type: 'abort', api: '/p', fault_config: { http_status: 502 } })).status).toBe(201);
    expect((await hit('POST', '/v1/policies', {}, { id: 'p1', service: 'web', fault_type: 'abort', api: '/p' })).status).toBe(409);
    await hit('GET', '/v1/policies/:id', { id: 'p1' });
    await hit('PUT', '/v1/policies/:id', { id: 'p1' }, { service: 'web', fault_type: 'abort', api: '/q', fault_config: { http_status: 500 } });
    await hit('DELETE', '/v1/policies/:id', { id: 'p1' });
    expect((await hit('GET', '/v1/policies/:id', { id: 'p1' })).status).toBe(404);
    // v1: proxies
    await hit('GET', '/v1/proxies');
    expect((await hit('POST', '/v1/proxies', {}, { name: 'extra', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' })).status).toBe(201);
    expect((await hit('POST', '/v1/proxies', {}, { name: 'bad name!', upstream: 'x' })).status).toBe(400);
    await hit('GET', '/v1/proxies/:name', { name: 'extra' });
    await hit('DELETE', '/v1/proxies/:name', { name: 'extra' });
    expect((await hit('GET', '/v1/proxies/:name', { name: 'extra' })).status).toBe(404);
    // v1: processes, alerts, metrics, the document itself
    await hit('GET', '/v1/processes');
    await hit('GET', '/v1/processes/:name', { name: 'app' });
    expect((await hit('POST', '/v1/processes/:name/pause', { name: 'app' }, { duration_ms: 60_000 })).status).toBe(200);
    expect((await hit('POST', '/v1/processes/:name/resume', { name: 'app' }, {})).status).toBe(200);
    expect((await hit('POST', '/v1/processes/:name/resume', { name: 'app' }, { surprise: 1 })).status).toBe(400);
    await ex.supervisor!.waitHealthy('app', 30_000);
    expect((await hit('POST', '/v1/processes/:name/kill', { name: 'app' }, { signal: 'SIGKILL' })).status).toBe(200);
    await ex.supervisor!.waitHealthy('app', 30_000);
    expect((await hit('POST', '/v1/processes/:name/restart', { name: 'app' }, {})).status).toBe(200);
    expect((await hit('POST', '/v1/processes/:name/kill', { name: 'app' }, { signal: 'SIGNOPE' })).status).toBe(400);
    await hit('GET', '/v1/alerts');
    await hit('GET', '/v1/events');
    await hit('GET', '/metrics');
    await hit('GET', '/openapi.json');
    // The Toxiproxy-compatible API
    await hit('GET', '/version');
    expect((await hit('POST', '/proxies', {}, { name: 'tp', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` })).status).toBe(201);
    expect((await hit('POST', '/proxies', {}, { name: 'tp', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` })).status).toBe(409);
    await hit('POST', '/populate', {}, [{ name: 'tp2', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` }]);
    await hit('GET', '/proxies');
    await hit('GET', '/proxies/:proxy', { proxy: 'tp' });
    expect((await hit('GET', '/proxies/:proxy', { proxy: 'nope' })).status).toBe(404);
    await hit('POST', '/proxies/:proxy', { proxy: 'tp' }, { enabled: false });
    await hit('PATCH', '/proxies/:proxy', { proxy: 'tp' }, { enabled: true });
    expect((await hit('POST', '/proxies/:proxy/toxics', { proxy: 'tp' }, { name: 'lat', type: 'latency', attributes: { latency: 10 } })).status).toBe(200);
    expect((await hit('POST', '/proxies/:proxy/toxics', { proxy: 'tp' }, { type: 'explode' })).status).toBe(400);
    await hit('GET', '/proxies/:proxy/toxics', { proxy: 'tp' });
    await hit('GET', '/proxies/:proxy/toxics/:toxic', { proxy: 'tp', toxic: 'lat' });
    await hit('POST', '/proxies/:proxy/toxics/:toxic', { proxy: 'tp', toxic: 'lat' }, { attributes: { latency: 20 } });
    await hit('PATCH', '/proxies/:proxy/toxics/:toxic', { proxy: 'tp', toxic: 'lat' }, { toxicity: 0.5 });
    await hit('DELETE', '/proxies/:proxy/toxics/:toxic', { proxy: 'tp', toxic: 'lat' });
    expect((await hit('GET', '/proxies/:proxy/toxics/:toxic', { proxy: 'tp', toxic: 'lat' })).status).toBe(404);
    await hit('POST', '/reset');
    await hit('DELETE', '/proxies/:proxy', { proxy: 'tp' });
    await hit('DELETE', '/proxies/:proxy', { proxy: 'tp2' });

    expect(mismatches, `answers that do not match /openapi.json:\n${mismatches.join('\n')}`).toEqual([]);
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const calledOps = new Set([...called].map((c) => toOpenApiPath(c)));
    const neverCalled = operations.filter((op) => !calledOps.has(op));
    expect(neverCalled, 'operations this test never calls: add a call (success and, where there is one, an error) to this test').toEqual([]);
  }, 90_000);
});
