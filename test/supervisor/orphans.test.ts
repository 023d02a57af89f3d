import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/supervisor/index.js';
import { alive, freePort, hostScript, readJson, tempDir, until } from './helpers.js';

interface HostReady {
  pid: number;
  child: number;
  grandchild: number | null;
}

const leftovers: number[] = [];
const dirs: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const d of dirs.splice(0)) await d();
});

async function startHost(...flags: string[]): Promise<{ host: ChildProcess; ready: HostReady; runsDir: string }> {
  const dir = await tempDir();
  dirs.push(dir.remove);
  const port = await freePort();
  const host = spawn(process.execPath, ['--import', 'tsx', hostScript, dir.path, String(port), ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<HostReady>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`host not ready: ${out}`)), 25_000);
    host.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as HostReady);
      }
    });
    host.once('exit', (code) => reject(new Error(`host exited early (${code}): ${out}`)));
  });
  leftovers.push(ready.pid, ready.child, ...(ready.grandchild ? [ready.grandchild] : []));
  expect(alive(ready.child)).toBe(true);
  return { host, ready, runsDir: dir.path };
}

function exited(host: ChildProcess): Promise<void> {
  return host.exitCode !== null || host.signalCode !== null ? Promise.resolve() : new Promise((r) => host.once('exit', () => r()));
}

describe('killing the supervisor host leaves no orphaned child', () => {
  it('SIGKILL of the host: the watchdog kills the process group, grandchildren included', async () => {
    const { host, ready } = await startHost('no', 'fork-grandchild');
    expect(ready.grandchild).not.toBeNull();
    host.kill('SIGKILL');
    await exited(host);
    await until(() => !alive(ready.child) && !alive(ready.grandchild!), 5000);
  });

  it('SIGTERM of a host that does not handle signals: the watchdog kills the child', async () => {
    const { host, ready } = await startHost();
    host.kill('SIGTERM');
    await exited(host);
    await until(() => !alive(ready.child), 5000);
  });

  it('process.exit() of the host without stop(): the exit hook kills the child and writes the manifest', async () => {
    const { host, ready, runsDir } = await startHost('exit-after-ready');
    await exited(host);
    expect(host.exitCode).toBe(0);
    await until(() => !alive(ready.child), 5000);
    const { readdirSync } = await import('node:fs');
    const [runId] = readdirSync(runsDir);
    expect(readJson<Manifest>(`${runsDir}/${runId}/manifest.json`).stopped_at).not.toBeNull();
  });

  it('SIGTERM with handleSignals: children get their stop signal and the manifest is final', async () => {
    const { host, ready, runsDir } = await startHost('handle-signals');
    host.kill('SIGTERM');
    await exited(host);
    expect(host.signalCode).toBe('SIGTERM');
    expect(alive(ready.child)).toBe(false);
    const { readdirSync } = await import('node:fs');
    const [runId] = readdirSync(runsDir);
    const manifest = readJson<Manifest>(`${runsDir}/${runId}/manifest.json`);
    expect(manifest.stopped_at).not.toBeNull();
    expect(manifest.processes.web!.events.find((e) => e.type === 'exited')).toMatchObject({ pid: ready.child, signal: 'SIGTERM' });
  });
});
