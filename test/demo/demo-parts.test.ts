import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_PORT_ENV, demoDrillPath, freePorts } from '../../src/cli/demo.js';
import { loadDrill } from '../../src/drill/index.js';
import { acknowledgedPayments } from '../../examples/payment-service/scripts/verify.js';

describe('faultline demo parts', () => {
  it('finds both demo drill files from the package root and they are valid drills', async () => {
    for (const short of [false, true]) {
      const file = demoDrillPath(short);
      expect(existsSync(file), file).toBe(true);
      await expect(loadDrill(file)).resolves.toMatchObject({ name: short ? 'payment-db-outage-short' : 'payment-db-outage' });
    }
  });

  it('picks distinct free ports, one per port variable', async () => {
    const ports = await freePorts(DEMO_PORT_ENV.length);
    expect(new Set(ports).size).toBe(DEMO_PORT_ENV.length);
    for (const p of ports) expect(p).toBeGreaterThan(0);
  });

  it('folds acks.jsonl into one acknowledged payment per order id, confirmed only on a 200 confirm', () => {
    const lines = [
      { template: 'create', status: 201, vars: { order_id: 'o-1', amount: 12.5 } },
      { template: 'retry', status: 200, vars: { order_id: 'o-1', amount: 12.5 } },
      { template: 'create', status: 201, vars: { order_id: 'o-2', amount: 3 } },
      { template: 'confirm', status: 200, vars: { order_id: 'o-2' } },
      { template: 'create', status: 202, vars: { order_id: 'o-3', amount: 1 } },
      { template: 'confirm', status: 202, vars: { order_id: 'o-1' } },
    ];
    const acks = acknowledgedPayments(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    expect(acks).toEqual([
      { orderId: 'o-1', amount: 12.5 },
      { orderId: 'o-2', amount: 3, confirmed: true },
    ]);
  });
});
