// Sums the /stats counters of the given workers.
// usage: node stats.mjs <base-url> [<base-url> ...]     e.g. http://127.0.0.1:18091
// Prints JSON: { busy_surfaced, busy_retries, writes, duplicates, worker_errors, lock_waits,
//   max_lock_wait_ms, unreachable_workers, workers: [...] }.
// Exit 0 when every worker answered, 1 otherwise.
//
// A worker's counters live in its process, so a worker killed with SIGKILL starts again from 0:
// the callers' view (the load's 503 count) is the complete one, this is the workers' own.
const urls = process.argv.slice(2);
if (urls.length === 0) {
  process.stderr.write('usage: node stats.mjs <base-url> [<base-url> ...]\n');
  process.exit(2);
}

const totals = { busy_surfaced: 0, busy_retries: 0, writes: 0, duplicates: 0, worker_errors: 0, lock_waits: 0, max_lock_wait_ms: 0 };
const workers = [];
let unreachable = 0;
for (const base of urls) {
  try {
    const res = await fetch(`${base.replace(/\/$/, '')}/stats`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const s = await res.json();
    if (typeof s.role !== 'string' || typeof s.busy_surfaced !== 'number') throw new Error('not a sqlite-concurrency worker');
    totals.busy_surfaced += s.busy_surfaced ?? 0;
    totals.busy_retries += s.busy_retries ?? 0;
    totals.writes += s.writes ?? 0;
    totals.duplicates += s.duplicates ?? 0;
    totals.worker_errors += s.errors ?? 0;
    totals.lock_waits += s.lock_waits ?? 0;
    totals.max_lock_wait_ms = Math.max(totals.max_lock_wait_ms, s.max_lock_wait_ms ?? 0);
    workers.push({ id: s.id, role: s.role, pid: s.pid, started_at: s.started_at, writes: s.writes, busy_retries: s.busy_retries, busy_surfaced: s.busy_surfaced, lock_waits: s.lock_waits, errors: s.errors });
  } catch (err) {
    unreachable++;
    workers.push({ url: base, error: err.message });
  }
}
process.stdout.write(`${JSON.stringify({ ...totals, unreachable_workers: unreachable, workers })}\n`);
process.exit(unreachable === 0 ? 0 : 1);
