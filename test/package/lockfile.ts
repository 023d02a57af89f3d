/**
 * A package-lock.json for an empty project that depends on the packed tarball only, taken from the
 * repository's own lock (the production entries, at the same paths): `npm install --offline` then
 * finds every tarball in the local npm cache by its integrity, without asking the registry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

export function consumerLock(root: string, tarball: string, projectName: string): Record<string, unknown> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const own = lock.packages[''] ?? {};
  const packages: Record<string, unknown> = {
    '': { name: projectName, version: '1.0.0', dependencies: { faultline: `file:${tarball}` } },
    'node_modules/faultline': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      license: pkg.license,
      dependencies: own.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true || entry.link === true || !path.startsWith('node_modules/')) continue;
    const { devOptional: _devOptional, ...rest } = entry;
    packages[path] = rest;
  }
  return { name: projectName, version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}
