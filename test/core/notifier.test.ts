import { describe, expect, it } from 'vitest';
import { PublishCommand } from '@aws-sdk/client-sns';
import { notifierFor, type KeptNotification } from '../../src/core/notifier.ts';

describe('notifier chosen by configuration', () => {
  const message = { subject: 'x'.repeat(120), body: 'hello', attributes: { owner: 'ana@example.com', approver: ['a@example.com', 'b@example.com'] } };

  it('SNS: String and String.Array attributes, subject cut to the email limit', async () => {
    const sent: PublishCommand[] = [];
    const clients = { hub: () => ({ send: async (c: PublishCommand) => void sent.push(c) }) } as never;
    await notifierFor({ kind: 'sns', topicArn: 'arn:aws:sns:us-east-1:111111111111:t' }, clients).publish(message);
    expect(sent[0]!.input).toMatchObject({
      TopicArn: 'arn:aws:sns:us-east-1:111111111111:t',
      Subject: 'x'.repeat(100),
      Message: 'hello',
      MessageAttributes: {
        owner: { DataType: 'String', StringValue: 'ana@example.com' },
        approver: { DataType: 'String.Array', StringValue: '["a@example.com","b@example.com"]' },
      },
    });
  });

  it('local: kept for the CLI to print, never published', async () => {
    const kept: KeptNotification[] = [];
    const clients = {
      hub: () => {
        throw new Error('no client expected');
      },
    } as never;
    await notifierFor({ kind: 'local', kept }, clients).publish(message);
    expect(kept).toEqual([
      { subject: 'x'.repeat(100), message: 'hello', attributes: { owner: 'ana@example.com', approver: '["a@example.com","b@example.com"]' } },
    ]);
  });
});
