import { AddTagsCommand, ListTagsCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DAY_MS, isoDate } from '../core/clock.ts';
import { EXEMPT_TAG, tagListToMap, type TagMap } from '../core/tags.ts';

/**
 * Prevention: every new endpoint (and inference component) gets an owner and a deadline the moment it
 * is created, so the next sweep knows whom to ask and when the owner meant it to go. Runs in each member
 * account on the CloudTrail event of the create call; writes only `created-by` and `auto-delete-after`,
 * and only where the creator did not set them.
 */

export const PREVENTION_TAG = { createdBy: 'created-by', autoDeleteAfter: EXEMPT_TAG.autoDeleteAfter } as const;
export const AUTO_TAGGED_EVENTS = ['CreateEndpoint', 'CreateInferenceComponent'] as const;

/** The parts of an EventBridge "AWS API Call via CloudTrail" event the tagger reads. */
export interface CreateCallEvent {
  account: string;
  region: string;
  time: string;
  detail: {
    eventName: (typeof AUTO_TAGGED_EVENTS)[number];
    eventTime?: string;
    userIdentity: { arn?: string; invokedBy?: string };
    responseElements?: Record<string, unknown> | null;
    errorCode?: string;
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalString = (value: unknown): value is string | undefined => value === undefined || typeof value === 'string';

/**
 * Checks the event by hand rather than with zod: this function's code is inlined into the member
 * StackSet template, whose body CreateStackSet caps at 51,200 bytes for every resource together, and
 * zod alone would take more than that. Returns the event, or the first field that is wrong.
 */
export function parseCreateCallEvent(raw: unknown): CreateCallEvent | { invalid: string } {
  if (!isObject(raw)) return { invalid: 'event' };
  if (raw['detail-type'] !== 'AWS API Call via CloudTrail') return { invalid: 'detail-type' };
  if (raw.source !== 'aws.sagemaker') return { invalid: 'source' };
  if (typeof raw.account !== 'string' || !/^\d{12}$/.test(raw.account)) return { invalid: 'account' };
  if (typeof raw.region !== 'string' || typeof raw.time !== 'string') return { invalid: typeof raw.region !== 'string' ? 'region' : 'time' };
  const detail = raw.detail;
  if (!isObject(detail)) return { invalid: 'detail' };
  if (!AUTO_TAGGED_EVENTS.includes(detail.eventName as CreateCallEvent['detail']['eventName'])) return { invalid: 'detail.eventName' };
  if (!optionalString(detail.eventTime) || !optionalString(detail.errorCode))
    return { invalid: typeof detail.eventTime === 'string' ? 'detail.errorCode' : 'detail.eventTime' };
  const identity = detail.userIdentity;
  if (!isObject(identity) || !optionalString(identity.arn) || !optionalString(identity.invokedBy)) return { invalid: 'detail.userIdentity' };
  const response = detail.responseElements;
  if (response !== undefined && response !== null && !isObject(response)) return { invalid: 'detail.responseElements' };
  return raw as unknown as CreateCallEvent;
}

export interface AutoTagSettings {
  /** Days from creation to the `auto-delete-after` date (default 90). */
  autoDeleteAfterDays: number;
}

export type AutoTagOutcome =
  | { status: 'tagged'; resourceArn: string; added: TagMap }
  | { status: 'unchanged'; resourceArn: string; reason: string }
  | { status: 'ignored'; reason: string };

/** Tag values allow letters, digits, spaces and `_.:/=+-@` (SageMaker Tag.Value); anything else is replaced. */
function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}

export function createdResourceArn(event: CreateCallEvent): string | undefined {
  const response = event.detail.responseElements ?? {};
  const arn = event.detail.eventName === 'CreateEndpoint' ? response.endpointArn : response.inferenceComponentArn;
  return typeof arn === 'string' && arn.startsWith('arn:') ? arn : undefined;
}

/** The tags to add: each prevention key the resource does not carry yet (keys compared case-insensitively). */
export function missingPreventionTags(existing: TagMap, event: CreateCallEvent, settings: AutoTagSettings): TagMap {
  const present = new Set(Object.keys(existing).map((k) => k.toLowerCase()));
  const created = new Date(event.detail.eventTime ?? event.time);
  const missing: TagMap = {};
  const creator = event.detail.userIdentity.arn ?? event.detail.userIdentity.invokedBy;
  if (!present.has(PREVENTION_TAG.createdBy) && creator) missing[PREVENTION_TAG.createdBy] = tagValue(creator);
  if (!present.has(PREVENTION_TAG.autoDeleteAfter) && !Number.isNaN(created.getTime())) {
    missing[PREVENTION_TAG.autoDeleteAfter] = isoDate(new Date(created.getTime() + settings.autoDeleteAfterDays * DAY_MS));
  }
  return missing;
}

export async function autoTag(sagemaker: SageMakerClient, raw: unknown, settings: AutoTagSettings): Promise<AutoTagOutcome> {
  const event = parseCreateCallEvent(raw);
  if ('invalid' in event) return { status: 'ignored', reason: `not a SageMaker create call event: ${event.invalid} is missing or wrong` };
  if (event.detail.errorCode) return { status: 'ignored', reason: `the call failed (${event.detail.errorCode}): nothing was created` };
  const resourceArn = createdResourceArn(event);
  if (!resourceArn) return { status: 'ignored', reason: 'the event names no created resource ARN' };
  // The resource's own tags are the truth: the creator may have tagged it in the create call or just after.
  const existing = tagListToMap((await sagemaker.send(new ListTagsCommand({ ResourceArn: resourceArn, MaxResults: 100 }))).Tags);
  const added = missingPreventionTags(existing, event, settings);
  if (Object.keys(added).length === 0) return { status: 'unchanged', resourceArn, reason: 'the creator already set created-by and auto-delete-after' };
  await sagemaker.send(new AddTagsCommand({ ResourceArn: resourceArn, Tags: Object.entries(added).map(([Key, Value]) => ({ Key, Value })) }));
  return { status: 'tagged', resourceArn, added };
}
