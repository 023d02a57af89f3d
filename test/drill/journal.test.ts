import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyJournal, journalFromWire, journalToWire, newRunId, reportJsonSchema, reportSchema, writeReport } from '../../src/drill/index.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

function sample() {
  const j = emptyJournal({ runId: newRunId(), name: 'sample', description: 'd', file: 'x.yaml' });
  j.results = { lost_payments: 0, payment_check: { lostPayments: 0, order_ids: ['a'] } };
  j.load = {
    target: 'http://127.0.0.1:1',
    ratePerS: 10,
    durationS: 1,
    startedAt: j.startedAt,
    sent: 10,
    completed: 10,
    errors: 1,
    errorRate: 0.1,
    statusCounts: { '200': 9 },
    errorKinds: { ECONNREFUSED: 1 },
    latencyMs: { p50: 1, p95: 2, p99: 3, max: 4, mean: 1.5 },
    timeline: [{ t: 0, sent: 10, ok: 9, errors: 1, statusCounts: { '200': 9 }, p50: 1, p95: 2, p99: 3, max: 4 }],
    streams: [],
  };
  j.steps.push({ phase: 'inject', name: 'create', kind: 'http', status: 'ok', startedAt: j.startedAt, endedAt: j.startedAt, durationMs: 1, output: { body: { orderId: 'x' } }, error: null });
  return j;
}

describe('report journal', () => {
  it('writes report.json atomically under <dir>/<run_id>/, snake_case, with user payloads verbatim', async () => {
    const j = sample();
    const { jsonPath } = await writeReport(j, tmp.dir);
    expect(jsonPath).toBe(join(tmp.dir, j.runId, 'report.json'));
    expect(readdirSync(join(tmp.dir, j.runId)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const wire = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
    expect(() => reportSchema.parse(wire)).not.toThrow();
    expect(wire).toMatchObject({ run_id: j.runId, verdict: { exit_code: 0, hypothesis_held: null }, load: { error_kinds: { ECONNREFUSED: 1 }, status_counts: { '200': 9 } } });
    expect(wire.results).toEqual({ lost_payments: 0, payment_check: { lostPayments: 0, order_ids: ['a'] } });
    expect((wire.steps as { output: unknown }[])[0]?.output).toEqual({ body: { orderId: 'x' } });
    expect(journalFromWire(wire)).toEqual(journalFromWire(journalToWire(j)));
    expect(journalFromWire(wire).results).toEqual(j.results);
  });

  it('writes report.html next to report.json', async () => {
    const { jsonPath, htmlPath } = await writeReport(sample(), tmp.dir);
    expect(htmlPath).toBe(join(dirname(jsonPath), 'report.html'));
    expect(readFileSync(htmlPath as string, 'utf8')).toContain('<html');
  });

  it('publishes a JSON Schema of report.json', () => {
    const schema = reportJsonSchema();
    expect(schema.$id).toContain('drill-report');
    expect((schema.required as string[]).sort()).toEqual(expect.arrayContaining(['run_id', 'status', 'verdict', 'load', 'faults', 'results']));
  });
});
