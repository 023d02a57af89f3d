/**
 * `npm run bench -- soak [--minutes 10] [--rate 300] [--max-rows 2000]`: does the daemon stay
 * bounded under traffic and fault churn? (`FAULTLINE_SOAK_MINUTES` works too, for short runs.)
 *
 *   this process ──rate/2 req/s──▶ HTTP proxy ──┐
 *        ├───────rate/2 req/s──▶ TCP proxy ──┴──▶ upstream (this process)
 *        └──every 200 ms: apply a fault, cancel the previous one──▶ faultline serve (child)
 *
 * Prints the daemon's RSS averaged over the first and the last third of the run after a warm-up
 * (one minute, or a tenth of a short run), its open file descriptors after the warm-up and at the
 * end, and the state file's size and rows against the retention bound (`retention.max_rows`).
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { startDaemon } from '../test/helpers/daemon.js';

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Runs the soak and prints the figures. */
export async function main(args: string[]): Promise<void> {
  const minutes = arg(args, 'minutes', Number(process.env.FAULTLINE_SOAK_MINUTES ?? 10));
  const rate = arg(args, 'rate', 300);
  const maxRows = arg(args, 'max-rows', 2000);
  const totalMs = minutes * 60_000;
  const warmupMs = Math.min(60_000, totalMs / 10);

  const upstream: Server = createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamPort = (upstream.address() as { port: number }).port;

  const daemon = await startDaemon({
    config: {
      proxies: [
        { name: 'web', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, protocol: 'http' },
        { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, protocol: 'tcp' },
      ],
      retention: { days: 7, max_rows: maxRows },
    },
    env: { FAULTLINE_LOG_LEVEL: 'error' },
  });
  const pid = daemon.child.pid!;
  const listen = async (name: string): Promise<string> => ((await (await fetch(`${daemon.url}/v1/proxies/${name}`)).json()) as { listen: string }).listen;
  const web = new Pool(`http://${await listen('web')}`, { connections: 16 });
  const db = new Pool(`http://${await listen('db')}`, { connections: 16 });
  const api = new Pool(daemon.url, { connections: 2 });

  let sent = 0;
  let ok = 0;
  let failed = 0;
  let faults = 0;
  let churnErrors = 0;
  const fire = (pool: Pool): void => {
    sent++;
    pool
      .request({ method: 'GET', path: '/soak', headersTimeout: 5000, bodyTimeout: 5000 })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode === 200) ok++;
        else failed++;
      })
      .catch(() => failed++);
  };

  const t0 = Date.now();
  // Load: `rate` requests per second, half through each proxy, in 10 ms slices.
  let owed = 0;
  const load = setInterval(() => {
    owed += rate / 100;
    while (owed >= 1) {
      owed--;
      fire(sent % 2 === 0 ? web : db);
    }
  }, 10);

  // Churn: every 200 ms a new fault (HTTP abort on 10 % of requests, or a 5 ms TCP latency), the previous one cancelled.
  let previous: string | undefined;
  let churning = false;
  const churn = setInterval(() => {
    if (churning) return;
    churning = true;
    const plan =
      faults % 2 === 0
        ? { service: 'web', fault_type: 'abort', percentage: 10, fault_config: { http_status: 503 }, duration_seconds: 30 }
        : { service: 'db', fault_type: 'latency', fault_config: { latency: 5 }, duration_seconds: 30 };
    (async () => {
      const res = await api.request({ method: 'POST', path: '/v1/faults/apply', body: JSON.stringify(plan), headers: { 'content-type': 'application/json' } });
      const body = (await res.body.json()) as { apply_id?: string };
      if (res.statusCode !== 201 || body.apply_id === undefined) throw new Error(`apply answered ${res.statusCode}`);
      faults++;
      if (previous !== undefined) {
        const del = await api.request({ method: 'DELETE', path: `/v1/faults/${previous}` });
        await del.body.dump();
      }
      previous = body.apply_id;
    })()
      .catch(() => churnErrors++)
      .finally(() => (churning = false));
  }, 200);

  const samples: Array<{ t: number; rss: number; fds: number }> = [];
  const sample = (): void => {
    samples.push({ t: Date.now() - t0, rss: rssMb(pid), fds: openFds(pid) });
  };
  sample();
  const sampler = setInterval(sample, Math.max(500, Math.min(5000, totalMs / 120)));
  const progress = setInterval(() => {
    const s = samples[samples.length - 1]!;
    process.stdout.write(`  ${Math.round((Date.now() - t0) / 1000)} s: ${sent} requests, ${faults} faults, RSS ${s.rss.toFixed(1)} MB, ${s.fds} fds\n`);
  }, 60_000);

  await new Promise((r) => setTimeout(r, totalMs));
  clearInterval(load);
  clearInterval(churn);
  clearInterval(progress);
  while (churning) await new Promise((r) => setTimeout(r, 20));
  if (previous !== undefined) await (await api.request({ method: 'DELETE', path: `/v1/faults/${previous}` })).body.dump();
  await new Promise((r) => setTimeout(r, 1000));
  sample();
  clearInterval(sampler);
  const health = (await (await fetch(`${daemon.url}/v1/health`)).json()) as { active_faults: number; store_errors: number };

  await Promise.all([web.close(), db.close(), api.close()]);
  await daemon.stop({ keepDir: true });
  const state = daemon.statePath;
  const bytes = fileSize(state) + fileSize(`${state}-wal`);
  const sql = new Database(state, { readonly: true });
  const apps = (sql.prepare("SELECT COUNT(*) AS n FROM applications WHERE status IN ('completed', 'cancelled', 'failed')").get() as { n: number }).n;
  const events = (sql.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  sql.close();
  rmSync(daemon.dir, { recursive: true, force: true });
  upstream.close();

  const measured = samples.filter((s) => s.t >= warmupMs);
  const span = totalMs - warmupMs;
  const first = measured.filter((s) => s.t < warmupMs + span / 3).map((s) => s.rss);
  const last = measured.filter((s) => s.t >= warmupMs + (2 * span) / 3).map((s) => s.rss);
  const rssFirst = mean(first);
  const rssLast = mean(last);
  const growth = (rssLast / rssFirst - 1) * 100;
  const fdStart = measured[0]?.fds ?? NaN;
  const fdEnd = samples[samples.length - 1]!.fds;
  const rssOk = growth <= 5;
  const fdOk = fdEnd <= fdStart;
  const rowsOk = apps <= maxRows && events <= maxRows + 600;

  const f = (n: number, d = 1): string => n.toFixed(d);
  process.stdout.write(`\nsoak: ${minutes} min, ${rate} req/s through an HTTP and a TCP proxy, a fault applied and cancelled every 200 ms\n\n`);
  process.stdout.write(`requests                 ${sent} sent, ${ok} ok, ${failed} not 200 (the 10 % abort faults answer 503)\n`);
  process.stdout.write(`faults                   ${faults} applied and cancelled, ${churnErrors} churn errors; at the end active_faults ${health.active_faults}, store_errors ${health.store_errors}\n`);
  process.stdout.write(`RSS (after ${f(warmupMs / 1000, 0)} s warm-up)  first third ${f(rssFirst)} MB, last third ${f(rssLast)} MB: ${growth >= 0 ? '+' : ''}${f(growth)} %  ${rssOk ? 'PASS' : 'MISS'} (within 5 %)\n`);
  process.stdout.write(`open fds                 ${fdStart} after warm-up, ${fdEnd} at the end  ${fdOk ? 'PASS' : 'MISS'}\n`);
  process.stdout.write(
    `state file               ${f(bytes / 1024)} KiB (db + wal); ${apps} ended applications, ${events} events; retention.max_rows ${maxRows}  ${rowsOk ? 'PASS' : 'MISS'}\n`,
  );
}
