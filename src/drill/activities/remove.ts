/**
 * `remove`: deletes files or folders, only strictly inside the run's folder or the system temp
 * folder (a path from a service's answer, `../../`, or a symlink out is refused).
 */
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { removalRefusal } from '../safe-paths.js';
import { stepCommon, text } from './fields.js';
import { compileTemplate, expressionRoots, outsideRoots, templateExpressions } from '../template.js';
import { defineActivity, stepUse } from './types.js';

/** Stands for `{{run.dir}}` while validating (the run's folder is known only when it runs). */
const RUN_DIR_PLACEHOLDER = '/faultline-validate/run-dir';

/** The path as validation can know it (literals, env, run), or undefined when only the run can. */
function knownNow(path: string): string | undefined {
  if (templateExpressions(path).some((e) => expressionRoots(e).some((r) => outsideRoots.has(r) || r === 'proxies' || r === 'executor'))) return undefined;
  try {
    const run = { id: 'validate', dir: RUN_DIR_PLACEHOLDER, acks_file: `${RUN_DIR_PLACEHOLDER}/acks.jsonl`, cwd: process.cwd(), drill_dir: process.cwd() };
    return compileTemplate(path).renderString({ env: process.env, run });
  } catch {
    return undefined; // an env var set only at run time: checked when it runs
  }
}

export const remove = defineActivity({
  kind: 'remove',
  step: stepUse({
    schema: z.strictObject({ kind: z.literal('remove'), ...stepCommon, paths: z.array(text).min(1, { error: 'must not be empty' }) }),
    validate(s, v) {
      s.paths.forEach((p, i) => {
        const now = knownNow(p);
        const why = now === undefined ? undefined : removalRefusal(now, RUN_DIR_PLACEHOLDER, '{{run.dir}}');
        if (why !== undefined) v.issue(['paths', i], why);
      });
    },
    async run(s, env) {
      const runDir = String(env.ctx().run?.dir ?? '');
      const refused = s.paths.map((p, i) => [i, removalRefusal(p, runDir)] as const).filter(([, why]) => why !== undefined);
      if (refused.length > 0) return { status: 'failed', output: { removed: [] }, error: `refusing to remove: ${refused.map(([i, why]) => `paths[${i}]: ${why}`).join('; ')}` };
      for (const p of s.paths) await rm(p, { recursive: true, force: true });
      return { status: 'ok', output: { removed: s.paths }, error: null };
    },
  }),
});
