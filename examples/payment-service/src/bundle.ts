/**
 * Bundles the payment service into one ESM file (dependencies included) so that a restart is
 * fast: `node --import tsx src/main.ts` resolves and transforms hundreds of files on every start
 * (3-4 s to healthy on a loaded 2-core machine), the bundle starts in under 1 s. A drill that
 * kills the service and expects it healthy again within 2 s should supervise `node <bundle>`.
 *
 *   node --import tsx examples/payment-service/src/bundle.ts [out.mjs]   # prints {"file","ms"}
 *
 * Uses esbuild, which is installed as tsx's dependency.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BundleResult {
  /** Absolute path of the bundle; run it with `node <file>` and the same env as `main.ts`. */
  readonly file: string;
  /** Milliseconds the build took. */
  readonly ms: number;
}

/**
 * Builds `main.ts` and everything it imports into one file.
 * @throws Error when esbuild is missing or the build fails.
 * @example
 * const { file } = await bundlePaymentService();
 * spawn(process.execPath, [file], { env: { DATABASE_URL, PORT: '3000' } });
 */
export async function bundlePaymentService(outFile = join(tmpdir(), `faultline-payment-service-${process.pid}.mjs`)): Promise<BundleResult> {
  const started = performance.now();
  const { build } = await import('esbuild');
  await mkdir(dirname(outFile), { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // Bundled CommonJS dependencies (pg, fastify) call require(); ESM output needs one.
    banner: { js: "import { createRequire as __flCreateRequire } from 'node:module'; const require = __flCreateRequire(import.meta.url);" },
    // pg tries the optional native binding inside a try/catch; leave it unresolved.
    external: ['pg-native'],
    // src/common/version.ts reads ../../package.json next to itself, which a bundle written
    // anywhere else would not find: inline the version instead.
    plugins: [
      {
        name: 'inline-package-version',
        setup(b) {
          b.onLoad({ filter: /[\\/]src[\\/]common[\\/]version\.ts$/ }, async () => {
            const { readFile } = await import('node:fs/promises');
            const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
            return { contents: `export const packageVersion = ${JSON.stringify(pkg.version)};`, loader: 'ts' };
          });
        },
      },
    ],
  });
  return { file: outFile, ms: Math.round(performance.now() - started) };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  bundlePaymentService(process.argv[2]).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
