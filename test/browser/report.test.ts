import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, Verdict } from '../../src/core/schemas.ts';
import { renderReportHtml } from '../../src/sweep/html.ts';
import type { EndpointAction, SweepReport, TargetReport } from '../../src/sweep/model.ts';
import { summarize } from '../../src/sweep/summary.ts';
import { join } from 'node:path';
import { SCREENSHOT_DIR, horizontalOverflow, launchBrowser, screenshot } from '../helpers/browser.ts';

let browser: Browser;

beforeAll(async () => {
  ({ browser } = await launchBrowser());
});

afterAll(async () => {
  await browser?.close();
});

const VERDICTS: Verdict[] = ['zombie', 'active', 'too-new', 'exempt', 'not-billable', 'error'];

/** An organization-sized report: long names, five-figure costs, every verdict, actions and failed targets. */
function bigReport(): SweepReport {
  const findings: Finding[] = Array.from({ length: 36 }, (_, i) => {
    const verdict = VERDICTS[i % VERDICTS.length]!;
    const accountId = ['111111111111', '222222222222', '333333333333'][i % 3]!;
    const name = i % 5 === 0 ? `recommendations-ranker-very-long-endpoint-name-with-no-breaks-${i}` : `endpoint-${i}`;
    return {
      accountId,
      region: i % 2 ? 'eu-west-1' : 'us-east-1',
      endpointName: name,
      endpointArn: `arn:aws:sagemaker:us-east-1:${accountId}:endpoint/${name}`,
      verdict,
      reason:
        verdict === 'zombie'
          ? 'no invocations in the last 30 days (threshold 0); created 2025-01-04'
          : `${verdict}: a reason written in words that wraps over several lines on a phone`,
      endpointType: 'real-time',
      instanceType: i % 4 === 0 ? 'ml.p4d.24xlarge+ml.g5.12xlarge' : 'ml.g5.2xlarge',
      instanceCount: 1 + (i % 3),
      invocations: verdict === 'active' ? 1_234_567 + i : 0,
      lastInvokedAt: verdict === 'active' ? '2026-11-30T00:00:00.000Z' : i % 4 === 0 ? '2026-09-03T00:00:00.000Z' : null,
      monthlyCostUsd: verdict === 'error' ? null : 1_000 * (i + 1) + 0.5,
      ...(verdict === 'zombie' ? { idleSince: i % 4 === 0 ? '2026-09-04' : 'never' } : {}),
    };
  });
  const actions: EndpointAction[] = findings
    .filter((f) => f.verdict === 'zombie')
    .map((f, i) => ({
      accountId: f.accountId,
      region: f.region,
      endpointName: f.endpointName,
      endpointArn: f.endpointArn,
      monthlyCostUsd: f.monthlyCostUsd,
      snapshot: 'archived',
      tagged: true,
      artifacts: 12,
      bytes: 12_345_678_901,
      decision: i % 2 ? 'rejected' : 'approved',
      deletion: i % 2 ? 'skipped' : 'deleted',
    }));
  const targets: TargetReport[] = [
    { accountId: '111111111111', region: 'us-east-1', status: 'ok', endpoints: 12, zombies: 2, zombieMonthlyCostUsd: 2_000 },
    {
      accountId: '444444444444',
      region: 'ap-southeast-2',
      status: 'unreachable',
      reason: 'AccessDenied: User arn:aws:sts::444444444444:assumed-role/x is not authorized to perform sts:AssumeRole on resource ZombieSweepMemberRole',
      endpoints: 0,
      zombies: 0,
      zombieMonthlyCostUsd: 0,
    },
  ];
  return {
    version: 1,
    sweepId: 'weekly-2026-12-04-a-long-sweep-identifier',
    mode: 'cleanup',
    status: 'completed',
    requestedBy: 'arn:aws:sts::111111111111:assumed-role/PlatformEngineer/maria.garcia@example.com',
    startedAt: '2026-12-04T06:00:00.000Z',
    updatedAt: '2026-12-04T07:00:00.000Z',
    finishedAt: '2026-12-04T07:00:00.000Z',
    archiveBucket: 'zombie-sweep-archive-111111111111-us-east-1',
    detection: { lookbackDays: 30, thresholdInvocations: 0, minAgeDays: 30 },
    targets,
    findings,
    actions,
    approval: { outcome: 'decided', approver: 'finops-lead@example.com', decidedAt: '2026-12-04T06:40:00.000Z', approved: 3, rejected: 3 },
    summary: summarize(targets, findings, actions),
  };
}

async function open(width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.setContent(renderReportHtml(bigReport()));
  return page;
}

describe('the HTML report in a browser', () => {
  for (const width of [390, 1280]) {
    it(`has no horizontal overflow at ${width} px, and its KPI values fit their cards`, async () => {
      const page = await open(width);
      try {
        await screenshot(page, `report-${width}.png`);
        await screenshot(page, `report-${width}-first-screen.png`, false);
        const top = (await page.getByRole('heading', { name: 'Endpoints' }).boundingBox())!.y;
        await page.screenshot({ path: join(SCREENSHOT_DIR, `report-${width}-endpoints.png`), fullPage: true, clip: { x: 0, y: top, width, height: 1200 } });
        expect(await horizontalOverflow(page)).toEqual({ overflowPx: 0, culprits: [] });
        // A KPI value fits when it neither spills out of its card nor wraps onto a second line.
        const spills: string[] = await page.evaluate(
          `[...document.querySelectorAll('.card b')].filter((b) => b.scrollWidth > b.clientWidth + 0.5 || b.offsetHeight > 1.5 * parseFloat(getComputedStyle(b).lineHeight)).map((b) => b.textContent)`,
        );
        expect(spills).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }

  it('writes counts and amounts with thousands separators', async () => {
    const page = await open(1280);
    try {
      const text = (await page.textContent('body'))!;
      expect(text).toMatch(/1,234,5\d\d/); // invocations
      expect(text).toMatch(/\$\d{2},\d{3}/); // a five-figure monthly cost
      expect(text).toContain('72 objects, 69.0 GiB'); // six archived zombies of 12 objects each
    } finally {
      await page.close();
    }
  });
});
