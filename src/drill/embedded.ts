/**
 * The embedded executor: a drill with `executor: { embedded: true }` starts one in-process, on
 * `executor.config.listen` (default a free loopback port), logging into the run's folder.
 * The executor module is imported on demand (a drill against a remote executor never loads it),
 * typed through `import type`.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type * as ExecutorModule from '../executor/index.js';
import type { Executor } from '../executor/index.js';
import { fieldIssues, type FieldIssue } from '../plan/index.js';
import { DrillExecutorError } from './errors.js';
import type { Drill } from './spec.js';
import { renderConfig } from './template.js';

const errMsg = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Options of {@link startEmbedded}. */
export interface EmbeddedOptions {
  /** The executor config, rendered. */
  readonly config: unknown;
  readonly token?: string | undefined;
  /** Where supervised processes' run manifests go. */
  readonly runsDir: string;
  /** The run's folder (for `executor.log`), or undefined to log errors to stderr only. */
  readonly logDir: string | undefined;
  readonly runId: string;
}

/**
 * Starts the embedded executor.
 * @throws DrillExecutorError when the executor module cannot be loaded.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<Executor> {
  let mod: typeof ExecutorModule;
  try {
    mod = await import('../executor/index.js');
  } catch (err) {
    throw new DrillExecutorError(`cannot load the embedded executor: ${errMsg(err)}`, err);
  }
  const config = (options.config ?? {}) as { listen?: unknown };
  return mod.startExecutor({
    config: options.config as Record<string, unknown>,
    // The config's own listen wins; without one, a free loopback port.
    ...(config.listen === undefined ? { listen: '127.0.0.1:0' } : {}),
    statePath: ':memory:',
    embedded: true,
    runsDir: options.runsDir,
    logger: await executorLogger(options.logDir, options.runId),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
}

/** The embedded executor logs into the run's folder (`executor.log`), not over the progress display. */
async function executorLogger(logDir: string | undefined, runId: string): Promise<Logger> {
  const { default: pino } = await import('pino');
  if (logDir === undefined) return pino({ level: 'error' }, process.stderr);
  await mkdir(logDir, { recursive: true });
  // `drill_run`, not `mode`: the executor logs its own `mode`, and a key appears once per line.
  return pino({ level: process.env.FAULTLINE_LOG_LEVEL ?? 'info', base: { service: 'faultline', drill_run: runId } }, pino.destination({ dest: join(logDir, 'executor.log'), sync: true }));
}

/** Validates the embedded executor's config with the executor's own schema, as the run would render it. */
export async function checkEmbeddedConfig(drill: Drill): Promise<FieldIssue[]> {
  if (!drill.executor?.embedded || drill.executor.config === undefined) return [];
  // Templates are rendered at run time; render them now as the run would (env, run), and skip
  // the check only when a value is not known yet (an env var set later).
  let config: unknown;
  try {
    config = renderConfig(drill.executor.config, {
      env: process.env,
      run: { id: 'validate', dir: '', acks_file: '', cwd: process.cwd(), drill_dir: drill.file ? dirname(resolve(drill.file)) : process.cwd() },
    });
  } catch {
    return [];
  }
  let schema: z.ZodType;
  try {
    schema = (await import('../executor/index.js')).executorConfigSchema;
  } catch {
    return [];
  }
  const r = schema.safeParse(config);
  if (r.success) return [];
  return fieldIssues(r.error, config).map((i) => ({ path: i.path === '(root)' ? 'executor.config' : `executor.config.${i.path}`, message: i.message }));
}
