/** `command`: runs a program (a string through `/bin/sh`, with template values shell-quoted; a list without a shell). */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { checkExpectations } from './expect.js';
import { checkCommon, commandFields, expectations, name, probeCommon, stepCommon } from './fields.js';
import { checkUse, defineActivity, probeUse, stepUse } from './types.js';

/** Runs a command (`string` through the shell, a list without); captures bounded stdout/stderr. */
export async function runCommand(
  spec: { run: string | readonly string[]; cwd?: string | undefined; env?: Record<string, string> | undefined; timeoutMs: number },
  signal?: AbortSignal,
): Promise<{ exitCode: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }> {
  const [cmd, ...args] = typeof spec.run === 'string' ? [spec.run] : spec.run;
  const child = spawn(cmd ?? 'true', args, {
    shell: typeof spec.run === 'string',
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cap = 1 << 20;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    if (stdout.length < cap) stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr = (stderr + c).slice(-16_384);
  });
  let timedOut = false;
  const kill = () => child.kill('SIGKILL');
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, spec.timeoutMs);
  signal?.addEventListener('abort', kill, { once: true });
  try {
    const [code, sig] = await new Promise<[number | null, string | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    });
    return { exitCode: code, signal: sig, stdout, stderr, timedOut };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', kill);
  }
}

const lastLines = (stderr: string) => (stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : '');

export const command = defineActivity({
  kind: 'command',
  probe: probeUse({
    schema: z.strictObject({
      kind: z.literal('command'),
      ...probeCommon,
      ...commandFields,
      /** Parse stdout as JSON; the value is that object (else the trimmed stdout). */
      json: z.boolean().default(false),
      expect: expectations.optional(),
      output: name.optional(),
    }),
    async run(p, env) {
      const res = await runCommand(p, env.signal);
      let value: unknown = res.stdout.trim();
      if (p.json) {
        try {
          value = JSON.parse(res.stdout) as unknown;
        } catch {
          return { ok: false, value, expected: p.expect ?? null, message: `stdout is not JSON: ${String(value).slice(0, 200)}` };
        }
      }
      const codeOk = res.exitCode === p.exitCode && !res.timedOut;
      const failures = checkExpectations(value, p.expect);
      const message = codeOk
        ? failures.join('; ') || `exit ${res.exitCode}`
        : `${res.timedOut ? `timed out after ${p.timeoutMs} ms` : `exit ${res.exitCode ?? res.signal}, expected ${p.exitCode}`}${lastLines(res.stderr)}`;
      return { ok: codeOk && failures.length === 0, value, expected: { exit_code: p.exitCode, ...(p.expect ? { expect: p.expect } : {}) }, message };
    },
  }),
  step: stepUse({
    schema: z.strictObject({ kind: z.literal('command'), ...stepCommon, ...commandFields, json: z.boolean().default(false) }),
    async run(s, env) {
      const res = await runCommand(s, env.signal);
      let stdout: unknown = res.stdout.trim();
      if (s.json) {
        try {
          stdout = JSON.parse(res.stdout) as unknown;
        } catch {
          return { status: 'failed', output: { exit_code: res.exitCode, stdout, stderr: res.stderr.trim() }, error: 'stdout is not JSON' };
        }
      }
      const output = { exit_code: res.exitCode, stdout, stderr: res.stderr.trim().slice(-4000) };
      if (res.timedOut) return { status: 'failed', output, error: `timed out after ${s.timeoutMs} ms` };
      if (res.exitCode !== s.exitCode) return { status: 'failed', output, error: `exit ${res.exitCode ?? res.signal}, expected ${s.exitCode}` };
      return { status: 'ok', output, error: null };
    },
  }),
  check: checkUse({
    schema: z.strictObject({ kind: z.literal('command'), ...checkCommon, ...commandFields }),
    async run(c, env) {
      const res = await runCommand(c, env.signal);
      if (res.timedOut) throw new Error(`timed out after ${c.timeoutMs} ms`);
      if (res.exitCode !== c.exitCode) throw new Error(`exit ${res.exitCode ?? res.signal}, expected ${c.exitCode}${lastLines(res.stderr)}`);
      return `exit ${res.exitCode}`;
    },
  }),
});
