/** `port` (preflight): something accepts TCP connections on host:port. */
import { connect } from 'node:net';
import { z } from 'zod';
import { checkCommon, ms, text } from './fields.js';
import { checkUse, defineActivity } from './types.js';

async function portOpen(host: string, port: number, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.end();
      resolve();
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export const port = defineActivity({
  kind: 'port',
  check: checkUse({
    schema: z.strictObject({
      kind: z.literal('port'),
      ...checkCommon,
      host: text.default('127.0.0.1'),
      port: z.union([z.number().int().min(1).max(65535), text], { error: 'must be a port 1-65535' }),
      timeout_ms: ms.default(1000),
    }),
    async run(c) {
      const p = Number(c.port);
      await portOpen(c.host, p, c.timeoutMs);
      return `${c.host}:${p} accepts connections`;
    },
  }),
});
