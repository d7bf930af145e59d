import { ListSubscriptionsByTopicCommand, PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import { retryableIfTransient } from './s3-json.ts';

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
  /**
   * Of these email addresses, the ones a notification can reach: SNS delivers only to a confirmed
   * subscription, so an address without one (or still pending confirmation) is dropped silently.
   * Absent where every notification is kept (local runs without a topic).
   */
  subscribed?(addresses: readonly string[]): Promise<Set<string>>;
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
      try {
        await clients
          .hub(SNSClient)
          .send(new PublishCommand({ TopicArn: topicArn, Subject: subjectOf(n.subject), Message: n.body, MessageAttributes: attributeValues(n.attributes) }));
      } catch (error) {
        // Throttling or a 5xx that outlived the SDK's attempts: the state machine's Retry on RetryableAwsError waits longer.
        throw retryableIfTransient(error, `publishing to ${topicArn}`);
      }
    },
    async subscribed(addresses) {
      const confirmed = new Set<string>();
      let token: string | undefined;
      do {
        const page = await clients.hub(SNSClient).send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }));
        // An unconfirmed subscription is listed with the literal ARN "PendingConfirmation".
        for (const sub of page.Subscriptions ?? [])
          if (sub.Protocol === 'email' && sub.SubscriptionArn?.startsWith('arn:') && sub.Endpoint) confirmed.add(sub.Endpoint.toLowerCase());
        token = page.NextToken;
      } while (token);
      return new Set(addresses.filter((a) => confirmed.has(a.toLowerCase())));
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
