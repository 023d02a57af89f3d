/**
 * A hostile web page in a real headless Chromium, served from another loopback origin, tries to
 * change faults on a daemon that has no token: the requests a browser sends cross-site without
 * asking (a no-cors text/plain fetch, an HTML form POST) and the one it preflights (a JSON fetch).
 * None may change anything, and each is recorded as `refused`. The same calls from a script (no
 * Origin, application/json) still work.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startExecutor, type Executor } from '../../src/executor/index.js';
import { launchChromium } from '../helpers/browser.js';
import { call } from './helpers.js';

const TARGETS = ['/v1/faults/apply', '/v1/proxies', '/v1/halt', '/proxies', '/reset'] as const;

/** The attacker's page: every attempt against every target, then `window.done = true`. */
function attackPage(daemon: string, echoPort: number): string {
  const bodies: Record<string, unknown> = {
    '/v1/faults/apply': { service: 'db', fault_type: 'latency', fault_config: { latency: 5000 }, duration_seconds: 600 },
    '/v1/proxies': { name: 'evil_v1', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` },
    '/v1/halt': {},
    '/proxies': { name: 'evil_toxi', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` },
    '/reset': {},
  };
  return `<!doctype html><html><body><script>
const daemon = ${JSON.stringify(daemon)};
const targets = ${JSON.stringify(TARGETS)};
const bodies = ${JSON.stringify(bodies)};
const results = [];
function formPost(url, json) {
  // enctype=text/plain sends "name=value": split the JSON so that the body is the JSON itself.
  return new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.name = 'f' + Math.random().toString(36).slice(2);
    document.body.appendChild(frame);
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = url;
    form.enctype = 'text/plain';
    form.target = frame.name;
    const input = document.createElement('input');
    const text = JSON.stringify(json);
    input.name = text.slice(0, -1) + ',"pad":"';
    input.value = '"}';
    form.appendChild(input);
    document.body.appendChild(form);
    const timer = setTimeout(() => resolve('timeout'), 5000);
    frame.addEventListener('load', () => { clearTimeout(timer); resolve('loaded'); });
    form.submit();
  });
}
(async () => {
  for (const path of targets) {
    const url = daemon + path;
    const body = JSON.stringify(bodies[path]);
    try {
      const r = await fetch(url, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body });
      results.push([path, 'no-cors', r.type]);
    } catch (e) { results.push([path, 'no-cors', 'error ' + e]); }
    results.push([path, 'form', await formPost(url, bodies[path])]);
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      results.push([path, 'json', 'status ' + r.status]);
    } catch (e) { results.push([path, 'json', 'blocked']); }
  }
  window.results = results;
  window.done = true;
})();
</script></body></html>`;
}

describe('a hostile page in headless Chromium against a daemon with no token', () => {
  let ex: Executor;
  let echo: Server;
  let echoPort: number;
  let site: HttpServer;
  let siteOrigin: string;
  let browser: Browser;

  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    echoPort = (echo.address() as { port: number }).port;
    ex = await startExecutor({
      listen: '127.0.0.1:0',
      statePath: ':memory:',
      token: '',
      config: { proxies: [{ name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` }] },
    });
    site = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(attackPage(ex.url, echoPort));
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    siteOrigin = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ex?.close();
    site?.closeAllConnections();
    site?.close();
    echo?.close();
  });

  it('changes nothing, and GET /v1/events lists the refusals; the same calls from a script still work', async () => {
    // State before: one fault through the v1 API and one toxic through the Toxiproxy API.
    const fault = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'db', fault_type: 'bandwidth', fault_config: { rate: 1000 }, duration_seconds: 300 });
    expect(fault.status).toBe(201);
    const toxic = await call(ex.url, 'POST', '/proxies/db/toxics', { name: 'keep_me', type: 'latency', attributes: { latency: 1 } });
    expect(toxic.status).toBe(200);
    const faultsBefore = (await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ apply_id: string; status: string }>;
    const toxicsBefore = ((await call(ex.url, 'GET', '/proxies/db/toxics')).body as Array<{ name: string }>).map((t) => t.name).sort();
    expect(toxicsBefore).toContain('keep_me');

    const page = await browser.newPage();
    await page.goto(`${siteOrigin}/`);
    await page.waitForFunction('window.done === true', undefined, { timeout: 60_000 });
    const results = (await page.evaluate('window.results')) as Array<[string, string, string]>;
    await page.close();
    // Every attempt was made; the preflighted JSON fetches never reached a route.
    expect(results).toHaveLength(TARGETS.length * 3);
    expect(results.filter((r) => r[1] === 'json').map((r) => r[2])).toEqual(TARGETS.map(() => 'blocked'));

    // Nothing changed: no new proxy, no new fault, the fault still running, the toxic still there.
    expect(ex.proxies.list().map((p) => p.name)).toEqual(['db']);
    const faultsAfter = (await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ apply_id: string; status: string }>;
    expect(faultsAfter).toEqual(faultsBefore);
    expect(faultsAfter.find((f) => f.apply_id === fault.body.apply_id)?.status).toBe('running');
    expect(((await call(ex.url, 'GET', '/proxies/db/toxics')).body as Array<{ name: string }>).map((t) => t.name).sort()).toEqual(toxicsBefore);

    // Every attempt is in the audit trail as refused, with the page's origin.
    const deadline = Date.now() + 15_000;
    let refused: Array<{ subject: string; data: { origin: string | null; status: number; code: string } }> = [];
    for (;;) {
      const events = (await call(ex.url, 'GET', '/v1/events?limit=500')).body.events as Array<{ kind: string; subject: string; data: { origin: string | null; status: number; code: string } }>;
      refused = events.filter((e) => e.kind === 'refused' && e.data.origin === siteOrigin);
      const complete = TARGETS.every((t) => refused.filter((e) => e.subject === `POST ${t}`).length >= 2 && refused.some((e) => e.subject === `OPTIONS ${t}`));
      if (complete || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const t of TARGETS) {
      expect(refused.filter((e) => e.subject === `POST ${t}`).length, `POST ${t}`).toBeGreaterThanOrEqual(2);
      expect(refused.some((e) => e.subject === `OPTIONS ${t}`), `OPTIONS ${t}`).toBe(true);
    }
    expect(new Set(refused.map((e) => e.data.status))).toEqual(new Set([403]));

    // The same calls from a script: application/json, no Origin.
    expect((await call(ex.url, 'POST', '/v1/proxies', { name: 'script_v1', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` })).status).toBe(201);
    expect((await call(ex.url, 'POST', '/proxies', { name: 'script_toxi', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echoPort}` })).status).toBe(201);
    const applied = await call(ex.url, 'POST', '/v1/faults/apply', { service: 'script_v1', fault_type: 'latency', fault_config: { latency: 10 }, duration_seconds: 60 });
    expect(applied.status).toBe(201);
    expect((await call(ex.url, 'POST', '/reset', {})).status).toBe(204);
    expect(((await call(ex.url, 'GET', '/proxies/db/toxics')).body as Array<{ name: string }>).map((t) => t.name)).not.toContain('keep_me');
    const halted = await call(ex.url, 'POST', '/v1/halt', {});
    expect(halted.status).toBe(200);
    expect(((await call(ex.url, 'GET', '/v1/faults')).body.faults as Array<{ status: string }>).filter((f) => f.status === 'running')).toEqual([]);
    expect(ex.proxies.list().map((p) => p.name).sort()).toEqual(['db', 'script_toxi', 'script_v1']);
  }, 120_000);
});
