import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import YAML from 'yaml';
import { ValidationError, safeParsePlan, snakifyKeys } from '../plan/index.js';
import { HttpExecutorClient } from '../client/index.js';
import { executorUrl, print, withExecutorOptions, type ExecutorCliOptions } from './executor-options.js';

/** A client for `--executor`; a CLI call retries little and fails fast. */
function clientFor(opts: ExecutorCliOptions): HttpExecutorClient {
  return new HttpExecutorClient({
    baseUrl: opts.executor,
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    retry: { maxAttempts: 2, initialDelayMs: 100 },
    source: 'cli',
  });
}

async function readPlan(source: string): Promise<unknown> {
  const text = source === '-' ? await readStdin() : await readFile(source, 'utf8');
  return YAML.parse(text) as unknown;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `faultline apply <plan.json|->`: validate a plan locally, then apply it on the executor. */
export function registerApply(program: Command): void {
  withExecutorOptions(
    program
      .command('apply')
      .argument('<plan>', 'a FaultPlan as a JSON or YAML file, or - for stdin')
      .option('--wait', 'wait until the application ends and print its metrics')
      .description('apply a fault plan on a running executor'),
  ).action(async (source: string, opts: ExecutorCliOptions & { wait?: boolean }) => {
    executorUrl(opts);
    const plan = await readPlan(source);
    const checked = safeParsePlan(plan);
    if (!checked.ok) throw new ValidationError('fault plan', checked.issues);
    const client = clientFor(opts);
    try {
      if (opts.wait) {
        const obs = await client.applyAndObserve(plan as never);
        print(opts, snakifyKeys(obs), `${obs.applyId} ${obs.status}: ${obs.metrics.faulted}/${obs.metrics.requests} faulted, error rate ${obs.metrics.errorRate}`);
      } else {
        const res = await client.apply(plan as never);
        print(opts, { apply_id: res.applyId, status: res.status }, `${res.applyId} ${res.status}`);
      }
    } finally {
      await client.close();
    }
  });
}
