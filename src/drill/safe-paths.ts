/**
 * Where a `remove:` step may delete: strictly inside the run's folder or the system temp folder.
 * A path from a service's answer (`../../home`) or a symlink out of those folders is refused.
 */
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

/** The real path of `p`, or of its deepest existing ancestor joined with the rest. */
function realish(p: string): string {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(head), ...tail.reverse());
    } catch {
      const up = dirname(head);
      if (up === head) return p;
      tail.push(relative(up, head));
      head = up;
    }
  }
}

function strictlyInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** The folders a `remove:` step may delete inside. */
export function removableRoots(runDir: string): string[] {
  return [resolve(runDir), resolve(tmpdir())];
}

/**
 * Why `path` must not be removed, or undefined when it may. Relative paths resolve against the
 * current directory, as `rm` would. The parent folder is resolved through symlinks, so a link
 * inside the temp folder that points elsewhere does not open a way out.
 */
export function removalRefusal(path: string, runDir: string, runDirLabel: string = runDir): string | undefined {
  const abs = resolve(path);
  const roots = removableRoots(runDir);
  const lexical = roots.some((r) => strictlyInside(abs, r));
  const real = resolve(realish(dirname(abs)), relative(dirname(abs), abs));
  const physical = roots.some((r) => strictlyInside(real, realish(r)) || strictlyInside(real, r));
  if (lexical && physical) return undefined;
  const shown = real.startsWith(resolve(runDir)) ? runDirLabel + real.slice(resolve(runDir).length) : real;
  return `'${path}' resolves to ${shown}, outside the run's folder (${runDirLabel}) and the system temp folder (${resolve(tmpdir())}): remove deletes only inside those`;
}
