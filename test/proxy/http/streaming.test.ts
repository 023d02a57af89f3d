import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type Upstream } from './helpers.js';

const MB = 1024 * 1024;
const SIZE = 20 * MB;
const childPath = fileURLToPath(new URL('./fixtures/proxy-child.ts', import.meta.url));

interface Mem {
  live: number;
  rss: number;
}

let upstream: Upstream;
let child: ChildProcess;
let pool: Pool;

/**
 * The proxy runs in its own process (single-threaded GC, so a forced GC frees buffers at once),
 * so that its memory is measured apart from the client's and the upstream's.
 */
beforeAll(async () => {
  upstream = await startUpstream();
  child = fork(childPath, [upstream.url], { execArgv: ['--single-threaded-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const listen = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { listen: string }).listen));
    child.once('exit', (code) => reject(new Error(`proxy child exited ${code}`)));
  });
  pool = new Pool(`http://${listen}`);
});

afterAll(async () => {
  await pool.destroy();
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  await upstream.close();
});

function mem(): Promise<Mem> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Mem));
    child.send('mem');
  });
}

/** 20 MB from one reused 64 KB chunk, so the test itself holds no body. */
function source(total: number): Readable {
  const chunk = Buffer.alloc(65_536, 97);
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      this.push(part);
    },
  });
}

async function count(body: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const c of body) n += c.length;
  return n;
}

/** Peak growth of the proxy's live memory (heap + buffers after GC) while `run` goes. */
async function liveGrowth(run: () => Promise<number>): Promise<{ bytes: number; growth: number }> {
  await (await pool.request({ method: 'GET', path: '/warm' })).body.text();
  const base = await mem();
  let peak = base.live;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, (await mem()).live);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return { bytes: await run(), growth: peak - base.live };
  } finally {
    running = false;
    await sampler;
  }
}

describe('createHttpProxy streaming', () => {
  it('streams a 20 MB request body up and its 20 MB echo back with flat proxy memory', async () => {
    const { bytes, growth } = await liveGrowth(async () => {
      const res = await pool.request({ method: 'POST', path: '/echo', body: source(SIZE) });
      expect(res.statusCode).toBe(200);
      return count(res.body);
    });
    expect(bytes).toBe(SIZE);
    expect(growth).toBeLessThan(4 * MB);
  });

  it('streams a 20 MB download with flat proxy memory', async () => {
    const { bytes, growth } = await liveGrowth(async () => {
      const res = await pool.request({ method: 'GET', path: `/bytes?n=${SIZE}` });
      expect(res.headers['content-length']).toBe(String(SIZE));
      return count(res.body);
    });
    expect(bytes).toBe(SIZE);
    expect(growth).toBeLessThan(4 * MB);
  });

  it('does not read ahead of a client that stops reading (backpressure reaches the upstream)', async () => {
    const offered = 100 * MB;
    const base = await mem();
    const before = upstream.sent.bytes;
    const res = await pool.request({ method: 'GET', path: `/bytes?n=${offered}` });
    const it = res.body[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    const stalled = await mem();
    // Only socket buffers' worth has left the upstream, and the proxy holds almost none of it.
    expect(upstream.sent.bytes - before).toBeLessThan(offered / 2);
    expect(stalled.live - base.live).toBeLessThan(4 * MB);
    res.body.destroy();
  });
});
