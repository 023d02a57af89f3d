import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDrill, runDrill } from '../../src/drill/index.js';
import { tempDir } from './helpers.js';
import { reportKeySet } from './report-keys.js';
import { reservePort } from '../helpers/ports.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

// A port the drill's children must know before they start: below the ephemeral range (test/helpers/ports.ts).
const freePort = reservePort;

describe('example drill http-delay', () => {
  it('slows half the GETs behind the HTTP proxy, sees it in p95, and finds the service fast again after', async () => {
    const env = { ...process.env, FL_SERVICE_PORT: String(await freePort()), FL_PROXY_PORT: String(await freePort()) };
    const { exitCode, journal, jsonPath } = await runDrill(await loadDrill('examples/drills/http-delay.yaml'), { env, reportDir: tmp.dir });
    // The report keeps its structure across refactors: the same key paths as the recorded ones.
    const expectedKeys = JSON.parse(readFileSync('test/drill/fixtures/report-keys-http-delay.json', 'utf8')) as string[];
    expect(reportKeySet(JSON.parse(readFileSync(jsonPath!, 'utf8')))).toEqual(expectedKeys);
    expect(journal.verdict.reasons).toEqual([]);
    expect(exitCode).toBe(0);
    expect(journal.faults[0]).toMatchObject({ faultType: 'delay', target: 'api', status: 'completed' });
    expect(journal.verify.find((r) => r.name === 'delay-was-seen')?.ok).toBe(true);
    expect(journal.load?.sent).toBeGreaterThanOrEqual(630);
    expect(journal.load?.timeline.length).toBeGreaterThanOrEqual(16);
  }, 40_000);
});
