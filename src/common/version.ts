import { createRequire } from 'node:module';

let cached: string | undefined;

/**
 * The package version, from package.json (two folders up from `src/common` and `dist/common`).
 * Read on first call, not at import: a bundle of a module that imports common (the example
 * service) has no package.json beside it.
 */
export function packageVersion(): string {
  cached ??= (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  return cached;
}
