import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDrill, loadDrill, runDrill } from '../../src/drill/index.js';
import { tempDir } from './helpers.js';
import { reportKeySet } from './report-keys.js';
import { reservePort } from '../helpers/ports.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

// A port the drill's children must know before they start: below the ephemeral range (test/helpers/ports.ts).
const freePort = reservePort;

describe('example drills run as they are', () => {
  it('smoke-preflight: every check passes against the supervised echo service', async () => {
    const env = { ...process.env, FL_SERVICE_PORT: String(await freePort()) };
    const { ok, results } = await checkDrill(await loadDrill('examples/drills/smoke-preflight.yaml'), { env });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('process-kill: the service is killed, restarted by the supervisor, and healthy again in time', async () => {
    const env = { ...process.env, FL_SERVICE_PORT: String(await freePort()), FL_PROXY_PORT: String(await freePort()) };
    const { exitCode, journal, jsonPath } = await runDrill(await loadDrill('examples/drills/process-kill.yaml'), { env, reportDir: tmp.dir });
    // The report keeps its structure across refactors: the same key paths as the recorded ones.
    const expectedKeys = JSON.parse(readFileSync('test/drill/fixtures/report-keys-process-kill.json', 'utf8')) as string[];
    expect(reportKeySet(JSON.parse(readFileSync(jsonPath!, 'utf8')))).toEqual(expectedKeys);
    expect(journal.verdict.reasons).toEqual([]);
    expect(exitCode).toBe(0);
    expect(journal.recovery.ok).toBe(true);
    expect(journal.processes.summary[0]).toMatchObject({ name: 'echo', restartCount: 1 });
    expect(journal.processes.events.some((e) => e.type === 'exited')).toBe(true);
    expect(journal.results.restart).toMatchObject({ ok: true });
  }, 40_000);
});
