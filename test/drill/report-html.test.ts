import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { renderHtmlReport } from '../../src/drill/index.js';
import { launchChromium } from '../helpers/browser.js';
import { sampleJournal } from '../helpers/journal-fixture.js';


describe('renderHtmlReport', () => {
  it('is one self-contained page: no external script, style or image', () => {
    const html = renderHtmlReport(sampleJournal());
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    expect(html).toContain('uPlot');
  });

  it('escapes what the drill and the service wrote', () => {
    const html = renderHtmlReport(sampleJournal({ results: { note: '<script>alert(1)</script>' } }));
    expect(html).toContain('payment &lt;db&gt; outage');
    expect(html).not.toContain('<script>alert(1)</script>');
  });

  it('puts the verdict first and names why a failed run failed', () => {
    const html = renderHtmlReport(
      sampleJournal({ status: 'failed', verdict: { exitCode: 2, hypothesisHeld: false, recovered: true, reasons: ['2 payments lost'] } }),
    );
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('<h2>'));
    expect(html).toContain('FAILED');
    expect(html).toContain('2 payments lost');
  });
});

// A system Chromium, or the one the @sparticuz/chromium devDependency ships: this never skips.
describe('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-report-'));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens with no console errors, shows the verdict and draws the charts', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtmlReport(sampleJournal()));
    const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('#chart-rate canvas');

    expect(await page.textContent('#verdict')).toContain('PASSED');
    // A blank canvas has (almost) no painted pixels; a drawn chart has series lines and a shaded fault window.
    // Runs in the page (a string, so that this Node-typed file needs no DOM types).
    const painted = (await page.evaluate(`[...document.querySelectorAll('canvas')].map((c) => {
      const ctx = c.getContext('2d');
      if (!ctx) return 0;
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n / (c.width * c.height);
    })`)) as number[];
    expect(painted.length).toBe(2);
    for (const share of painted) expect(share).toBeGreaterThan(0.01);
    // The fault window is shaded: the pixel in the middle of it (t = 15 s) is reddish.
    const shaded = (await page.evaluate(`(() => {
      const u = window.__faultlineCharts[0];
      if (!u) return null;
      const x = Math.round(u.valToPos(15, 'x', true));
      const y = Math.round(u.bbox.top + u.bbox.height * 0.05);
      return [...u.ctx.getImageData(x, y, 1, 1).data];
    })()`)) as number[] | null;
    expect(shaded).not.toBeNull();
    const [r, g, b, a] = shaded as number[];
    expect(a).toBeGreaterThan(0);
    expect(r).toBeGreaterThan(g as number);
    expect(r).toBeGreaterThan(b as number);
    if (process.env.FAULTLINE_SCREENSHOT) await page.screenshot({ path: process.env.FAULTLINE_SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
