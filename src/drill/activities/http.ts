/** `http`: a request; as a probe it checks the status and the body, as a step it keeps the answer. */
import { request } from 'undici';
import { z } from 'zod';
import { checkExpectations } from './expect.js';
import { checkCommon, expectations, headers, httpMethod, ms, name, probeCommon, statusList, stepCommon, body, url } from './fields.js';
import { checkUse, defineActivity, probeUse, stepUse } from './types.js';

/** An HTTP call with a timeout; the body is parsed as JSON when it is JSON. */
export async function httpCall(
  spec: { url: string; method: string; headers?: Record<string, string> | undefined; body?: unknown; timeoutMs: number },
  signal?: AbortSignal,
): Promise<{ status: number; headers: Record<string, string>; body: unknown; latencyMs: number }> {
  const started = performance.now();
  const hdrs: Record<string, string> = { ...spec.headers };
  let payload: string | undefined;
  if (spec.body !== undefined) {
    if (typeof spec.body === 'string') payload = spec.body;
    else {
      payload = JSON.stringify(spec.body);
      if (!Object.keys(hdrs).some((h) => h.toLowerCase() === 'content-type')) hdrs['content-type'] = 'application/json';
    }
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${spec.timeoutMs} ms`)), spec.timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let res: Awaited<ReturnType<typeof request>>;
  let text: string;
  try {
    res = await request(spec.url, {
      method: spec.method as 'GET',
      headers: hdrs,
      body: payload ?? null,
      signal: controller.signal,
      headersTimeout: spec.timeoutMs,
      bodyTimeout: spec.timeoutMs,
    });
    text = await res.body.text();
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  let parsed: unknown = text;
  if (text !== '') {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = text.length > 4096 ? `${text.slice(0, 4096)}…` : text;
    }
  }
  const outHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) outHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { status: res.statusCode, headers: outHeaders, body: parsed, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
}

const answer = (res: Awaited<ReturnType<typeof httpCall>>) => ({ status: res.status, headers: res.headers, body: res.body, latency_ms: res.latencyMs });

export const http = defineActivity({
  kind: 'http',
  probe: probeUse({
    schema: z.strictObject({
      kind: z.literal('http'),
      ...probeCommon,
      url,
      method: httpMethod.default('GET'),
      headers: headers.optional(),
      body: body.optional(),
      timeout_ms: ms.default(2000),
      status: statusList.optional(),
      /** Expectations on the response body (parsed JSON, else text). */
      expect: expectations.optional(),
      output: name.optional(),
    }),
    async run(p, env) {
      const res = await httpCall(p, env.signal);
      const okStatus = p.status ? p.status.includes(res.status) : res.status >= 200 && res.status < 300;
      const failures = checkExpectations(res.body, p.expect);
      const expected = { status: p.status ?? '2xx', ...(p.expect ? { expect: p.expect } : {}) };
      const ok = okStatus && failures.length === 0;
      const message = ok ? `${p.method} ${p.url} -> ${res.status}` : [!okStatus ? `${p.method} ${p.url} -> ${res.status}, expected ${JSON.stringify(p.status ?? '2xx')}` : '', ...failures].filter(Boolean).join('; ');
      return { ok, value: res.status, expected, message, output: answer(res) };
    },
  }),
  step: stepUse({
    schema: z.strictObject({
      kind: z.literal('http'),
      ...stepCommon,
      url,
      method: httpMethod.default('GET'),
      headers: headers.optional(),
      body: body.optional(),
      timeout_ms: ms.default(5000),
      /** Statuses that count as success (default any 2xx). */
      status: statusList.optional(),
    }),
    async run(s, env) {
      const res = await httpCall(s, env.signal);
      const ok = s.status ? s.status.includes(res.status) : res.status >= 200 && res.status < 300;
      return { status: ok ? 'ok' : 'failed', output: answer(res), error: ok ? null : `${s.method} ${s.url} -> ${res.status}, expected ${JSON.stringify(s.status ?? '2xx')}` };
    },
  }),
  check: checkUse({
    schema: z.strictObject({
      kind: z.literal('http'),
      ...checkCommon,
      url,
      method: httpMethod.default('GET'),
      headers: headers.optional(),
      status: statusList.default([200]),
      timeout_ms: ms.default(2000),
    }),
    async run(c, env) {
      const res = await httpCall({ url: c.url, method: c.method, headers: c.headers, timeoutMs: c.timeoutMs }, env.signal);
      if (!c.status.includes(res.status)) throw new Error(`${c.method} ${c.url} -> ${res.status}, expected ${c.status.join(' or ')}`);
      return `${c.method} ${c.url} -> ${res.status}`;
    },
  }),
});
