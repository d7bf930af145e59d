import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';

/**
 * Where notifications go: sweep reports, approval requests and owner notices. Deployed, an SNS topic
 * whose subscriptions filter on the message attributes (`approver`, `owner`, `event`); in a local run
 * without a topic, a list the runner prints from. Chosen by configuration (`notifierFor`), never by
 * inspecting clients.
 */

export interface Notification {
  /** At most 100 characters (SNS's email subject limit); longer subjects are cut. */
  subject: string;
  body: string;
  /** String attributes, or String.Array ones that a filter policy matches element by element. */
  attributes: Readonly<Record<string, string | readonly string[]>>;
}

export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/** A notification kept by a local run instead of being published (attribute arrays as JSON, as SNS carries them). */
export interface KeptNotification {
  subject?: string;
  message: string;
  attributes: Record<string, string>;
}

export type NotifierConfig = { kind: 'sns'; topicArn: string } | { kind: 'local'; kept: KeptNotification[] };

interface HubClients {
  hub<C>(ctor: new (config: Record<string, unknown>) => C, region?: string): C;
}

const subjectOf = (subject: string): string => subject.slice(0, 100);

function attributeValues(attributes: Notification['attributes']): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    out[key] = typeof value === 'string' ? { DataType: 'String', StringValue: value } : { DataType: 'String.Array', StringValue: JSON.stringify(value) };
  }
  return out;
}

export function snsNotifier(clients: HubClients, topicArn: string): Notifier {
  return {
    async publish(n) {
      await clients.hub(SNSClient).send(new PublishCommand({ TopicArn: topicArn, Subject: subjectOf(n.subject), Message: n.body, MessageAttributes: attributeValues(n.attributes) }));
    },
  };
}

export function localNotifier(kept: KeptNotification[]): Notifier {
  return {
    publish(n) {
      const attributes = Object.fromEntries(Object.entries(n.attributes).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      kept.push({ subject: subjectOf(n.subject), message: n.body, attributes });
      return Promise.resolve();
    },
  };
}

export function notifierFor(config: NotifierConfig, clients: HubClients): Notifier {
  return config.kind === 'sns' ? snsNotifier(clients, config.topicArn) : localNotifier(config.kept);
}
