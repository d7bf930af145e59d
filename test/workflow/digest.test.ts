/**
 * The weekly digest through the real state machine: a report sweep started with `digest: true` (what
 * the schedule sends when `schedule.digest` is set) publishes one message per owner; a team subscribed
 * with a filter on its owner attribute receives its own digest only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import { TEAM, workflowEnv, workflowScenario, type WorkflowEnv } from './harness.ts';

let env: WorkflowEnv | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

const artifact = (path: string) => ({ uri: `s3://models-${TEAM}/${path}/model.tar.gz`, size: 2048, exists: true });

describe('weekly digest', () => {
  it('a report sweep with digest publishes each owner their idle and exempt endpoints, cost and days until auto-delete-after', async () => {
    env = await workflowEnv(
      workflowScenario({
        endpoints: [
          {
            account: TEAM,
            region: 'us-east-1',
            name: 'fraud-idle',
            createdDaysAgo: 200,
            tags: { team: 'fraud' },
            variants: [{ instanceType: 'ml.m5.large', model: { artifact: artifact('fraud-idle') } }],
          },
          {
            account: TEAM,
            region: 'us-east-1',
            name: 'fraud-kept',
            createdDaysAgo: 100,
            tags: { team: 'fraud', 'auto-delete-after': '2099-01-01' },
            variants: [{ instanceType: 'ml.m5.large', model: { artifact: artifact('fraud-kept') } }],
          },
        ],
      }),
    );
    const sns = new SNSClient(env.sim.clientConfig());
    await sns.send(
      new SubscribeCommand({
        TopicArn: env.topicArn,
        Protocol: 'email',
        Endpoint: 'fraud-team@example.com',
        Attributes: { FilterPolicy: JSON.stringify({ event: ['digest'], owner: ['team=fraud'] }) },
      }),
    );

    const result = await env.start({ sweepId: 'weekly-digest', mode: 'report', digest: true }).done;
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');

    const mails = snsOutbox(env.sim.world).to('fraud-team@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/^SageMaker endpoints of team=fraud: 1 idle of 2, \$/);
    expect(mails[0]!.message).toMatch(/- fraud-idle \(\d{12}, us-east-1\): IDLE, \$[\d.]+\/month, no auto-delete-after tag/);
    // The 2099 date is capped at creation + 365 days (detection.autoDeleteMaxDays): 265 days from now.
    expect(mails[0]!.message).toMatch(/- fraud-kept \(\d{12}, us-east-1\): exempt, \$[\d.]+\/month, auto-delete-after \d{4}-\d{2}-\d{2} \(in 26[45] days\)/);
  });
});
