import { afterAll, describe, expect, it } from 'vitest';
import { SWEEP_WORK_BUDGET_SECONDS, sweepTimeoutSeconds } from '../../infra/config.ts';
import { scheduledSweepInput } from '../../infra/hub/schedule.ts';
import { configWith, synthesize } from './synth.ts';

/** Owners and approver groups, deployed: the notice period lengthens the sweep, owners and group approvers get only their own messages. */

const owners = { '333333333333': 'ml-dev-owners@example.com', '444444444444': 'ml-dev-owners@example.com' };
const config = configWith({
  approval: {
    timeoutSeconds: 259_200,
    notifyOwners: true,
    noticeSeconds: 86_400,
    accountOwners: owners,
    groups: [{ name: 'search', approvers: ['search-lead@example.com'], match: { owners: ['search'] } }],
  },
  schedule: { expression: 'cron(0 6 ? * MON *)', mode: 'cleanup' },
});
const synthesized = synthesize(config);
afterAll(() => synthesized.cleanup());

describe('owner notices, deployed', () => {
  it('the execution timeout covers the notice period and the approval window', () => {
    expect(sweepTimeoutSeconds(config)).toBe(86_400 + 259_200 + SWEEP_WORK_BUDGET_SECONDS);
    expect(sweepTimeoutSeconds(configWith({}))).toBe(259_200 + SWEEP_WORK_BUDGET_SECONDS);
  });

  it('scheduled sweeps tell owners first, and each account owner is subscribed once, filtered to their own notices', () => {
    expect(scheduledSweepInput(config).approval).toMatchObject({ notifyOwners: true, noticeSeconds: 86_400, accountOwners: owners });
    const subscriptions = Object.values(
      synthesized.json.Resources as Record<string, { Type: string; Properties: { Endpoint?: string; FilterPolicy?: unknown } }>,
    )
      .filter((r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.Endpoint === 'ml-dev-owners@example.com')
      .map((r) => r.Properties.FilterPolicy);
    expect(subscriptions).toEqual([{ owner: ['ml-dev-owners@example.com'] }]);
  });

  it('group approvers are subscribed to their own links, and scheduled sweeps carry the groups', () => {
    synthesized.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'search-lead@example.com',
      FilterPolicy: { approver: ['search-lead@example.com'] },
    });
    expect(scheduledSweepInput(config).approval).toMatchObject({ groups: [{ name: 'search', requiredApprovals: 1 }] });
  });
});
