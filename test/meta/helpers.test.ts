import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { listenOnFreePort, reservePort, withReservedPort } from '../helpers/ports.js';
import { summariseSkips } from '../helpers/tools.js';

describe('test helpers', () => {
  it('runs the built CLI (dist/cli/main.js) and returns its exit code and output', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('gives a server the port it listened on', async () => {
    const server = createServer();
    const port = await listenOnFreePort(server);
    expect(port).toBeGreaterThan(0);
    expect((server.address() as { port: number }).port).toBe(port);
    await new Promise((r) => server.close(r));
  });

  it('reserves ports below the ephemeral range and retries one that is taken', async () => {
    const taken = await reservePort();
    expect(taken).toBeGreaterThanOrEqual(20_000);
    expect(taken).toBeLessThan(32_768);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(taken, '127.0.0.1', r));
    let first = true;
    const got = await withReservedPort(async (port) => {
      if (first) {
        first = false;
        const err = Object.assign(new Error(`listen EADDRINUSE 127.0.0.1:${taken}`), { code: 'EADDRINUSE' });
        throw err;
      }
      return port;
    });
    expect(got).not.toBe(taken);
    await new Promise((r) => blocker.close(r));
  });

  it('summarises skipped tools as one line with the install command', () => {
    const line = summariseSkips([
      JSON.stringify({ name: 'influxd', debianPackage: 'influxdb' }),
      JSON.stringify({ name: 'influxd', debianPackage: 'influxdb' }),
      JSON.stringify({ name: 'prometheus-pushgateway', debianPackage: 'prometheus-pushgateway' }),
    ]);
    expect(line).toBe(
      "[skipped] tests needing influxd (influxdb); prometheus-pushgateway (prometheus-pushgateway) did not run; install with: sudo apt-get install -y influxdb prometheus-pushgateway",
    );
    expect(summariseSkips([])).toBeNull();
  });
});

describe('findChromium', () => {
  it('falls back to the Chromium that @sparticuz/chromium ships when no system one is found, and it runs pages', async () => {
    const { findChromium, launchChromium } = await import('../helpers/browser.js');
    const saved = process.env['CHROMIUM_PATH'];
    delete process.env['CHROMIUM_PATH'];
    try {
      const found = await findChromium({ systemCandidates: [] });
      expect(found.source).toBe('@sparticuz/chromium');
      const browser = await launchChromium({}, found);
      const page = await browser.newPage();
      await page.setContent('<p id="x">static</p><script>document.getElementById("x").textContent = "ran"</script>');
      expect(await page.textContent('#x')).toBe('ran');
      await browser.close();
    } finally {
      if (saved !== undefined) process.env['CHROMIUM_PATH'] = saved;
    }
  }, 120_000);
});
