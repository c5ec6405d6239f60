// A real headless Chromium for the portal's browser tests and its screenshots (docs/portal.md), from npm packages
// alone: the browser binary ships (brotli-compressed) inside @sparticuz/chromium and puppeteer-core drives it, so a
// fresh `npm ci` needs no download and no system browser. CHROMIUM_PATH points at another binary instead.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const execFileAsync = promisify(execFile);

export const repoRoot = path.resolve(__dirname, '../..');

/** The network is closed here: nothing in the browser may try to reach out (updates, sync, first-run pages). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The package's version (its exports hide package.json; build folders have package.json files of their own). */
function packageVersion(): string {
  for (let dir = path.dirname(require.resolve('@sparticuz/chromium')); dir !== path.dirname(dir);) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@sparticuz/chromium' && pkg.version) return pkg.version;
    }
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the version of @sparticuz/chromium');
}

let extracting: Promise<string> | undefined;

/**
 * The Chromium binary, extracted once per package version into node_modules/.cache (the package's own default is a
 * shared /tmp/chromium, reused whatever its version or state). Extraction goes to a private folder that is then
 * renamed into place, so two test processes extracting at once cannot see half a binary.
 */
export function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return Promise.resolve(process.env.CHROMIUM_PATH);
  extracting ??= (async () => {
    const dir = path.join(repoRoot, 'node_modules', '.cache', 'sparticuz-chromium', packageVersion());
    const binary = path.join(dir, 'chromium');
    if (existsSync(binary)) return binary;
    await mkdir(path.dirname(dir), { recursive: true });
    const partial = await mkdtemp(`${dir}.partial-`);
    // The package extracts into os.tmpdir(), which follows TMPDIR: set in a child process, as jest's process.env is
    // only a copy.
    await execFileAsync(
      process.execPath,
      ['-e', "require('@sparticuz/chromium').executablePath().then((p) => console.log(p))"],
      { cwd: repoRoot, env: { ...process.env, TMPDIR: partial }, timeout: 120_000 },
    );
    if (!existsSync(path.join(partial, 'chromium')))
      throw new Error(`Chromium was not extracted into ${partial}`);
    try {
      await rename(partial, dir);
    } catch (err) {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(binary)) throw err; // Another process got there first otherwise.
    }
    return binary;
  })();
  return extracting;
}

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: await chromiumPath(),
    headless: true,
    args: CHROMIUM_FLAGS,
    // Pages are looked at as a laptop shows them unless a test says otherwise.
    defaultViewport: { width: 1200, height: 900 },
  });
}

/** Waits for the navigation `action` causes (a click on a link or a submit button). */
export async function navigating(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), action()]);
}

/** The visible text of the first element matching `selector` ('' when there is none). */
export async function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (el) => (el as HTMLElement).innerText).catch(() => '');
}
