/**
 * `process`: a supervised process is running (and healthy); in preflight also a pid file's pid or
 * a process found by name.
 */
import { readFile, readdir } from 'node:fs/promises';
import { z } from 'zod';
import { checkCommon, name, probeCommon, text } from './fields.js';
import { checkUse, defineActivity, probeUse } from './types.js';

/** Reads a supervised process's state from the executor (snake_case view). */
export function processOk(view: Record<string, unknown>, healthy: boolean): { ok: boolean; message: string } {
  const state = (view.state as { kind?: string } | undefined)?.kind ?? 'unknown';
  const health = String(view.health ?? 'unknown');
  const running = state === 'running' && view.paused !== true;
  const ok = running && (!healthy || health === 'healthy');
  return { ok, message: `state ${state}, health ${health}${view.paused === true ? ', paused' : ''}, pid ${String(view.pid ?? '-')}, restarts ${String(view.restart_count ?? 0)}` };
}

async function findProcessByName(processName: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const comm = (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim();
    if (comm === processName) return pid;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    if (cmdline.includes(processName) && !cmdline.includes('faultline')) return pid;
  }
  return undefined;
}

export const processKind = defineActivity({
  kind: 'process',
  probe: probeUse({
    needsExecutor: true,
    schema: z.strictObject({
      kind: z.literal('process'),
      ...probeCommon,
      /** A process supervised by the executor. */
      process: name,
      /** Require health `healthy` (default) or just running. */
      healthy: z.boolean().default(true),
      output: name.optional(),
    }),
    async run(p, env) {
      if (!env.client) return { ok: false, value: null, expected: 'running', message: 'no executor to ask' };
      const view = await env.client.getProcess(p.process);
      const r = processOk(view, p.healthy);
      const value = { state: (view.state as { kind?: string } | undefined)?.kind, health: view.health, pid: view.pid, restart_count: view.restart_count };
      return { ok: r.ok, value, expected: p.healthy ? 'healthy' : 'running', message: `${p.process}: ${r.message}` };
    },
    refs: (p) => [{ path: ['process'], what: 'process', name: p.process }],
  }),
  check: checkUse({
    schema: z
      .strictObject({
        kind: z.literal('process'),
        ...checkCommon,
        /** A process supervised by the executor. */
        process: name.optional(),
        /** A pid file whose pid must be alive. */
        pid_file: text.optional(),
        /** A process name (as in /proc/<pid>/comm or its command line). */
        process_name: text.optional(),
        /** For a supervised process: require health `healthy` (default), not just running. */
        healthy: z.boolean().default(true),
      })
      .refine((c) => [c.process, c.pid_file, c.process_name].filter((x) => x !== undefined).length === 1, {
        error: 'needs exactly one of process, pid_file, process_name',
      }),
    async run(c, env) {
      if (c.process !== undefined) {
        if (!env.client) throw new Error('no executor to ask');
        const r = processOk(await env.client.getProcess(c.process), c.healthy);
        if (!r.ok) throw new Error(`${c.process}: ${r.message}`);
        return `${c.process}: ${r.message}`;
      }
      if (c.pidFile !== undefined) {
        const pid = Number((await readFile(c.pidFile, 'utf8')).trim());
        if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${c.pidFile} holds no pid`);
        process.kill(pid, 0);
        return `pid ${pid} from ${c.pidFile} is alive`;
      }
      const pid = await findProcessByName(c.processName ?? '');
      if (pid === undefined) throw new Error(`no process named '${c.processName}'`);
      return `'${c.processName}' runs as pid ${pid}`;
    },
    refs: (c) => (c.process === undefined ? [] : [{ path: ['process'], what: 'process', name: c.process }]),
  }),
});
