import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { money, totalMonthly } from '../../src/cleanup/approval/page.ts';
import { readApprovalRecord, readDecisionRecord } from '../../src/cleanup/approval/store.ts';
import type { SweepReport } from '../../src/sweep/model.ts';
import { horizontalOverflow, launchBrowser, screenshot } from '../helpers/browser.ts';
import {
  APPROVERS,
  BUCKET,
  TEAM,
  approvalLink,
  endpointArn,
  endpointEvents,
  json,
  liveEndpoints,
  sagemakerAs,
  tagsOf,
  types,
  workflowEnv,
  workflowScenario,
  type WorkflowEnv,
} from '../workflow/harness.ts';

let env: WorkflowEnv;
let browser: Browser;

/** The workflow scenario, with the owner tags an approver looks for on one of the zombies. */
function scenarioWithOwners() {
  const scenario = workflowScenario();
  const idleA = scenario.endpoints!.find((e) => e.name === 'idle-a')!;
  idleA.tags = { Owner: 'maria.garcia@example.com', team: 'fraud', env: 'staging' };
  return scenario;
}

beforeAll(async () => {
  ({ browser } = await launchBrowser());
  env = await workflowEnv(scenarioWithOwners());
});

afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

async function expectNoOverflowAt(page: Page, width: number, shot?: string): Promise<void> {
  await page.setViewportSize({ width, height: 900 });
  expect(await horizontalOverflow(page), `at ${width} px`).toEqual({ overflowPx: 0, culprits: [] });
  if (shot) await screenshot(page, `${shot}-${width}.png`);
}

/** One fact of one endpoint's row (cards on a phone label each fact with its column name). */
async function cell(page: Page, endpoint: string, label: string): Promise<string | null> {
  return page
    .locator('tr', { has: page.locator(`label:text-is("${endpoint}")`) })
    .locator(`td[data-label="${label}"]`)
    .textContent();
}

async function nothingDecided(sweepId: string): Promise<void> {
  expect(await readDecisionRecord(env.s3, BUCKET, sweepId)).toBeUndefined();
  expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a', 'idle-b', 'idle-c']);
}

describe('the approval page in a browser', () => {
  it('fits a phone and a desktop, decides nothing on GET or reload, confirms count and cost, then deletes exactly the ticked endpoints', async () => {
    const sweep = env.start({ sweepId: 'browser-1', mode: 'cleanup' });
    await sweep.approvalRequested;
    const page = await browser.newPage({ viewport: { width: 390, height: 900 } });
    await page.goto(approvalLink(env.sim, APPROVERS[0]!, 'browser-1'));

    // Every candidate is listed and ticked, with what an approver decides on.
    const boxes = page.locator('input[type="checkbox"][name="endpoint"]');
    expect(await boxes.count()).toBe(3);
    for (let i = 0; i < 3; i++) expect(await boxes.nth(i).isChecked()).toBe(true);
    expect(await cell(page, 'idle-a', 'Owner')).toBe('Owner=maria.garcia@example.com, team=fraud');
    expect(await cell(page, 'idle-c', 'Owner')).toBe('none');
    expect(await cell(page, 'idle-a', 'Last invoked')).toBe('never');
    expect(await cell(page, 'idle-b', 'Last invoked')).toMatch(/^\d{4}-\d{2}-\d{2}$/); // 90 days ago
    expect(await cell(page, 'idle-c', 'Age')).toMatch(/^150 days \(created \d{4}-\d{2}-\d{2}\)$/);
    await expectNoOverflowAt(page, 390, 'approval');
    await expectNoOverflowAt(page, 360);
    await expectNoOverflowAt(page, 1280, 'approval');

    // Opening the page, and opening it again, decided nothing.
    await page.reload();
    expect(await boxes.count()).toBe(3);
    await nothingDecided('browser-1');

    // Deleting asks first, with the count and the monthly cost of exactly the ticked endpoints.
    await page.setViewportSize({ width: 390, height: 900 });
    await page.locator(`input[name="endpoint"][value="${endpointArn(TEAM, 'idle-b')}"]`).uncheck();
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: /delete the ticked/i }).click()]);
    const record = (await readApprovalRecord(env.s3, BUCKET, 'browser-1'))!.value;
    const ticked = record.candidates.filter((c) => c.endpointName !== 'idle-b');
    const cost = money(totalMonthly(ticked).total);
    expect(await page.textContent('h1')).toBe('Confirm: delete 2 endpoints');
    expect(await page.textContent('body')).toContain(`Delete 2 endpoints, ${cost} per month?`);
    await expectNoOverflowAt(page, 390, 'approval-confirm');
    await nothingDecided('browser-1');

    const confirm = page.getByRole('button', { name: `Yes, delete 2 endpoints (${cost}/month)` });
    // The irreversible button is the danger colour.
    expect(await confirm.evaluate((button) => (globalThis as any).getComputedStyle(button).backgroundColor)).toBe('rgb(179, 38, 30)');
    await Promise.all([page.waitForLoadState('load'), confirm.click()]);
    expect(await page.textContent('body')).toMatch(/You approved deletion of 2 endpoints; 1 endpoint is kept/);
    await expectNoOverflowAt(page, 390, 'approval-decided');

    const result = await sweep.done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-b']);
    expect((await tagsOf(await sagemakerAs(env.sim, TEAM), TEAM, 'idle-b')).zombie).toBe('rejected');
    for (const name of ['idle-a', 'idle-c']) {
      const events = await endpointEvents(env.s3, TEAM, name);
      expect(types(events)).toContain('deleted');
      expect(events.find((e) => e.type === 'approved')?.actor).toBe(APPROVERS[0]);
    }
    const report = await json<SweepReport>(env.s3, 'sweeps/browser-1/report.json');
    expect(report.summary).toMatchObject({ approved: 2, rejected: 1, deleted: 2 });
  });

  it('answers a KMS outage with a busy page that fits a phone and links back to the approval page', async () => {
    const link = approvalLink(env.sim, APPROVERS[0]!, 'browser-1');
    // More failing calls than the SDK's attempts: the link cannot be verified just now.
    env.sim.traffic.inject({ service: 'kms', times: 10, error: { code: 'ServiceUnavailable', message: 'unavailable', status: 503 } });
    const page = await browser.newPage({ viewport: { width: 390, height: 900 } });
    const busy = await page.goto(link);
    expect(busy?.status()).toBe(503);
    expect(busy?.headers()['retry-after']).toBe('30');
    expect(await page.textContent('h1')).toBe('Busy: try again in a minute');
    await expectNoOverflowAt(page, 390, 'approval-busy');
    await expectNoOverflowAt(page, 1280, 'approval-busy');

    env.sim.traffic.clearFaults();
    const back = await page.getAttribute('a.button', 'href');
    expect(new URL(back!, link).toString()).toBe(link);
  });
});
