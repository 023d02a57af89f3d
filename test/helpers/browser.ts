/**
 * One way for tests to get a headless Chromium, on any machine, without a download at run time:
 *
 * 1. `CHROMIUM_PATH`, if set (it must exist);
 * 2. a system Chromium (`/usr/bin/chromium`, Debian's package, or a Chrome);
 * 3. otherwise the Chromium that the `@sparticuz/chromium` devDependency ships inside the npm
 *    package (brotli-compressed; unpacked once into the temp folder, under a lock so that two
 *    test workers do not unpack it at the same time).
 *
 * So `npm ci && npm test` runs the browser tests on a fresh machine; nothing skips.
 *
 * @example
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 */
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Where a Chromium was found. */
export interface FoundChromium {
  readonly executablePath: string;
  /** The flags to launch it with (no sandbox: tests may run as root). */
  readonly args: readonly string[];
  readonly source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

const SYSTEM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Holds a lock folder in the temp folder while `fn` runs (a stale lock, over 2 minutes old, is broken). */
async function withTempLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `${name}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lock}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Finds a Chromium as the module comment says.
 * @throws when `CHROMIUM_PATH` names no executable, or when `@sparticuz/chromium` is not installed.
 */
export async function findChromium(options: { systemCandidates?: readonly string[] } = {}): Promise<FoundChromium> {
  const override = process.env['CHROMIUM_PATH'];
  if (override) {
    if (!executable(override)) throw new Error(`CHROMIUM_PATH=${override} is not an executable file: unset it or point it at a Chromium`);
    return { executablePath: override, args: BASE_ARGS, source: 'CHROMIUM_PATH' };
  }
  const system = (options.systemCandidates ?? SYSTEM_CANDIDATES).find(executable);
  if (system !== undefined) return { executablePath: system, args: BASE_ARGS, source: 'system' };
  const { default: packaged } = await import('@sparticuz/chromium');
  const executablePath = await withTempLock('faultline-sparticuz-chromium', () => packaged.executablePath());
  return { executablePath, args: [...new Set([...packaged.args, ...BASE_ARGS])], source: '@sparticuz/chromium' };
}

/** Launches a headless Chromium found by {@link findChromium}. */
export async function launchChromium(options: Omit<LaunchOptions, 'executablePath'> = {}, found?: FoundChromium): Promise<Browser> {
  found ??= await findChromium();
  return chromium.launch({ headless: true, ...options, executablePath: found.executablePath, args: [...found.args, ...(options.args ?? [])] });
}
