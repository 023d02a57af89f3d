/** Starts a drill's load, writing acknowledged requests to `acks.jsonl` when a template asks for it. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LoadGenerator, streamsFromSpec } from './load/index.js';
import type { LoadSpec } from './spec.js';
import type { TemplateContext } from './template.js';

/**
 * Starts the load of a drill.
 * @param acksFile where acknowledged requests go (one JSON line each), or undefined for none.
 */
export async function startLoad(spec: LoadSpec, ctx: () => TemplateContext, acksFile: string | undefined): Promise<{ load: LoadGenerator; acks: WriteStream | undefined }> {
  const streams = streamsFromSpec(spec);
  let acks: WriteStream | undefined;
  if (acksFile !== undefined && streams.some((s) => s.templates.some((t) => t.ack))) {
    await mkdir(dirname(acksFile), { recursive: true });
    acks = createWriteStream(acksFile);
  }
  const out = acks;
  const load = new LoadGenerator({
    streams,
    durationS: spec.durationS,
    timeoutMs: spec.timeoutMs,
    connections: spec.connections,
    maxInFlight: spec.maxInFlight,
    context: ctx,
    ...(out ? { onAck: (a) => out.write(`${JSON.stringify({ template: a.template, seq: a.seq, status: a.status, at: new Date(a.at).toISOString(), vars: a.vars })}\n`) } : {}),
  });
  load.start();
  return { load, acks };
}
