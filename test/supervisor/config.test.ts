import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/plan/index.js';
import { configHash, createSupervisor, parseProcessesConfig, processesConfigSchema } from '../../src/supervisor/index.js';

function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  try {
    parseProcessesConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('FL_ERR_SUPERVISOR_CONFIG_INVALID');
    return [...(err as ValidationError).issues];
  }
  throw new Error('expected a ValidationError');
}

describe('processes config', () => {
  it('fills defaults: restart always, immediate first restart, fast recovery checks', () => {
    const [p] = parseProcessesConfig([{ name: 'api', command: 'node', health: { http: { url: 'http://127.0.0.1:3000/health' } } }]);
    expect(p).toMatchObject({
      name: 'api',
      args: [],
      env: {},
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 5000,
      restart: { policy: 'always', maxRestarts: 10, windowS: 60, stableAfterS: 1, backoff: { initialMs: 100, maxMs: 5000, multiplier: 2 } },
      health: { http: { url: 'http://127.0.0.1:3000/health', expectStatus: 200 }, intervalMs: 250, recoveryIntervalMs: 10, healthyAfter: 1, unhealthyAfter: 3 },
    });
  });

  it('keeps env variable names as written', () => {
    const [p] = parseProcessesConfig([{ name: 'a', command: 'x', env: { database_url: 'pg://', NODE_ENV: 'test' } }]);
    expect(p!.env).toEqual({ database_url: 'pg://', NODE_ENV: 'test' });
  });

  it('names the path of each bad field', () => {
    const issues = issuesOf([
      { name: 'ok', command: 'node', restart: { policy: 'sometimes', backoff: { multiplier: 0.5 } }, stop_signal: 'SIGFOO', extra: 1 },
      { name: 'ok', health: { http: { url: 'ftp://x' }, interval_ms: -1 } },
    ]);
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'processes[0].restart.policy',
        'processes[0].restart.backoff.multiplier',
        'processes[0].stop_signal',
        'processes[0].extra',
        'processes[1].command',
        'processes[1].health.http.url',
        'processes[1].health.interval_ms',
      ]),
    );
    expect(issues.find((i) => i.path === 'processes[1].command')?.message).toBe('is required');
    expect(issues.find((i) => i.path === 'processes[0].extra')?.message).toBe('unknown field');
  });

  it('rejects duplicate names and a health check with none or two kinds', () => {
    expect(issuesOf([{ name: 'a', command: 'x' }, { name: 'a', command: 'y' }])).toContainEqual({
      path: 'processes[1].name',
      message: "duplicate process name 'a'",
    });
    expect(issuesOf([{ name: 'a', command: 'x', health: { interval_ms: 100 } }])).toContainEqual({
      path: 'processes[0].health',
      message: 'needs one of http, tcp or command',
    });
    expect(issuesOf([{ name: 'a', command: 'x', health: { tcp: { port: 1 }, command: 'true' } }])[0]?.path).toBe('processes[0].health');
    expect(issuesOf([{ name: '../etc', command: 'x' }])[0]?.path).toBe('processes[0].name');
    expect(issuesOf({ name: 'a' })[0]).toEqual({ path: 'processes', message: 'must be an array' });
  });

  it('createSupervisor validates before anything runs', () => {
    expect(() => createSupervisor([{ name: 'a' }] as never)).toThrow(expect.objectContaining({ code: 'FL_ERR_SUPERVISOR_CONFIG_INVALID' }));
    expect(() => createSupervisor([], { runId: '../x' })).toThrow(expect.objectContaining({ code: 'FL_ERR_SUPERVISOR_CONFIG_INVALID' }));
  });

  it('accepts its own parsed output (the executor may parse the YAML first)', () => {
    const parsed = processesConfigSchema.parse([{ name: 'a', command: 'x', health: { tcp: { port: 80 } } }]);
    expect(parseProcessesConfig(parsed)).toEqual(parseProcessesConfig([{ name: 'a', command: 'x', health: { tcp: { port: 80 } } }]));
  });

  it('hashes the normalized config: key order and spelled-out defaults do not matter', () => {
    const a = parseProcessesConfig([{ name: 'a', command: 'x', args: ['1'] }]);
    const b = parseProcessesConfig([{ args: ['1'], command: 'x', name: 'a', restart: { policy: 'always' } }]);
    const c = parseProcessesConfig([{ name: 'a', command: 'x', args: ['2'] }]);
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash(c));
    expect(configHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
