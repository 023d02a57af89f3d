import { createRequire } from 'node:module';

/** The package version, from package.json (two folders up from `src/common` and `dist/common`). */
export const packageVersion: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
