import type { World } from '../../world.ts';

/** One delivery: a message as one subscription's endpoint received it. */
export interface OutboxMessage {
  /** Delivery id (one per subscription), distinct from the SNS MessageId shared by all deliveries of a publish. */
  id: string;
  messageId: string;
  topicArn: string;
  subscriptionArn: string;
  protocol: string;
  endpoint: string;
  /** Email subject; for email it is "AWS Notification Message" when the publisher gave none, as AWS does. */
  subject?: string;
  /** The message text chosen for this protocol (the per-protocol entry of a MessageStructure=json message, or the message). */
  message: string;
  /** What the endpoint receives: the text with the unsubscribe footer for email, the JSON envelope for JSON protocols, the raw text with RawMessageDelivery. */
  body: string;
  /** Message attributes as the JSON envelope carries them. */
  attributes: Record<string, { Type: string; Value: string }>;
  /** ISO-8601 delivery time (the world's clock). */
  at: string;
}

export interface SnsOutbox {
  /** Every delivery so far, oldest first (live array). */
  readonly messages: OutboxMessage[];
  /** Deliveries to one endpoint (e.g. an approver's email address). */
  to(endpoint: string): OutboxMessage[];
  clear(): void;
}

/** Oldest deliveries are dropped beyond this, so a long-running demo does not grow without bound. */
export const OUTBOX_LIMIT = 10_000;

/** The simulator's mail/webhook sink: tests read it, and GET /_sim/outbox renders it. */
export function snsOutbox(world: World): SnsOutbox {
  return world.global<SnsOutbox>('sns-outbox', () => {
    const messages: OutboxMessage[] = [];
    return {
      messages,
      to: (endpoint) => messages.filter((m) => m.endpoint === endpoint),
      clear: () => {
        messages.length = 0;
      },
    };
  });
}

export function deliver(world: World, message: OutboxMessage): void {
  const outbox = snsOutbox(world);
  outbox.messages.push(message);
  if (outbox.messages.length > OUTBOX_LIMIT) outbox.messages.splice(0, outbox.messages.length - OUTBOX_LIMIT);
}
