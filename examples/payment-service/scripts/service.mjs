/**
 * Runs the payment service from its one-file bundle, building the bundle first when it is not
 * there yet (the first start of a drill run). A supervisor restarting this after a SIGKILL only
 * imports the bundle again: healthy in about a second, instead of 3-4 s through tsx.
 *
 *   PAYMENT_BUNDLE=/tmp/run/payment-service.mjs DATABASE_URL=... PORT=3000 node service.mjs
 *
 * Env: `PAYMENT_BUNDLE` (where the bundle goes; default next to the OS temp folder), and the
 * service's own env (see ../README.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bundle = resolve(process.env.PAYMENT_BUNDLE || join(tmpdir(), 'faultline-payment-service.mjs'));

if (!existsSync(bundle)) {
  // Build next to the target and rename, so a killed build never leaves half a file behind.
  const partial = `${bundle}.${process.pid}.tmp.mjs`;
  execFileSync(process.execPath, ['--import', 'tsx', join(here, '..', 'src', 'bundle.ts'), partial], {
    cwd: join(here, '..', '..', '..'),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  renameSync(partial, bundle);
}

await import(pathToFileURL(bundle).href);
