import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../src/sweep/model.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { APPROVERS, TEAM, approvalLink, endpointArn, endpointEvents, json, liveEndpoints, sagemakerAs, tagsOf, types, workflowEnv, type WorkflowEnv } from '../workflow/harness.ts';

let env: WorkflowEnv;
let browser: Browser;

beforeAll(async () => {
  ({ browser } = await launchBrowser());
  env = await workflowEnv();
});

afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

describe('the approval page in a browser', () => {
  it('shows the candidates, lets the approver untick one and approve, and the sweep deletes exactly the others', async () => {
    const sweep = env.start({ sweepId: 'browser-1', mode: 'cleanup' });
    await sweep.approvalRequested;
    const page = await browser.newPage();
    await page.goto(approvalLink(env.sim, APPROVERS[0]!, 'browser-1'));

    // Every candidate is listed and ticked; opening the page decided nothing.
    const boxes = page.locator('input[type="checkbox"][name="endpoint"]');
    expect(await boxes.count()).toBe(3);
    for (let i = 0; i < 3; i++) expect(await boxes.nth(i).isChecked()).toBe(true);
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-a', 'idle-b', 'idle-c']);
    expect(await page.textContent('body')).toContain('idle-b');

    await page.locator(`input[name="endpoint"][value="${endpointArn(TEAM, 'idle-b')}"]`).uncheck();
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: /delete the ticked/i }).click()]);
    expect(await page.textContent('body')).toMatch(/recorded|decided|approved/i);

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
});
