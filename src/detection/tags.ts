import { GetResourcesCommand, type ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { chunk, mapLimit } from '../core/concurrency.ts';
import type { Log } from '../core/log.ts';
import { EXEMPT_TAG, tagListToMap, type TagMap } from '../core/tags.ts';
import { attempt, failed, type Failed } from './attempt.ts';
import { describeError } from '../core/aws-errors.ts';
import { listTags, type Gone } from './inventory.ts';

/**
 * Tags of many endpoints in few calls: Resource Groups Tagging API GetResources with ResourceARNList,
 * up to 100 ARNs per call, no pagination allowed alongside it. Only resources that have (or once had)
 * tags come back; a listed ARN that is absent has no tags, or no longer exists.
 * https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
 *
 * Exemption tags are what keep an owner's endpoint out of the sweep, so the batch answer is trusted only
 * when it plainly answers the question asked: a mapping for an ARN we did not ask for (an ARN spelt
 * another way) or a PaginationToken (an incomplete answer) sends that batch to sagemaker:ListTags
 * instead. When GetResources fails at all (tag:GetResources not granted, the API not offered there, its
 * own throttling), the rest of the target falls back to ListTags per endpoint, with one warning.
 * Tags written moments before the scan may lag in this API; the tag and delete steps re-read them
 * with ListTags before acting, so a late exemption still stops the deletion.
 */
export const MAX_ARNS_PER_GET_RESOURCES = 100;

export type TagRead = TagMap | Gone | Failed;

export interface TagReadContext {
  sagemaker: SageMakerClient;
  /** Absent: every endpoint's tags are read with ListTags. */
  tagging?: ResourceGroupsTaggingAPIClient;
  concurrency: number;
  log: Log;
  accountId: string;
  region: string;
}

/**
 * Tags per endpoint ARN (keyed exactly as given). `extra` ARNs ride along in the GetResources batches
 * only: they are never read one by one, and are absent from the answer where a batch was not trusted.
 */
export async function readTags(ctx: TagReadContext, arns: readonly string[], extra: readonly string[] = []): Promise<Map<string, TagRead>> {
  const out = new Map<string, TagRead>();
  const perEndpoint: string[] = [];
  const required = new Set(arns);
  const fallBack = (batch: readonly string[]) => perEndpoint.push(...batch.filter((arn) => required.has(arn)));
  let batchUnavailable: string | undefined;
  for (const batch of ctx.tagging ? chunk([...arns, ...extra], MAX_ARNS_PER_GET_RESOURCES) : [[...arns]]) {
    if (!ctx.tagging || batchUnavailable) {
      fallBack(batch);
      continue;
    }
    try {
      const answer = await ctx.tagging.send(new GetResourcesCommand({ ResourceARNList: batch }));
      const tags = trustedAnswer(batch, answer.ResourceTagMappingList ?? [], answer.PaginationToken);
      if (!tags) {
        ctx.log.warn('GetResources answered for other ARNs than asked, or only in part; reading this batch with ListTags', {
          accountId: ctx.accountId,
          region: ctx.region,
        });
        fallBack(batch);
        continue;
      }
      for (const arn of batch) out.set(arn, tags.get(arn.toLowerCase()) ?? {});
    } catch (error) {
      batchUnavailable = describeError(error);
      ctx.log.warn('tag:GetResources unavailable; reading tags with sagemaker:ListTags, one call per endpoint', {
        accountId: ctx.accountId,
        region: ctx.region,
        error: batchUnavailable,
      });
      fallBack(batch);
    }
  }
  const listed = await mapLimit(perEndpoint, ctx.concurrency, (arn) => attempt(() => listTags(ctx.sagemaker, arn)));
  perEndpoint.forEach((arn, i) => out.set(arn, listed[i]!));
  return out;
}

/**
 * The scan's tag reads: every idle endpoint's tags, and the tags of invoked endpoints carrying
 * `auto-delete-after` (keyed by lower-cased ARN; undefined when they could not be read), so a passed
 * deadline is judged on endpoints still in use. Invoked endpoints ride in the idle endpoints' batches
 * when they fit in the spare room (no extra call); otherwise one filtered GetResources reads them.
 */
export async function readScanTags(
  ctx: TagReadContext,
  idle: readonly string[],
  invoked: readonly string[],
): Promise<{ idle: Map<string, TagRead>; invoked?: Map<string, TagMap> }> {
  const batches = (n: number) => Math.ceil(n / MAX_ARNS_PER_GET_RESOURCES);
  const ride = ctx.tagging !== undefined && idle.length > 0 && batches(idle.length + invoked.length) === batches(idle.length);
  const read = await readTags(ctx, idle, ride ? invoked : []);
  if (invoked.length === 0) return { idle: read };
  if (!ride) return { idle: read, invoked: await readAutoDeleteTagged(ctx) };
  const tagged = new Map<string, TagMap>();
  for (const arn of invoked) {
    const tags = read.get(arn);
    if (tags && typeof tags === 'object' && !failed(tags)) tagged.set(arn.toLowerCase(), tags);
  }
  return { idle: read, invoked: tagged };
}

/** Tags by lower-cased ARN (SageMaker lower-cases names in ARNs), or undefined when the answer cannot be trusted. */
function trustedAnswer(
  asked: readonly string[],
  mappings: readonly { ResourceARN?: string; Tags?: { Key?: string; Value?: string }[] }[],
  paginationToken: string | undefined,
): Map<string, TagMap> | undefined {
  if (paginationToken) return undefined;
  const wanted = new Set(asked.map((arn) => arn.toLowerCase()));
  const tags = new Map<string, TagMap>();
  for (const mapping of mappings) {
    const arn = mapping.ResourceARN?.toLowerCase();
    if (!arn || !wanted.has(arn)) return undefined;
    tags.set(arn, tagListToMap(mapping.Tags));
  }
  return tags;
}

/**
 * Tags of every endpoint of the account-region carrying `auto-delete-after`, by lower-cased ARN: one
 * paginated GetResources with that tag filter (a page holds up to 100 resources), however many
 * endpoints are invoked. It lets the scan judge `expired` on endpoints still being invoked without a
 * tag read per endpoint. The filter matches the key exactly as the auto-tagger and the guardrail SCP
 * write it; other spellings are read for idle endpoints only. Undefined when the API is unavailable.
 */
export async function readAutoDeleteTagged(ctx: TagReadContext): Promise<Map<string, TagMap> | undefined> {
  if (!ctx.tagging) return undefined;
  const out = new Map<string, TagMap>();
  let token: string | undefined;
  try {
    do {
      const page = await ctx.tagging.send(
        new GetResourcesCommand({
          ResourceTypeFilters: ['sagemaker:endpoint'],
          TagFilters: [{ Key: EXEMPT_TAG.autoDeleteAfter }],
          ...(token ? { PaginationToken: token } : {}),
        }),
      );
      for (const mapping of page.ResourceTagMappingList ?? []) {
        if (mapping.ResourceARN) out.set(mapping.ResourceARN.toLowerCase(), tagListToMap(mapping.Tags));
      }
      token = page.PaginationToken || undefined;
    } while (token);
  } catch (error) {
    ctx.log.warn('tag:GetResources unavailable; auto-delete-after is judged on idle endpoints only', {
      accountId: ctx.accountId,
      region: ctx.region,
      error: describeError(error),
    });
    return undefined;
  }
  return out;
}
