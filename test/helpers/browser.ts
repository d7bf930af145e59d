import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { extract } from 'tar-fs';

/**
 * The browser the browser tests drive, found the way a user expects:
 *   1. `CHROME_PATH`, when set (an error if it names nothing);
 *   2. a Chrome or Chromium installed on the machine;
 *   3. the headless Chromium that the `@sparticuz/chromium` devDependency ships inside its npm
 *      tarball (x64 Linux), so `npm ci && npm test` needs no apt, no root and no download.
 * The bundled build is unpacked once per version under node_modules/.cache, with the NSS libraries
 * it ships (Debian images without a browser lack them) and its own font.
 */

export type BrowserSource = 'CHROME_PATH' | 'system' | 'bundled';

export interface FoundBrowser {
  executablePath: string;
  source: BrowserSource;
  /** Extra environment for the browser process (library path and fonts of the bundled build). */
  env: Record<string, string>;
}

export interface FindBrowserOptions {
  env?: NodeJS.ProcessEnv;
  /** Where to look for an installed browser; `[]` hides every system browser. */
  systemCandidates?: readonly string[];
  cacheDir?: string;
}

export const SYSTEM_BROWSERS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Without the background-networking flags Chromium keeps dialling Google's hosts, which a closed
 * network refuses many times a second. `--no-sandbox` because CI runs as root.
 */
const ARGS = [
  '--no-sandbox',
  '--no-zygote',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function findBrowser(options: FindBrowserOptions = {}): Promise<FoundBrowser> {
  const env = options.env ?? process.env;
  const fromEnv = env.CHROME_PATH?.trim();
  if (fromEnv) {
    if (!existsSync(fromEnv))
      throw new Error(
        `CHROME_PATH is set to ${fromEnv}, which does not exist: point it at a Chrome or Chromium binary, or unset it to use the bundled Chromium`,
      );
    return { executablePath: fromEnv, source: 'CHROME_PATH', env: {} };
  }
  const installed = (options.systemCandidates ?? SYSTEM_BROWSERS).find((path) => existsSync(path));
  if (installed) return { executablePath: installed, source: 'system', env: {} };
  return bundledChromium(options.cacheDir ?? join(REPO_ROOT, 'node_modules', '.cache', 'zombie-sweep'));
}

export async function launchBrowser(options: FindBrowserOptions = {}): Promise<{ browser: Browser; found: FoundBrowser }> {
  const found = await findBrowser(options);
  const browser = await chromium.launch({ executablePath: found.executablePath, headless: true, args: ARGS, env: { ...processEnv(), ...found.env } });
  return { browser, found };
}

function processEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

async function bundledChromium(cacheRoot: string): Promise<FoundBrowser> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `no Chrome or Chromium found, and the bundled Chromium runs on x64 Linux only (this is ${process.platform}/${process.arch}): install Chrome or set CHROME_PATH`,
    );
  }
  // The package's exports hide package.json and bin/, so it is found where npm installs it.
  const packageDir = join(REPO_ROOT, 'node_modules', '@sparticuz', 'chromium');
  if (!existsSync(join(packageDir, 'bin', 'chromium.br')))
    throw new Error('no Chrome or Chromium found, and the devDependency @sparticuz/chromium is not installed: run npm ci, or set CHROME_PATH');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(cacheRoot, `chromium-${version}`);
  if (!existsSync(join(dir, 'chromium'))) await unpack(join(packageDir, 'bin'), dir);
  return {
    executablePath: join(dir, 'chromium'),
    source: 'bundled',
    env: { LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'), FONTCONFIG_FILE: join(dir, 'fonts.conf') },
  };
}

/** Unpacks into a private folder and renames it into place, so parallel test workers never see half a browser. */
async function unpack(bin: string, dir: string): Promise<void> {
  const staging = `${dir}.${process.pid}-${randomUUID()}`;
  await mkdir(staging, { recursive: true });
  try {
    await Promise.all([
      pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(staging, 'chromium'), { mode: 0o755 })),
      untar(join(bin, 'al2023.tar.br'), staging),
      untar(join(bin, 'fonts.tar.br'), join(staging, 'fonts')),
    ]);
    // The shipped fonts.conf names Lambda's /tmp paths; this one names the unpacked font, then the system's.
    await writeFile(
      join(staging, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(dir, 'fonts', 'fonts')}</dir>\n  <dir>/usr/share/fonts</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another worker finished first: its copy is complete (rename is atomic), use it.
    if (existsSync(join(dir, 'chromium'))) return;
    throw error;
  }
}

async function untar(archive: string, into: string): Promise<void> {
  await pipeline(createReadStream(archive), createBrotliDecompress(), extract(into));
}

/**
 * How far the page is wider than the viewport (0 = no horizontal scroll), with the widest elements
 * that stick out, so a failing layout names its culprit. Runs in the page (a string: no DOM types here).
 */
export async function horizontalOverflow(page: Page): Promise<{ overflowPx: number; culprits: string[] }> {
  return page.evaluate(`(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const culprits = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5)
      .slice(0, 5)
      .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' right=' + Math.round(el.getBoundingClientRect().right));
    return { overflowPx: root.scrollWidth - width, culprits };
  })()`);
}

/** Screenshots for a person to look at (git-ignored). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots');

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, name);
  // Headless Chromium sometimes has no frame to capture yet right after a load; one painted frame later it has.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(null)))');
  try {
    await page.screenshot({ path, fullPage });
  } catch (error) {
    if (!String(error).includes('Unable to capture screenshot')) throw error;
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(null)))');
    await page.screenshot({ path, fullPage });
  }
  return path;
}
