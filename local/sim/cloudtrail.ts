import { randomUUID } from 'node:crypto';
import type { CallContext } from './protocol.ts';
import type { World } from './world.ts';

/**
 * CloudTrail management events as EventBridge delivers them ("AWS API Call via CloudTrail"), for the
 * calls the product reacts to (SageMaker CreateEndpoint, CreateInferenceComponent). Delivery is
 * asynchronous, as in AWS (seconds there, the next turn of the event loop here); `drain()` waits for
 * every delivery in flight, so tests and the demo can read the effect.
 *
 * Event shape: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html
 * (detail is the CloudTrail record: userIdentity, eventName, requestParameters, responseElements).
 */
export interface CloudTrailApiEvent {
  version: '0';
  id: string;
  'detail-type': 'AWS API Call via CloudTrail';
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    eventVersion: '1.08';
    userIdentity: { type: 'AssumedRole' | 'IAMUser'; arn: string; accountId: string };
    eventTime: string;
    eventSource: string;
    eventName: string;
    awsRegion: string;
    requestParameters: Record<string, unknown>;
    responseElements: Record<string, unknown>;
    requestID: string;
    eventID: string;
    eventType: 'AwsApiCall';
    managementEvent: true;
    recipientAccountId: string;
  };
}

export type CloudTrailSubscriber = (event: CloudTrailApiEvent) => unknown;

export class CloudTrailBus {
  private readonly subscribers = new Set<CloudTrailSubscriber>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Every event published, in order (the demo prints them; tests assert on them). */
  readonly published: CloudTrailApiEvent[] = [];
  /** Deliveries that threw, with the error: a subscriber failing must not fail the API call that caused it. */
  readonly failures: { event: CloudTrailApiEvent; error: unknown }[] = [];

  subscribe(subscriber: CloudTrailSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  publish(event: CloudTrailApiEvent): void {
    this.published.push(event);
    for (const subscriber of this.subscribers) {
      const delivery = new Promise((resolve) => setImmediate(resolve))
        .then(() => subscriber(event))
        .catch((error: unknown) => this.failures.push({ event, error }))
        .finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Waits until every delivery, including those a delivery caused, has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

export function cloudTrailBus(world: World): CloudTrailBus {
  return world.global('cloudtrail', () => new CloudTrailBus());
}

/** Records a successful call as CloudTrail would and hands it to EventBridge subscribers. */
export function recordApiCall(
  ctx: CallContext,
  eventSource: string,
  requestParameters: Record<string, unknown>,
  responseElements: Record<string, unknown>,
): void {
  const now = ctx.world
    .now()
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  const { accountId, region, principalArn } = ctx.caller;
  cloudTrailBus(ctx.world).publish({
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${eventSource.split('.')[0]}`,
    account: accountId,
    time: now,
    region,
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: { type: ctx.caller.assumedRole ? 'AssumedRole' : 'IAMUser', arn: principalArn, accountId },
      eventTime: now,
      eventSource,
      eventName: ctx.operation,
      awsRegion: region,
      requestParameters,
      responseElements,
      requestID: ctx.requestId,
      eventID: randomUUID(),
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: accountId,
    },
  });
}
