/**
 * The payment drill's verification: reads the acknowledged requests the load wrote
 * (`acks.jsonl`), asks PostgreSQL directly what it holds (`verifyPayments`), and prints one JSON
 * object the drill spreads into its report's results:
 * `{"lost_payments", "duplicate_payments", "mismatched_payments", "unconfirmed_payments", ...}`.
 *
 *   node --import tsx examples/payment-service/scripts/verify.ts <acks.jsonl> <database_url>
 *
 * Exit 0 whenever it could check (the drill's expectations judge the numbers), 1 when it could
 * not read the acks or reach the database.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { verifyPayments, type AcknowledgedPayment } from '../src/verify.js';

interface AckLine {
  template?: string;
  status?: number;
  vars?: Record<string, unknown>;
}

/** How many order ids to name in the output (all of them are counted). */
const NAMED = 10;

/** Folds acks.jsonl into one acknowledged payment per order id: created (201/200) and confirmed (200). */
export function acknowledgedPayments(text: string): AcknowledgedPayment[] {
  const created = new Map<string, number>();
  const confirmed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const ack = JSON.parse(line) as AckLine;
    const orderId = ack.vars?.['order_id'];
    if (typeof orderId !== 'string') continue;
    if (ack.template === 'confirm') {
      if (ack.status === 200) confirmed.add(orderId);
      continue;
    }
    const amount = Number(ack.vars?.['amount']);
    if ((ack.status === 201 || ack.status === 200) && Number.isFinite(amount)) created.set(orderId, amount);
  }
  return [...created].map(([orderId, amount]) => (confirmed.has(orderId) ? { orderId, amount, confirmed: true } : { orderId, amount }));
}

async function main(argv: string[]): Promise<number> {
  const [acksFile, databaseUrl] = argv;
  if (acksFile === undefined || databaseUrl === undefined) {
    process.stderr.write('usage: verify.ts <acks.jsonl> <database_url>\n');
    return 64;
  }
  const text = await readFile(acksFile, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
  const acks = acknowledgedPayments(text);
  const v = await verifyPayments(databaseUrl, acks);
  const out = {
    lost_payments: v.lost.length,
    duplicate_payments: v.duplicates.length,
    mismatched_payments: v.mismatched.length,
    unconfirmed_payments: v.unconfirmed.length,
    acknowledged_payments: v.acknowledged,
    confirmed_payments: acks.filter((a) => a.confirmed === true).length,
    stored_rows: v.storedRows,
    payments_ok: v.ok,
    lost_order_ids: v.lost.slice(0, NAMED),
    duplicate_order_ids: v.duplicates.slice(0, NAMED).map((d) => `${d.orderId} (${d.rows} rows)`),
    mismatched_order_ids: v.mismatched.slice(0, NAMED).map((m) => `${m.orderId}: acknowledged ${m.expected}, stored ${m.stored}`),
    unconfirmed_order_ids: v.unconfirmed.slice(0, NAMED),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`verify failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
