// A writer or reader of one shared SQLite file, as a small HTTP service to put under supervision.
//
//   ROLE=writer: POST /items {"id": "..."} inserts one row in its own transaction and answers
//                201 only after the commit (an acknowledged write). SQLITE_BUSY is retried with
//                backoff inside the request; if it still surfaces, 503 {"code":"SQLITE_BUSY"}.
//   ROLE=reader: GET /items/count reads the table (WAL: readers never block writers).
//   Both:        GET /health, GET /stats ({ writes, busy_retries, busy_surfaced, errors, lock_waits,
//                max_lock_wait_ms }: lock_waits counts writes that waited > 1 ms for the write lock).
//
// Env: DB_PATH (required; its folder is created), PORT, ROLE, WORKER_ID, BUSY_TIMEOUT_MS (default 5000),
//      TX_WORK_MS (default 0: work done inside the write transaction while it holds the write lock,
//      as a real handler that reads and writes several rows; it makes the writers contend),
//      RETRY (on | off: off turns the in-request BUSY retry off; with BUSY_TIMEOUT_MS=0 this is the
//      broken variant that lets "database is locked" reach callers, so the drill can be seen to fail).
// Plain JS so that a restart after SIGKILL costs only Node's own start-up.
//
// Durability: WAL with synchronous=NORMAL. A commit is in the WAL file (the OS page cache) before
// the 201 is sent, so a SIGKILL of the process loses nothing acknowledged; only a power loss could
// (synchronous=FULL, SYNCHRONOUS=FULL in env, closes that too at one fsync per commit).
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

const role = process.env.ROLE ?? 'writer';
const id = process.env.WORKER_ID ?? `${role}-${process.pid}`;
const port = Number(process.env.PORT ?? 0);
const dbPath = process.env.DB_PATH;
if (!dbPath) {
  process.stderr.write('DB_PATH is required\n');
  process.exit(2);
}

const retry = process.env.RETRY !== 'off';
const isBusy = (err) => typeof err?.code === 'string' && (err.code.startsWith('SQLITE_BUSY') || err.code.startsWith('SQLITE_LOCKED'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

mkdirSync(dirname(dbPath), { recursive: true });
const db = new Database(dbPath, { timeout: Number(process.env.BUSY_TIMEOUT_MS ?? 5000) });
// Several processes open a fresh file at once: switching to WAL and creating the table take
// locks, so retry them on BUSY (busy_timeout covers most, not a first open racing a journal change).
for (let attempt = 1; ; attempt++) {
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${process.env.SYNCHRONOUS === 'FULL' ? 'FULL' : 'NORMAL'}`);
    db.exec(`CREATE TABLE IF NOT EXISTS items (
      id TEXT PRIMARY KEY,
      writer TEXT NOT NULL,
      pid INTEGER NOT NULL,
      created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    )`);
    break;
  } catch (err) {
    if (!isBusy(err) || attempt >= 20) throw err;
    sleepSync(20 * attempt);
  }
}
if (db.pragma('journal_mode', { simple: true }) !== 'wal') {
  process.stderr.write(`${dbPath}: journal_mode is not wal\n`);
  process.exit(1);
}

const insert = db.prepare('INSERT INTO items (id, writer, pid) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING');
const count = db.prepare('SELECT count(*) AS n FROM items');
const ping = db.prepare('SELECT 1');
const txWorkMs = Number(process.env.TX_WORK_MS ?? 0);
const insertTx = db.transaction((key) => {
  const r = insert.run(key, id, process.pid);
  if (txWorkMs > 0) sleepSync(txWorkMs);
  return r;
});
const stats = { role, id, pid: process.pid, started_at: new Date().toISOString(), writes: 0, duplicates: 0, busy_retries: 0, busy_surfaced: 0, errors: 0, lock_waits: 0, max_lock_wait_ms: 0 };

async function write(itemId) {
  // busy_timeout already waits inside SQLite; this outer retry covers the rare BUSY that
  // busy_timeout cannot (a lock upgrade deadlock), with backoff.
  for (let attempt = 1; ; attempt++) {
    try {
      // BEGIN IMMEDIATE takes the write lock up front, so busy_timeout applies to it (a deferred
      // transaction upgrading a read lock can get BUSY at once, without waiting).
      const t0 = performance.now();
      const result = insertTx.immediate(itemId);
      // Time beyond the transaction's own work: waiting in busy_timeout for another writer's lock.
      const waitedMs = performance.now() - t0 - txWorkMs;
      if (waitedMs > 1) stats.lock_waits++;
      if (waitedMs > stats.max_lock_wait_ms) stats.max_lock_wait_ms = Math.round(waitedMs * 10) / 10;
      return result.changes === 1 ? 'created' : 'exists';
    } catch (err) {
      if (isBusy(err) && retry && attempt < 8) {
        stats.busy_retries++;
        await sleep(Math.min(200, 5 * 2 ** attempt));
        continue;
      }
      throw err;
    }
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url === '/health') {
    try {
      ping.get();
      return send(res, 200, { status: 'healthy', role, id, pid: process.pid });
    } catch (err) {
      return send(res, 503, { status: 'unhealthy', role, id, error: err.message });
    }
  }
  if (req.method === 'GET' && url === '/stats') return send(res, 200, stats);
  if (role === 'reader' && req.method === 'GET' && url === '/items/count') {
    try {
      return send(res, 200, { count: count.get().n });
    } catch (err) {
      stats.errors++;
      return send(res, 500, { error: err.message, code: err.code ?? 'ERROR' });
    }
  }
  if (role === 'writer' && req.method === 'POST' && url === '/items') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      let itemId;
      try {
        itemId = JSON.parse(body).id;
      } catch {
        return send(res, 400, { error: 'body must be JSON {"id": "..."}' });
      }
      if (typeof itemId !== 'string' || itemId.length === 0 || itemId.length > 200) return send(res, 400, { error: 'id must be a non-empty string' });
      try {
        const outcome = await write(itemId);
        if (outcome === 'created') stats.writes++;
        else stats.duplicates++;
        return send(res, outcome === 'created' ? 201 : 200, { id: itemId, writer: id, outcome });
      } catch (err) {
        const busy = isBusy(err);
        if (busy) stats.busy_surfaced++;
        else stats.errors++;
        if (busy) return send(res, 503, { error: 'database is locked', code: 'SQLITE_BUSY', sqlite_code: err.code });
        return send(res, 500, { error: err.message, code: err.code ?? 'ERROR' });
      }
    });
    return;
  }
  send(res, 404, { error: 'not found' });
});

server.on('error', (err) => {
  process.stderr.write(`${role} ${id}: cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${role} ${id} listening on http://127.0.0.1:${server.address().port} (pid ${process.pid})\n`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    db.close();
    process.exit(0);
  });
}
