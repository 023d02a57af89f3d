import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultlineError } from '../../src/plan/index.js';
import { httpStatusByCode, loadConfig, startExecutor, toHttpError, NotFoundError, type Executor } from '../../src/executor/index.js';

const root = resolve(import.meta.dirname, '../..');

describe('the API contract', () => {
  let ex: Executor;
  const routes: Array<{ method: string; url: string }> = [];

  beforeAll(async () => {
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      logger: pino({ level: 'silent' }),
      // A route a plugin adds must show up in the document too.
      extraRoutes: (app) => {
        app.get('/plugin/thing/:id', async () => ({}));
      },
    });
    routes.push(...ex.routes);
  });

  afterAll(async () => {
    await ex?.close();
  });

  it('lists every documented route of the server in /openapi.json, and no placeholder for an undocumented one', async () => {
    const res = await ex.app.inject({ method: 'GET', url: '/openapi.json' });
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(routes.length).toBeGreaterThan(20);
    expect(routes).toContainEqual({ method: 'GET', url: '/plugin/thing/:id' });
    for (const r of ['GET /v1/health', 'POST /v1/faults/apply', 'DELETE /v1/faults/:apply_id', 'POST /v1/processes/:name/pause', 'PUT /v1/policies/:id', 'GET /metrics']) {
      const [method, url] = r.split(' ');
      expect(routes).toContainEqual({ method, url });
    }
    // A route registered without documentation gets no placeholder: it is left out (and
    // openapi-live.test.ts fails naming it); every documented route is there.
    const missing = routes.filter((r) => !doc.paths[r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[r.method.toLowerCase()]);
    expect(missing).toEqual([{ method: 'GET', url: '/plugin/thing/:id' }]);
    // The plan body comes from the zod schema: one branch per fault type.
    const apply = doc.paths['/v1/faults/apply']!.post as { requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } } };
    expect(JSON.stringify(apply.requestBody.content['application/json'].schema)).toContain('"reset_peer"');
    const status = doc.paths['/v1/faults/{apply_id}/status']!.get as { responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown> } }> }> };
    expect(Object.keys(status.responses['200']!.content['application/json']!.schema.properties)).toEqual(
      expect.arrayContaining(['apply_id', 'status', 'start_time', 'end_time', 'error_msg']),
    );
  });

  it('describes every v1 route in docs/api.md', () => {
    const doc = readFileSync(join(root, 'docs/api.md'), 'utf8');
    const v1 = routes.filter((r) => r.url.startsWith('/v1') || r.url === '/metrics' || r.url === '/openapi.json');
    const missing = v1.filter((r) => !doc.includes(`${r.method} ${r.url}`));
    expect(missing).toEqual([]);
  });

  it('maps every error code to a status and documents it in docs/errors.md', () => {
    const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    const src = readFileSync(join(root, 'src/executor/errors.ts'), 'utf8');
    const codes = new Set([...src.matchAll(/'(FL_ERR_EXECUTOR_[A-Z_]+)'/g)].map((m) => m[1]!));
    for (const what of ['APPLICATION', 'PROXY', 'POLICY', 'PROCESS', 'SERVICE']) codes.add(`FL_ERR_EXECUTOR_${what}_NOT_FOUND`);
    for (const what of ['PROXY', 'POLICY']) codes.add(`FL_ERR_EXECUTOR_${what}_EXISTS`);
    codes.add('FL_ERR_EXECUTOR_INTERNAL');
    for (const code of codes) {
      if (code !== 'FL_ERR_EXECUTOR_INTERNAL') expect(httpStatusByCode[code], code).toBeTypeOf('number');
      expect(doc, code).toContain(`\`${code}\``);
    }
  });

  it('answers an unmapped error with 500 and flags it as a bug', () => {
    const unmapped = toHttpError(new Error('boom'));
    expect(unmapped).toMatchObject({ status: 500, bug: true, body: { code: 'FL_ERR_EXECUTOR_INTERNAL' } });
    expect(toHttpError(new FaultlineError('FL_ERR_SOMETHING_NEW', 'x')).status).toBe(500);
    expect(toHttpError(new NotFoundError('proxy', 'db'))).toMatchObject({ status: 404, bug: false, body: { code: 'FL_ERR_EXECUTOR_PROXY_NOT_FOUND' } });
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses the documented example with its defaults', async () => {
    const config = await loadConfig(join(root, 'examples/faultline.yaml'));
    expect(config.max_duration_seconds).toBeGreaterThan(0);
    expect(config.proxies.length).toBeGreaterThan(0);
    expect(config.proxies.every((p) => p.protocol === 'tcp' || p.protocol === 'http')).toBe(true);
  });

  it('starts an executor from a loaded config (alerts, telemetry, proxies)', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(
      file,
      ['proxies:', '  - name: db', '    listen: 127.0.0.1:0', '    upstream: 127.0.0.1:5432', 'alerts:', '  - error_rate > 0.1 for 30s', '  - restarts > 3 in 60s', 'telemetry:', '  exporters: []'].join('\n'),
    );
    const ex = await startExecutor({ config: await loadConfig(file), listen: '127.0.0.1:0', statePath: ':memory:', logger: pino({ level: 'silent' }) });
    try {
      expect(ex.proxies.require('db').protocol).toBe('tcp');
      expect((await ex.app.inject({ method: 'GET', url: '/v1/alerts' })).json()).toEqual({ alerts: [] });
    } finally {
      await ex.close();
    }
  });

  it('names the path of every bad field', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'listen: nowhere',
        'max_duration_seconds: -1',
        'proxies:',
        '  - name: db',
        '    upstream: 127.0.0.1:5432',
        '    protocol: udp',
        '  - name: db',
        '    upstream: 127.0.0.1:5432',
        'processes:',
        '  - name: api',
        'surprise: 1',
      ].join('\n'),
    );
    const err = await loadConfig(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FaultlineError);
    const e = err as FaultlineError & { issues: Array<{ path: string }> };
    expect(e.code).toBe('FL_ERR_EXECUTOR_CONFIG_INVALID');
    expect(e.issues.map((i) => i.path).sort()).toEqual(
      ['listen', 'max_duration_seconds', 'processes[0].command', 'proxies[0].protocol', 'proxies[1].name', 'surprise'].sort(),
    );
  });

  it('reports a missing file or bad YAML as FL_ERR_EXECUTOR_CONFIG_READ', async () => {
    await expect(loadConfig(join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'FL_ERR_EXECUTOR_CONFIG_READ' });
    writeFileSync(join(dir, 'broken.yaml'), 'proxies: [\n');
    await expect(loadConfig(join(dir, 'broken.yaml'))).rejects.toMatchObject({ code: 'FL_ERR_EXECUTOR_CONFIG_READ' });
  });
});
