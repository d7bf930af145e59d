import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import { digestText, type OwnerDigest } from './digest.ts';

/**
 * One SNS message per owner on the notification topic, with message attributes `event=digest` and
 * `owner=<key>=<value>` so each team subscribes with a filter policy to its own digest only
 * (docs/prevention.md "Weekly digest"). Approvers' subscriptions filter on `approver` and never match.
 */
export async function publishDigests(sns: SNSClient, topicArn: string, digests: readonly OwnerDigest[], sweepId: string): Promise<number> {
  let published = 0;
  for (const digest of digests) {
    const { subject, body } = digestText(digest, sweepId);
    const attributes: Record<string, MessageAttributeValue> = {
      event: { DataType: 'String', StringValue: 'digest' },
      owner: { DataType: 'String', StringValue: digest.owner ?? 'none' },
    };
    await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: body, MessageAttributes: attributes }));
    published++;
  }
  return published;
}
