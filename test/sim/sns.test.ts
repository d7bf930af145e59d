import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CreateTopicCommand,
  InvalidParameterException,
  InvalidParameterValueException,
  ListSubscriptionsByTopicCommand,
  NotFoundException,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
  paginateListSubscriptionsByTopic,
} from '@aws-sdk/client-sns';
import type { Simulator } from '../../local/sim/server.ts';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import { MGMT, startSmallOrg } from './core-fixtures.ts';

let sim: Simulator;
let sns: SNSClient;

beforeAll(async () => {
  sim = await startSmallOrg();
  sns = new SNSClient({ ...sim.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  sns.destroy();
  await sim.stop();
});
beforeEach(() => snsOutbox(sim.world).clear());

async function topic(name: string): Promise<string> {
  return (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
}

async function subscribe(topicArn: string, endpoint: string, attributes: Record<string, string> = {}, protocol = 'email'): Promise<string> {
  return (
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint, Attributes: attributes, ReturnSubscriptionArn: true }))
  ).SubscriptionArn!;
}

describe('SNS topics and subscriptions', () => {
  it('creates topics idempotently and refuses a re-create with different attributes', async () => {
    const arn = await topic('approvals');
    expect(arn).toBe(`arn:aws:sns:us-east-1:${MGMT}:approvals`);
    expect(await topic('approvals')).toBe(arn);
    await expect(sns.send(new CreateTopicCommand({ Name: 'approvals', Attributes: { DisplayName: 'other' } }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(sns.send(new CreateTopicCommand({ Name: 'bad name!' }))).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('answers "pending confirmation" for email unless ReturnSubscriptionArn, and is idempotent per endpoint', async () => {
    const arn = await topic('confirmations');
    const pending = await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'email', Endpoint: 'bob@example.com' }));
    expect(pending.SubscriptionArn).toBe('pending confirmation');
    const subArn = await subscribe(arn, 'bob@example.com');
    expect(subArn).toMatch(new RegExp(`^${arn}:[0-9a-f-]{36}$`));
    expect(await subscribe(arn, 'bob@example.com')).toBe(subArn);
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
    expect(listed.Subscriptions).toEqual([{ SubscriptionArn: subArn, Owner: MGMT, Protocol: 'email', Endpoint: 'bob@example.com', TopicArn: arn }]);
    await expect(sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'email', Endpoint: 'not-an-email' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'carrier-pigeon', Endpoint: 'x' }))).rejects.toBeInstanceOf(
      InvalidParameterException,
    );
    await expect(
      sns.send(new SubscribeCommand({ TopicArn: `arn:aws:sns:us-east-1:${MGMT}:missing`, Protocol: 'email', Endpoint: 'a@b.c' })),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it('pages ListSubscriptionsByTopic through the paginator', async () => {
    const arn = await topic('many-hooks');
    for (let i = 0; i < 105; i++) await subscribe(arn, `https://hooks.example.com/${i}`, {}, 'https');
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListSubscriptionsByTopic({ client: sns }, { TopicArn: arn })) {
      pages++;
      seen.push(...(page.Subscriptions ?? []).map((s) => s.Endpoint!));
    }
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(105);
  });
});

describe('SNS publish and the outbox', () => {
  it('delivers one message per subscription whose filter policy matches', async () => {
    const arn = await topic('sweep-approvals');
    await subscribe(arn, 'alice@example.com', { FilterPolicy: JSON.stringify({ approver: ['alice@example.com'] }) });
    await subscribe(arn, 'bob@example.com', { FilterPolicy: JSON.stringify({ approver: ['bob@example.com'] }) });
    await subscribe(arn, 'audit@example.com', { FilterPolicy: JSON.stringify({ approver: [{ exists: true }], cost: [{ numeric: ['>=', 1000] }] }) });
    await subscribe(arn, 'everything@example.com');

    const link = 'http://127.0.0.1:4566/approve?token=abc&sig=def';
    const published = await sns.send(
      new PublishCommand({
        TopicArn: arn,
        Subject: 'Approve deletion of 3 idle endpoints',
        Message: `Review: ${link}.`,
        MessageAttributes: { approver: { DataType: 'String', StringValue: 'alice@example.com' }, cost: { DataType: 'Number', StringValue: '1500.5' } },
      }),
    );
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const outbox = snsOutbox(sim.world);
    expect(outbox.messages.map((m) => m.endpoint).sort()).toEqual(['alice@example.com', 'audit@example.com', 'everything@example.com']);
    const alice = outbox.to('alice@example.com')[0]!;
    expect(alice).toMatchObject({
      messageId: published.MessageId,
      topicArn: arn,
      protocol: 'email',
      subject: 'Approve deletion of 3 idle endpoints',
      message: `Review: ${link}.`,
      attributes: { approver: { Type: 'String', Value: 'alice@example.com' }, cost: { Type: 'Number', Value: '1500.5' } },
    });
    expect(alice.body).toContain('unsubscribe');
    expect(Date.parse(alice.at)).not.toBeNaN();

    // A prefix filter given when subscribing matches as well.
    await subscribe(arn, 'carol@example.com', { FilterPolicy: JSON.stringify({ approver: [{ prefix: 'alice' }] }) });
    await sns.send(
      new PublishCommand({ TopicArn: arn, Message: 'second', MessageAttributes: { approver: { DataType: 'String', StringValue: 'alice@example.com' } } }),
    );
    expect(outbox.to('carol@example.com').map((m) => m.message)).toEqual(['second']);
    expect(outbox.to('carol@example.com')[0]!.subject).toBe('AWS Notification Message');

    // The outbox page lists deliveries with clickable links; the JSON view carries the same messages.
    const page = await (await fetch(`${sim.url}/_sim/outbox`)).text();
    expect(page).toContain(`<a href="http://127.0.0.1:4566/approve?token=abc&amp;sig=def">`);
    expect(page).toContain('Approve deletion of 3 idle endpoints');
    const asJson = (await (await fetch(`${sim.url}/_sim/outbox.json?endpoint=alice%40example.com`)).json()) as { messages: unknown[] };
    expect(asJson.messages).toHaveLength(outbox.to('alice@example.com').length);
    expect(outbox.to('alice@example.com')).toHaveLength(2);
  });

  it('sends per-protocol messages with MessageStructure=json and JSON envelopes to JSON protocols', async () => {
    const arn = await topic('structured');
    await subscribe(arn, 'human@example.com');
    await subscribe(arn, 'robot@example.com', {}, 'email-json');
    await subscribe(arn, 'https://hooks.example.com/raw', { RawMessageDelivery: 'true' }, 'https');
    await sns.send(
      new PublishCommand({ TopicArn: arn, MessageStructure: 'json', Message: JSON.stringify({ default: 'plain', email: 'for humans' }), Subject: 'Report' }),
    );
    const outbox = snsOutbox(sim.world);
    expect(outbox.to('human@example.com')[0]!.message).toBe('for humans');
    const envelope = JSON.parse(outbox.to('robot@example.com')[0]!.body) as Record<string, unknown>;
    expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: arn, Subject: 'Report', Message: 'plain' });
    expect(outbox.to('https://hooks.example.com/raw')[0]!.body).toBe('plain');
  });

  it('rejects invalid publishes with the SDK exception AWS would raise', async () => {
    const arn = await topic('strict');
    await expect(sns.send(new PublishCommand({ TopicArn: `arn:aws:sns:us-east-1:${MGMT}:nope`, Message: 'x' }))).rejects.toBeInstanceOf(NotFoundException);
    await expect(sns.send(new PublishCommand({ TopicArn: arn, Message: '' }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(sns.send(new PublishCommand({ TopicArn: arn, Message: 'x', Subject: 'line\nbreak' }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(sns.send(new PublishCommand({ TopicArn: arn, Message: '{"email":"x"}', MessageStructure: 'json' }))).rejects.toThrow(/No default entry/);
    await expect(
      sns.send(new PublishCommand({ TopicArn: arn, Message: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'twelve' } } })),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(
      sns.send(new PublishCommand({ TopicArn: arn, Message: 'x', MessageAttributes: { a: { DataType: 'Date', StringValue: '2024' } } })),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(sns.send(new PublishCommand({ TopicArn: arn, Message: 'x'.repeat(262_145) }))).rejects.toThrow(/too long/);
    const badPolicy = (await subscribe(arn, 'a@example.com', { FilterPolicy: '{"a": "b"}' }).catch((e: unknown) => e)) as Error;
    expect(badPolicy).toBeInstanceOf(InvalidParameterException);
    expect(badPolicy.message).toContain('FilterPolicy');
    expect(snsOutbox(sim.world).messages).toHaveLength(0);
  });
});

describe('simulator pages', () => {
  it('serves an index page listing the organization and links, and clears the outbox on POST only', async () => {
    const index = await (await fetch(`${sim.url}/`)).text();
    expect(index).toContain('o-sim0example');
    expect(index).toContain('old-sandbox');
    expect(index).toContain('href="/_sim/outbox"');
    expect(index).toContain('AWS_ENDPOINT_URL');

    const arn = await topic('page');
    await subscribe(arn, 'x@example.com');
    await sns.send(new PublishCommand({ TopicArn: arn, Message: 'hello' }));
    expect((await fetch(`${sim.url}/_sim/outbox/clear`)).status).toBe(404);
    expect(snsOutbox(sim.world).messages).toHaveLength(1);
    const cleared = await fetch(`${sim.url}/_sim/outbox/clear`, { method: 'POST', redirect: 'manual' });
    expect(cleared.status).toBe(303);
    expect(snsOutbox(sim.world).messages).toHaveLength(0);
  });
});
