import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import type { SweepDeps } from './deps.ts';

/**
 * Sweep notifications on the approvals/reports topic. The `approver` attribute is a String.Array of
 * the sweep's approvers, so each approver's filtered subscription (`{"approver": ["a@x"]}`) matches
 * once and unfiltered subscribers (an ops list) get a single copy.
 * https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html
 */
export async function notify(deps: SweepDeps, message: { subject: string; body: string; approvers: readonly string[]; event: string }): Promise<boolean> {
  if (!deps.topicArn) return false;
  const attributes: Record<string, MessageAttributeValue> = { event: { DataType: 'String', StringValue: message.event } };
  if (message.approvers.length > 0) attributes.approver = { DataType: 'String.Array', StringValue: JSON.stringify(message.approvers) };
  await deps.clients.hub(SNSClient).send(
    new PublishCommand({ TopicArn: deps.topicArn, Subject: message.subject.slice(0, 100), Message: message.body, MessageAttributes: attributes }),
  );
  return true;
}
