import { CreateTopicCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';

/**
 * The hub's notification topic as a deployment sets it up: one confirmed email subscription per
 * address, each with the filter policy that lets through only its own messages (`approver` or `owner`
 * message attribute, src/core/notifier.ts). Returns the topic ARN.
 */
export async function notificationTopic(
  sns: SNSClient,
  subscribers: { approvers?: readonly string[]; owners?: readonly string[] },
  name = 'zombie-sweep-approvals',
): Promise<string> {
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
  const filtered = [...(subscribers.approvers ?? []).map((a) => ['approver', a] as const), ...(subscribers.owners ?? []).map((o) => ['owner', o] as const)];
  for (const [attribute, address] of filtered) {
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'email',
        Endpoint: address,
        Attributes: { FilterPolicy: JSON.stringify({ [attribute]: [address] }) },
      }),
    );
  }
  return topicArn;
}
