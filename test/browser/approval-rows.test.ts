import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { horizontalOverflow, launchBrowser, screenshot } from '../helpers/browser.ts';
import { APPROVERS, TEAM, approvalLink, workflowEnv, workflowScenario, type WorkflowEnv } from '../workflow/harness.ts';

/**
 * The approval page with the rows that carry the most text: an asynchronous zombie (offered scale to
 * zero) and an expired candidate that is still invoked (its loud warning) whose owner was not told, at
 * phone and desktop widths.
 * Screenshots land in test-output/screenshots.
 */

const artifact = (path: string) => ({ uri: `s3://models-${TEAM}/${path}/model.tar.gz`, size: 2048, exists: true });
let env: WorkflowEnv;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ browser } = await launchBrowser());
  env = await workflowEnv(
    workflowScenario({
      endpoints: [
        {
          account: TEAM,
          region: 'us-east-1',
          name: 'translation-queue-async',
          type: 'async',
          createdDaysAgo: 200,
          tags: { team: 'localization' },
          variants: [{ instanceType: 'ml.g4dn.xlarge', model: { artifact: artifact('queue') } }],
        },
        {
          account: TEAM,
          region: 'us-east-1',
          name: 'checkout-ranker-expired-but-busy',
          createdDaysAgo: 200,
          tags: { owner: 'maria.garcia@example.com', 'auto-delete-after': '2026-01-31' },
          variants: [{ instanceType: 'ml.m5.large', model: { artifact: artifact('ranker') }, invocations: [{ daysAgo: [0, 59], perDay: 1200 }] }],
        },
      ],
    }),
  );
  // Owners are told first; nobody subscribed maria.garcia@example.com, so the approvers read that she was not told.
  const sweep = env.start({
    sweepId: 'rows-page',
    mode: 'cleanup',
    detection: { expiredAction: 'candidate' },
    approval: { approvers: APPROVERS, notifyOwners: true, noticeSeconds: 0 },
  });
  await sweep.approvalRequested;
  page = await browser.newPage();
  await page.goto(approvalLink(env.sim, APPROVERS[0]!, 'rows-page'));
});

afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

const row = (name: string) => page.locator('tr', { has: page.locator(`label:text-is("${name}")`) });

describe('approval page rows: scale to zero and expired-but-still-invoked', () => {
  for (const width of [390, 800, 1280]) {
    it(`at ${width} px: the warning and the scale-to-zero choice are visible, nothing scrolls sideways`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, `approval-rows-${width}.png`);
      expect(await horizontalOverflow(page), `at ${width} px`).toEqual({ overflowPx: 0, culprits: [] });
      const warning = row('checkout-ranker-expired-but-busy').locator('th .warn');
      await expect.poll(() => warning.isVisible()).toBe(true);
      expect(await warning.textContent()).toMatch(/^STILL INVOKED: \d+ invocations in the last 30 days\. Something still calls it\./);
      expect(await page.getByRole('alert').first().textContent()).toContain(
        "1 endpoint is STILL INVOKED although its owner's auto-delete-after date passed: checkout-ranker-expired-but-busy.",
      );
      const ownerNote = row('checkout-ranker-expired-but-busy').locator('td[data-label="Owner"] .warn');
      expect(await ownerNote.textContent()).toBe("Owner not told: maria.garcia@example.com has no confirmed subscription to zombie-sweep's notices.");
      const zero = row('translation-queue-async').getByLabel('Scale to zero instead of deleting');
      expect(await zero.isVisible()).toBe(true);
      // The warning sits inside the endpoint's own cell, as wide as the row allows, not squeezed into a sliver.
      const box = await warning.boundingBox();
      expect(box!.width).toBeGreaterThan(width < 500 ? 250 : width < 1000 ? 120 : 180);
    });
  }
});
