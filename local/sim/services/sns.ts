import { randomUUID } from 'node:crypto';
import { SimError, decodeToken, encodeToken, queryService, type CallContext, type QueryParams, type SimService } from '../protocol.ts';
import { publish } from './sns/publish.ts';
import { FilterPolicyError, parseFilterPolicy, type FilterScope } from './sns/filter-policy.ts';
import { snsState, type SnsSubscription, type SnsTopic } from './sns/store.ts';

export { snsOutbox, type OutboxMessage, type SnsOutbox } from './sns/outbox.ts';
export { snsStore } from './sns/store.ts';

/**
 * Amazon SNS (Query/XML, version 2010-03-31), shaped on the API reference
 * (https://docs.aws.amazon.com/sns/latest/api/). Deliveries land in the outbox (./sns/outbox.ts) instead of
 * leaving the machine. Subscriptions that AWS would leave "pending confirmation" (email, email-json, http,
 * https) are confirmed at once, as if the recipient had clicked the link; Subscribe still answers
 * "pending confirmation" for them unless ReturnSubscriptionArn is set, as AWS does.
 */

const PROTOCOLS = new Set(['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose']);
const NEEDS_CONFIRMATION = new Set(['http', 'https', 'email', 'email-json']);
const SUBSCRIPTION_ATTRIBUTES = new Set([
  'DeliveryPolicy',
  'FilterPolicy',
  'FilterPolicyScope',
  'RawMessageDelivery',
  'RedrivePolicy',
  'SubscriptionRoleArn',
  'ReplayPolicy',
]);
const TOPIC_ATTRIBUTES = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'ArchivePolicy',
  'DataProtectionPolicy',
]);
const PAGE_SIZE = 100;

export function snsService(): SimService {
  const service = queryService({
    signingName: 'sns',
    xmlns: 'http://sns.amazonaws.com/doc/2010-03-31/',
    operations: {
      CreateTopic: (params, ctx) => ({ TopicArn: createTopic(params, ctx).arn }),
      ListTopics: (params, ctx) => {
        const page = paginate([...state(ctx).topics.values()], params, 'ListTopics');
        return { Topics: page.items.map((t) => ({ TopicArn: t.arn })), NextToken: page.nextToken };
      },
      Subscribe: (params, ctx) => subscribe(params, ctx),
      ListSubscriptionsByTopic: (params, ctx) => {
        const topic = findTopic(params.require('TopicArn'), ctx);
        const page = paginate([...topic.subscriptions.values()], params, `ListSubscriptionsByTopic:${topic.arn}`);
        return { Subscriptions: page.items.map(summary), NextToken: page.nextToken };
      },
      Publish: (params, ctx) => {
        const target = params.get('TopicArn') ?? params.get('TargetArn');
        if (params.get('PhoneNumber') !== undefined) throw invalid('PhoneNumber Reason: the simulator delivers to topics only');
        if (!target) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
        return { MessageId: publish(findTopic(target, ctx), params, ctx) };
      },
    },
  });
  // SNS answers throttling with `Throttled`, HTTP 429 (ThrottledException in the SDK).
  return { ...service, throttlingError: () => new SimError('Throttled', 'Rate exceeded', 429) };
}

const state = (ctx: CallContext) => snsState(ctx.world, ctx.caller.accountId, ctx.caller.region);

function createTopic(params: QueryParams, ctx: CallContext): SnsTopic {
  const name = params.require('Name');
  if (name.endsWith('.fifo')) throw invalid('Topic Name Reason: FIFO topics are not supported by the simulator');
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) throw invalid('Topic Name');
  const attributes = mapParam(params, 'Attributes');
  for (const key of Object.keys(attributes)) {
    if (key === 'FifoTopic' && attributes[key] === 'true') throw invalid('Attributes Reason: FIFO topics are not supported by the simulator');
    if (!TOPIC_ATTRIBUTES.has(key) && key !== 'FifoTopic') throw invalid(`AttributeName Reason: unknown attribute ${key}`);
  }
  const tags: Record<string, string> = {};
  for (let i = 1; params.get(`Tags.member.${i}.Key`) !== undefined; i++) tags[params.get(`Tags.member.${i}.Key`)!] = params.get(`Tags.member.${i}.Value`) ?? '';
  const arn = `arn:aws:sns:${ctx.caller.region}:${ctx.caller.accountId}:${name}`;
  const existing = state(ctx).topics.get(arn);
  if (existing) {
    // CreateTopic is idempotent: the same name answers the same ARN, unless the attributes or tags differ.
    for (const [key, value] of Object.entries(attributes))
      if (existing.attributes[key] !== value) throw invalid('Attributes Reason: Topic already exists with different attributes');
    for (const [key, value] of Object.entries(tags)) if (existing.tags[key] !== value) throw invalid('Tags Reason: Topic already exists with different tags');
    return existing;
  }
  const topic: SnsTopic = { arn, name, attributes, tags, subscriptions: new Map(), createdAt: ctx.world.now() };
  state(ctx).topics.set(arn, topic);
  return topic;
}

function subscribe(params: QueryParams, ctx: CallContext) {
  const topic = findTopic(params.require('TopicArn'), ctx);
  const protocol = params.require('Protocol');
  if (!PROTOCOLS.has(protocol)) throw invalid(`Amazon SNS does not support this protocol string: ${protocol}`);
  const endpoint = params.get('Endpoint') ?? '';
  validateEndpoint(protocol, endpoint);
  const attributes = mapParam(params, 'Attributes');
  const existing = [...topic.subscriptions.values()].find((s) => s.protocol === protocol && s.endpoint === endpoint);
  let sub: SnsSubscription;
  if (existing) {
    if (Object.entries(attributes).some(([k, v]) => existing.attributes[k] !== v))
      throw invalid('Attributes Reason: Subscription already exists with different attributes');
    sub = existing;
  } else {
    sub = { arn: `${topic.arn}:${randomUUID()}`, topicArn: topic.arn, protocol, endpoint, owner: ctx.caller.accountId, attributes: {} };
    applySubscriptionAttributes(sub, attributes);
    topic.subscriptions.set(sub.arn, sub);
    state(ctx).subscriptions.set(sub.arn, sub);
  }
  const returnArn = params.get('ReturnSubscriptionArn') === 'true';
  return { SubscriptionArn: NEEDS_CONFIRMATION.has(protocol) && !returnArn ? 'pending confirmation' : sub.arn };
}

/** Validates every attribute before changing anything, so a bad value leaves the subscription as it was. */
function applySubscriptionAttributes(sub: SnsSubscription, attributes: Record<string, string>): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (!SUBSCRIPTION_ATTRIBUTES.has(key)) throw invalid(`AttributeName Reason: unknown subscription attribute ${key}`);
    if (key === 'RawMessageDelivery') {
      if (value !== 'true' && value !== 'false') throw invalid('Attributes Reason: RawMessageDelivery: Invalid value [' + value + ']. Must be true or false.');
      if (value === 'true' && sub.protocol.startsWith('email'))
        throw invalid(`Attributes Reason: Delivery protocol [${sub.protocol}] does not support raw message delivery.`);
    }
  }
  const scope = (attributes.FilterPolicyScope ?? 'MessageAttributes') as FilterScope;
  if (scope !== 'MessageAttributes' && scope !== 'MessageBody')
    throw invalid(`Attributes Reason: FilterPolicyScope: Invalid value [${scope}]. Please use either MessageBody or MessageAttributes`);
  let filter: SnsSubscription['filter'];
  if (attributes.FilterPolicy !== undefined) {
    try {
      filter = { policy: parseFilterPolicy(attributes.FilterPolicy, scope), scope };
    } catch (error) {
      if (error instanceof FilterPolicyError) throw invalid(`FilterPolicy: ${error.message}`);
      throw error;
    }
  }
  sub.attributes = { ...attributes };
  sub.filter = filter;
}

function validateEndpoint(protocol: string, endpoint: string): void {
  const ok: Record<string, RegExp> = {
    email: /^[^@\s]+@[^@\s]+$/,
    'email-json': /^[^@\s]+@[^@\s]+$/,
    http: /^http:\/\/\S+$/,
    https: /^https:\/\/\S+$/,
    sqs: /^arn:aws:sqs:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$/,
    lambda: /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/,
    firehose: /^arn:aws:firehose:[a-z0-9-]+:\d{12}:deliverystream\/[\w.-]+$/,
    application: /^arn:aws:sns:[a-z0-9-]+:\d{12}:endpoint\/\S+$/,
    sms: /^\+?[0-9]{5,15}$/,
  };
  if (!ok[protocol]!.test(endpoint))
    throw invalid(protocol.startsWith('email') ? 'Email address' : `Endpoint Reason: not a valid ${protocol} endpoint: ${endpoint}`);
}

/** Topics of another account or region are not reachable (topic policies are not modelled). */
export function findTopic(arn: string, ctx: CallContext): SnsTopic {
  const parsed = /^arn:aws:sns:([a-z0-9-]+):(\d{12}):([\w-]+)$/.exec(arn);
  if (!parsed) throw invalid('TopicArn');
  if (parsed[1] !== ctx.caller.region) throw invalid('TopicArn');
  if (parsed[2] !== ctx.caller.accountId)
    throw new SimError('AuthorizationError', `User: ${ctx.caller.principalArn} is not authorized to perform: SNS:${ctx.operation} on resource: ${arn}`, 403);
  const topic = state(ctx).topics.get(arn);
  if (!topic) throw new SimError('NotFound', 'Topic does not exist', 404);
  return topic;
}

function summary(sub: SnsSubscription) {
  // AWS lists an unconfirmed subscription with the literal ARN "PendingConfirmation".
  return {
    SubscriptionArn: sub.pendingConfirmation ? 'PendingConfirmation' : sub.arn,
    Owner: sub.owner,
    Protocol: sub.protocol,
    Endpoint: sub.endpoint,
    TopicArn: sub.topicArn,
  };
}

/** Query maps arrive as `Name.entry.N.key` / `Name.entry.N.value`. */
function mapParam(params: QueryParams, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; params.get(`${name}.entry.${i}.key`) !== undefined; i++)
    out[params.get(`${name}.entry.${i}.key`)!] = params.get(`${name}.entry.${i}.value`) ?? '';
  return out;
}

function paginate<T>(items: T[], params: QueryParams, scope: string): { items: T[]; nextToken?: string } {
  const token = decodeToken<{ scope: string; offset: number }>(params.get('NextToken'), 'InvalidParameter');
  if (token && (token.scope !== scope || typeof token.offset !== 'number')) throw invalid('NextToken');
  const offset = token?.offset ?? 0;
  const end = offset + PAGE_SIZE;
  return { items: items.slice(offset, end), nextToken: end < items.length ? encodeToken({ scope, offset: end }) : undefined };
}

export function invalid(detail: string): SimError {
  return new SimError('InvalidParameter', `Invalid parameter: ${detail}`);
}
