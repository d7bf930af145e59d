import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBrowser, horizontalOverflow, launchBrowser } from '../helpers/browser.ts';

/**
 * A fresh machine has no Chrome and no Chromium: the browser tests must still run with nothing but
 * `npm ci`. Hiding every system browser forces the Chromium that the npm devDependency ships.
 */
describe('the browser the browser tests use', () => {
  it('is the npm-shipped Chromium when no system browser exists, and it renders a page', async () => {
    const env = { ...process.env, CHROME_PATH: '' };
    const { browser, found } = await launchBrowser({ env, systemCandidates: [] });
    try {
      expect(found.source).toBe('bundled');
      const page = await browser.newPage({ viewport: { width: 390, height: 600 } });
      await page.setContent('<!doctype html><p id="p">Last invoked never · $12,345.67/month</p>');
      expect(await page.textContent('#p')).toBe('Last invoked never · $12,345.67/month');
      expect(await horizontalOverflow(page)).toEqual({ overflowPx: 0, culprits: [] });
    } finally {
      await browser.close();
    }
  });

  it('unpacks the bundled Chromium into an empty cache folder, as on a fresh clone', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'zombie-sweep-browser-'));
    try {
      const found = await findBrowser({ env: {}, systemCandidates: [], cacheDir });
      expect(found.executablePath.startsWith(cacheDir)).toBe(true);
      expect(found.env.LD_LIBRARY_PATH).toContain(cacheDir);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('honours CHROME_PATH first, and names it when it points nowhere', async () => {
    await expect(findBrowser({ env: { CHROME_PATH: '/nonexistent/chrome' } })).rejects.toThrow(/CHROME_PATH is set to \/nonexistent\/chrome/);
    const found = await findBrowser({ env: { CHROME_PATH: process.execPath }, systemCandidates: [] });
    expect(found).toMatchObject({ source: 'CHROME_PATH', executablePath: process.execPath });
  });
});
