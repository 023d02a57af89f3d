// Checks one SQLite file against the writes that were acknowledged to clients.
// usage: node verify.mjs <db> <acks.jsonl> [id-field]
// Prints JSON: { acknowledged, rows, lost, lost_ids, duplicate_rows, rows_by_writer, integrity, wal }.
// Exit 0 when something was acknowledged, nothing acknowledged is missing, integrity_check is ok
// and the file is in WAL mode; 1 otherwise; 2 on bad usage or a file that cannot be opened.
//
// An acknowledgement is a line of faultline's acks.jsonl ({"template","seq","status","at","vars"}):
// a write the service answered 2xx. The id is read from the line itself or from its vars.
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';

const [dbPath, acksPath, field = 'id'] = process.argv.slice(2);
if (!dbPath || !acksPath) {
  process.stderr.write('usage: node verify.mjs <db> <acks.jsonl> [id-field]\n');
  process.exit(2);
}
if (!existsSync(dbPath)) {
  process.stderr.write(`${dbPath}: no such database file\n`);
  process.exit(2);
}

const acked = new Set();
let ackLines = 0;
if (existsSync(acksPath)) {
  for (const line of readFileSync(acksPath, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      continue; // a line cut short by a crash of the writer of acks.jsonl
    }
    ackLines++;
    const v = rec[field] ?? rec.vars?.[field];
    if (v !== undefined) acked.add(String(v));
  }
}

// Not readonly: a read-only connection cannot open a WAL file whose -shm is missing. It only
// reads; the writers may still be running.
const db = new Database(dbPath, { fileMustExist: true, timeout: 5000 });
const ids = new Set(db.prepare('SELECT id FROM items').pluck().all());
const rows = db.prepare('SELECT count(*) FROM items').pluck().get();
const byWriter = Object.fromEntries(db.prepare('SELECT writer, count(*) AS n FROM items GROUP BY writer ORDER BY writer').all().map((r) => [r.writer, r.n]));
const integrity = db.pragma('integrity_check', { simple: true });
const wal = db.pragma('journal_mode', { simple: true });
db.close();

const lost = [...acked].filter((id) => !ids.has(id));
const result = {
  acknowledged: acked.size,
  ack_lines: ackLines,
  rows,
  lost: lost.length,
  lost_ids: lost.slice(0, 20),
  duplicate_rows: rows - ids.size,
  rows_by_writer: byWriter,
  integrity,
  wal,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(acked.size > 0 && lost.length === 0 && integrity === 'ok' && wal === 'wal' ? 0 : 1);
