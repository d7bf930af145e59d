import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import { horizontalOverflow, launchBrowser, screenshot } from '../helpers/browser.ts';
import { APPROVERS, TEAM, approvalLink, decideOnPage, liveEndpoints, workflowEnv, workflowScenario, type WorkflowEnv } from '../workflow/harness.ts';

/** The owner's veto page in a real browser: readable from 360 px up, and its Keep button keeps the endpoint. */

const OWNER = 'maria.garcia@example.com';
let env: WorkflowEnv;
let browser: Browser;

beforeAll(async () => {
  ({ browser } = await launchBrowser());
  const scenario = workflowScenario();
  for (const e of scenario.endpoints ?? []) if (e.name.startsWith('idle-')) e.tags = { owner: OWNER };
  env = await workflowEnv(scenario);
  await new SNSClient(env.sim.clientConfig()).send(
    new SubscribeCommand({ TopicArn: env.topicArn, Protocol: 'email', Endpoint: OWNER, Attributes: { FilterPolicy: JSON.stringify({ owner: [OWNER] }) } }),
  );
});

afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

describe('the veto page', () => {
  it('fits phone and desktop widths, and Keep vetoes one endpoint', async () => {
    const sweep = env.start({ sweepId: 'veto-page', mode: 'cleanup', approval: { approvers: APPROVERS, notifyOwners: true, noticeSeconds: 0 } } as never);
    await sweep.approvalRequested;
    const url = snsOutbox(env.sim.world)
      .to(OWNER)[0]!
      .message.match(/https?:\/\/\S+owner=\S+/)![0];
    const page = await browser.newPage();
    await page.goto(url);
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await horizontalOverflow(page), `at ${width} px`).toEqual({ overflowPx: 0, culprits: [] });
      await screenshot(page, `veto-page-${width}.png`);
    }
    await page.getByRole('button', { name: 'Keep idle-b' }).click();
    await page.waitForLoadState();
    expect(await page.textContent('body')).toContain('idle-b is kept');
    await screenshot(page, 'veto-page-kept-1280.png');
    await page.close();

    expect((await decideOnPage(approvalLink(env.sim, APPROVERS[0]!, 'veto-page'), {})).status).toBe(200);
    expect((await sweep.done).status).toBe('SUCCEEDED');
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-b']);
  });
});
