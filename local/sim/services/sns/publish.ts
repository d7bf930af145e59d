import { randomUUID } from 'node:crypto';
import { SimError, type CallContext, type QueryParams } from '../../protocol.ts';
import { matchesFilterPolicy } from './filter-policy.ts';
import { deliver } from './outbox.ts';
import type { SnsSubscription, SnsTopic } from './store.ts';

/** "All parts of the message attribute, including name, type, and value, are included in the message size restriction, which is currently 256 KB (262,144 bytes)" (MessageAttributeValue reference). */
const MAX_MESSAGE_BYTES = 262_144;
const JSON_PROTOCOLS = new Set(['email-json', 'http', 'https', 'sqs', 'lambda', 'firehose', 'application']);
const DEFAULT_EMAIL_SUBJECT = 'AWS Notification Message';

type Attributes = Record<string, { Type: string; Value: string }>;

/** Validates a Publish call, delivers one message per matching subscription, returns the MessageId. */
export function publish(topic: SnsTopic, params: QueryParams, ctx: CallContext): string {
  const message = params.get('Message');
  if (message === undefined || message === '') throw invalid('Empty message');
  const subject = params.get('Subject');
  // "Subjects must be ASCII text that begins with a letter, number, or punctuation mark; must not include line breaks or control characters; and must be less than 100 characters long." (Publish reference)
  if (subject !== undefined && (subject.length === 0 || subject.length >= 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject))) throw invalid('Subject');
  const perProtocol = messageStructure(params.get('MessageStructure'), message);
  const attributes = messageAttributes(params);
  const size =
    Buffer.byteLength(message) +
    Object.entries(attributes).reduce((sum, [name, a]) => sum + Buffer.byteLength(name) + Buffer.byteLength(a.Type) + Buffer.byteLength(a.Value), 0);
  if (size > MAX_MESSAGE_BYTES) throw invalid('Message too long');

  const messageId = randomUUID();
  const at = ctx.world.now().toISOString();
  // "Message attributes are sent only when the message structure is String, not JSON." (SNS message attributes guide)
  const delivered = perProtocol ? {} : attributes;
  for (const sub of topic.subscriptions.values()) {
    // Nothing reaches an address that has not confirmed its subscription.
    if (sub.pendingConfirmation) continue;
    const text = perProtocol ? (perProtocol[sub.protocol] ?? perProtocol.default!) : message;
    if (sub.filter && !matchesFilterPolicy(sub.filter.policy, sub.filter.scope, { body: text, attributes })) continue;
    deliver(ctx.world, {
      id: randomUUID(),
      messageId,
      topicArn: topic.arn,
      subscriptionArn: sub.arn,
      protocol: sub.protocol,
      endpoint: sub.endpoint,
      subject: sub.protocol === 'email' ? (subject ?? DEFAULT_EMAIL_SUBJECT) : subject,
      message: text,
      body: body(sub, { messageId, topic, subject, text, attributes: delivered, at, region: ctx.caller.region }),
      attributes: delivered,
      at,
    });
  }
  return messageId;
}

function body(
  sub: SnsSubscription,
  m: { messageId: string; topic: SnsTopic; subject?: string; text: string; attributes: Attributes; at: string; region: string },
): string {
  const unsubscribe = `https://sns.${m.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${sub.arn}`;
  if (sub.attributes.RawMessageDelivery === 'true' || !JSON_PROTOCOLS.has(sub.protocol)) {
    if (sub.protocol !== 'email') return m.text;
    return `${m.text}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n${unsubscribe}\n`;
  }
  // The notification envelope of https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html; the signature is not real.
  return JSON.stringify({
    Type: 'Notification',
    MessageId: m.messageId,
    TopicArn: m.topic.arn,
    Subject: m.subject,
    Message: m.text,
    Timestamp: m.at,
    SignatureVersion: m.topic.attributes.SignatureVersion ?? '1',
    Signature: 'SIMULATED',
    SigningCertURL: `https://sns.${m.region}.amazonaws.com/SimpleNotificationService-simulated.pem`,
    UnsubscribeURL: unsubscribe,
    MessageAttributes: Object.keys(m.attributes).length > 0 ? m.attributes : undefined,
  });
}

function messageStructure(structure: string | undefined, message: string): Record<string, string> | undefined {
  if (structure === undefined) return undefined;
  if (structure !== 'json') throw invalid('MessageStructure');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('Message Structure - JSON message body failed to parse');
  const entries = parsed as Record<string, unknown>;
  if (typeof entries.default !== 'string') throw invalid('Message Structure - No default entry in JSON message body');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) if (typeof value === 'string') out[key] = value;
  return out;
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` / `.Value.BinaryValue`. */
function messageAttributes(params: QueryParams): Attributes {
  const out: Attributes = {};
  for (let i = 1; ; i++) {
    const prefix = `MessageAttributes.entry.${i}`;
    const name = params.get(`${prefix}.Name`);
    if (name === undefined) return out;
    // Names: A-Z a-z 0-9 _ - . , not starting/ending with '.', no '..', at most 256, no AWS./Amazon. prefix (SNS message attributes guide).
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws|amazon)\./i.test(name)) {
      throw invalidValue(`The message attribute name '${name}' is invalid.`);
    }
    const type = params.get(`${prefix}.Value.DataType`);
    if (!type) throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
    const base = type.split('.')[0];
    if (base === 'Binary') {
      const value = params.get(`${prefix}.Value.BinaryValue`);
      if (!value) throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
      out[name] = { Type: type, Value: value };
      continue;
    }
    if (base !== 'String' && base !== 'Number')
      throw invalidValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    const value = params.get(`${prefix}.Value.StringValue`);
    if (value === undefined || value === '')
      throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
    if (base === 'Number' && !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value))
      throw invalidValue(`Could not cast message attribute '${name}' value to number.`);
    if (type.startsWith('String.Array') && !isArray(value))
      throw invalidValue(`The message attribute '${name}' with type 'String.Array' has an invalid value: not a JSON array.`);
    out[name] = { Type: type, Value: value };
  }
}

function isArray(value: string): boolean {
  try {
    return Array.isArray(JSON.parse(value));
  } catch {
    return false;
  }
}

function invalid(detail: string): SimError {
  return new SimError('InvalidParameter', `Invalid parameter: ${detail}`);
}

/** InvalidParameterValueException travels as `ParameterValueInvalid` on the wire. */
function invalidValue(message: string): SimError {
  return new SimError('ParameterValueInvalid', message);
}
