import { emptyJournal, type Journal, type TimelineBucket } from '../../src/drill/index.js';

/** A realistic journal of a 30 s drill: a fault from 10 s to 20 s, errors and latency rising inside it. */
export function sampleJournal(overrides: Partial<Journal> = {}): Journal {
  const start = Date.parse('2026-11-22T06:00:00.000Z');
  const iso = (s: number) => new Date(start + s * 1000).toISOString();
  const timeline: TimelineBucket[] = Array.from({ length: 30 }, (_, t) => {
    const inFault = t >= 10 && t < 20;
    const errors = inFault ? 12 : 0;
    return {
      t,
      sent: 50,
      ok: 50 - errors,
      errors,
      statusCounts: inFault ? { '201': 38, '503': 12 } : { '201': 50 },
      p50: inFault ? 40 : 4,
      p95: inFault ? 250 : 9,
      p99: inFault ? 600 : 15,
      max: inFault ? 900 : 20,
    };
  });
  const j = emptyJournal({ runId: '20261122T060000Z-abc123', name: 'payment <db> outage', description: 'cuts the database & kills the service', startedAt: new Date(start - 2000) });
  return {
    ...j,
    endedAt: iso(35),
    durationMs: 37_000,
    verdict: { exitCode: 0, hypothesisHeld: true, recovered: true, reasons: [] },
    phases: [
      { name: 'preflight', startedAt: iso(-2), endedAt: iso(0), status: 'ok' },
      { name: 'baseline', startedAt: iso(0), endedAt: iso(10), status: 'ok' },
      { name: 'inject', startedAt: iso(10), endedAt: iso(20), status: 'ok' },
      { name: 'recover', startedAt: iso(20), endedAt: iso(30), status: 'ok' },
    ],
    preflight: [
      { name: 'service port', kind: 'port', ok: true, message: 'connected', guidance: 'start the service', durationMs: 2 },
    ],
    faults: [
      {
        applyId: 'a1',
        step: 'cut-db',
        faultType: 'down',
        target: 'pg',
        plan: { service: 'pg', fault_type: 'down' },
        start: iso(10),
        end: iso(20),
        status: 'completed',
        observation: { requests: 10, faulted: 10 },
      },
    ],
    alerts: [{ rule: 'error_rate > 0.1 for 2s', kind: 'alert', firedAt: iso(12), resolvedAt: iso(21), value: 0.24, message: 'fired' }],
    load: {
      target: 'http://127.0.0.1:1/payment',
      ratePerS: 50,
      durationS: 30,
      startedAt: iso(0),
      sent: 1500,
      completed: 1500,
      errors: 120,
      errorRate: 0.08,
      statusCounts: { '201': 1380, '503': 120 },
      errorKinds: {},
      latencyMs: { p50: 5, p95: 200, p99: 500, max: 900, mean: 20 },
      timeline,
      streams: [],
    },
    recovery: { recoveryMs: 1800, withinS: 5, ok: true, lastFaultEnd: iso(20), steadyAt: iso(21.8) },
    results: { lost_payments: 0, duplicate_payments: 0 },
    ...overrides,
  };
}
