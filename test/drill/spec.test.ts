import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDrill, safeParseDrill, loadDrill, DrillInvalidError } from '../../src/drill/index.js';
import { tempDir } from './helpers.js';

const base = {
  name: 'ok',
  executor: { embedded: true, config: { proxies: [] } },
  load: { url: 'http://127.0.0.1:1/x', rate_per_s: 10, duration_s: 2 },
};

function pathsOf(input: unknown): string[] {
  const r = safeParseDrill(input);
  if (r.ok) return [];
  return r.issues.map((i) => i.path);
}

describe('drill file validation', () => {
  it('accepts a full drill and converts it to code form, keeping user payload keys', () => {
    const drill = parseDrill(`
name: full
executor: { url: "http://127.0.0.1:8474" }
preflight:
  - { kind: port, port: 8474, guidance: start it }
  - { kind: disk, min_free_mb: 1 }
load:
  rate_per_s: 10
  duration_s: 5
  mix:
    - { name: create, weight: 3, url: "http://127.0.0.1:1/p", method: post, body: { order_id: "{{vars.order_id}}" }, vars: { order_id: "o-{{seq}}" }, ack: true }
    - { name: retry, weight: 1, url: "http://127.0.0.1:1/p", method: POST, body: { order_id: "{{recent.create.order_id}}" } }
steady_state:
  probes:
    - { kind: metric, metric: "error_rate <= 0.01", window_s: 5 }
method:
  - { kind: http, url: "http://127.0.0.1:1/items", method: POST, output: create }
  - { kind: http, url: "http://127.0.0.1:1/items/{{steps.create.body.id}}" }
  - { kind: fault, plan: { service: api, fault_type: delay, fault_config: { delay_ms: 10 } } }
stop_conditions: ["error_rate > 0.5 for 5s"]
verify: { recovery_within_s: 5 }
`);
    expect(drill.load?.mix?.[0]?.method).toBe('POST');
    expect(drill.load?.mix?.[0]?.body).toEqual({ order_id: '{{vars.order_id}}' });
    expect(drill.stopConditions[0]?.minRequests).toBe(1);
    expect(drill.verify.recoveryWithinS).toBe(5);
    expect(drill.method[2]).toMatchObject({ kind: 'fault', plan: { fault_type: 'delay', fault_config: { delay_ms: 10 } } });
  });

  it.each([
    ['an unknown top-level field', { ...base, extra: 1 }, 'extra'],
    ['a missing name', { ...base, name: undefined }, 'name'],
    ['a bad name', { ...base, name: 'has space' }, 'name'],
    ['an unknown preflight kind', { ...base, preflight: [{ kind: 'bogus' }] }, 'preflight[0].kind'],
    ['a preflight check missing its port', { ...base, preflight: [{ kind: 'port' }] }, 'preflight[0].port'],
    ['a negative rate', { ...base, load: { ...base.load, rate_per_s: -1 } }, 'load.rate_per_s'],
    ['a load url that is not http', { ...base, load: { ...base.load, url: 'ftp://x' } }, 'load.url'],
    ['a load with url and mix', { ...base, load: { ...base.load, mix: [{ name: 'a', url: 'http://x/' }] } }, 'load.mix'],
    ['a bad metric expression', { ...base, steady_state: { probes: [{ kind: 'metric', metric: 'error_rat < 1' }] } }, 'steady_state.probes[0].metric'],
    ['a sql probe without its url', { ...base, verify: { probes: [{ kind: 'sql', driver: 'postgres', query: 'select 1' }] } }, 'verify.probes[0].url'],
    ['a wait step without seconds', { ...base, method: [{ kind: 'wait' }] }, 'method[0].seconds'],
    ['an unknown step kind', { ...base, method: [{ kind: 'explode' }] }, 'method[0].kind'],
    ['a bad fault plan attribute', { ...base, method: [{ kind: 'fault', plan: { service: 'api', fault_type: 'delay', fault_config: { delay_ms: -5 } } }] }, 'method[0].plan.fault_config.delay_ms'],
    ['an unknown fault type', { ...base, method: [{ kind: 'fault', plan: { service: 'api', fault_type: 'melt' } }] }, 'method[0].plan.fault_type'],
    ['a bad stop condition', { ...base, stop_conditions: ['error_rate > 0.5 for ever'] }, 'stop_conditions[0].condition'],
    ['a reference to a step output that does not exist yet', { ...base, method: [{ kind: 'http', url: 'http://x/{{steps.nope.body.id}}' }] }, 'method[0].url'],
    ['a reference to a later step output', { ...base, method: [{ kind: 'http', url: 'http://x/{{steps.later.id}}' }, { kind: 'http', url: 'http://x/', output: 'later' }] }, 'method[0].url'],
    ['an unknown template name', { ...base, method: [{ kind: 'http', url: 'http://x/{{nonsense}}' }] }, 'method[0].url'],
    ['recent.* of a template without ack', { ...base, load: { ...base.load, url: 'http://x/{{recent.load.id}}' } }, 'load.url'],
    ['a fault step without an executor', { name: 'x', method: [{ kind: 'kill', process: 'api' }] }, 'executor'],
    ['an executor with both url and embedded', { ...base, executor: { url: 'http://x', embedded: true } }, 'executor.url'],
    ['a recovery limit without any fault', { ...base, verify: { recovery_within_s: 5 } }, 'verify.recovery_within_s'],
    ['duplicate step names', { ...base, method: [{ kind: 'wait', name: 'a', seconds: 1 }, { kind: 'wait', name: 'a', seconds: 1 }] }, 'method[1].name'],
  ])('names the path of %s', (_what, input, path) => {
    expect(pathsOf(input)).toContain(path);
  });

  it('reports every mistake at once', () => {
    const paths = pathsOf({ name: 'bad name', load: { rate_per_s: 0, duration_s: 1, url: 'http://x/' }, method: [{ kind: 'wait' }], extra: true });
    expect(paths).toEqual(expect.arrayContaining(['name', 'load.rate_per_s', 'method[0].seconds', 'extra']));
  });

  it('throws DrillInvalidError with the line of a YAML syntax error', () => {
    expect(() => parseDrill('name: [unclosed', 'x.yaml')).toThrow(DrillInvalidError);
  });
});

describe('faultline validate', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd(), encoding: 'utf8', timeout: 30_000 });

  it('exits 4 and prints every mistake with its path', () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'name: bad name\nmethod:\n  - kind: wait\n  - kind: fault\n    plan: { service: api, fault_type: delay, fault_config: { delay_ms: -1 } }\n');
    const r = cli(['validate', file]);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('name: must be');
    expect(r.stderr).toContain('method[0].seconds: is required');
    expect(r.stderr).toContain('method[1].plan.fault_config.delay_ms');
  });

  it('exits 0 for a valid drill, and 4 for a missing file', () => {
    const file = join(tmp.dir, 'good.yaml');
    writeFileSync(file, 'name: good\npreflight:\n  - { kind: disk, min_free_mb: 1 }\n');
    expect(cli(['validate', file]).status).toBe(0);
    expect(cli(['validate', join(tmp.dir, 'missing.yaml')]).status).toBe(4);
  });

  it('checks an embedded executor config with the executor schema, templates rendered as a run would', async () => {
    const file = join(tmp.dir, 'cfg.yaml');
    writeFileSync(
      file,
      'name: cfg\nexecutor:\n  embedded: true\n  config:\n    proxies:\n      - { name: api, protocol: htp, listen: "127.0.0.1:{{env.NOPE || 0}}", upstream: "http://127.0.0.1:1" }\n',
    );
    await expect(loadDrill(file)).rejects.toMatchObject({ code: 'FL_ERR_DRILL_INVALID', issues: [{ path: 'executor.config.proxies[0].protocol' }] });
  });

  it('finds the example drills valid', async () => {
    for (const f of ['http-delay.yaml', 'process-kill.yaml', 'smoke-preflight.yaml']) {
      await expect(loadDrill(join('examples/drills', f)), f).resolves.toMatchObject({ name: f.replace('.yaml', '') });
    }
  });
});
