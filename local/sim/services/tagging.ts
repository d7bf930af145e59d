import { decodeToken, encodeToken, jsonService, SimError, type CallContext, type SimService } from '../protocol.ts';
import { ApiInput } from './sagemaker/input.ts';
import { sagemakerStore } from './sagemaker/store.ts';

/**
 * AWS Resource Groups Tagging API, GetResources only: how the scan reads the tags of many SageMaker
 * endpoints in one call. JSON 1.1, `X-Amz-Target: ResourceGroupsTaggingAPI_20170126.GetResources`,
 * signing name `tagging` (as @aws-sdk/client-resource-groups-tagging-api sends them).
 * https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html
 *
 * Only SageMaker resources of the caller's account and signing region are known here, read from the
 * SageMaker simulator's own tag store (so AddTags/DeleteTags over SageMaker are visible at once; real
 * AWS may lag a little, which is why the cleanup steps re-read tags with sagemaker:ListTags).
 * As in AWS, a resource is returned when it has, or once had, tags (the latter with `Tags: []`); a
 * resource never tagged, or one that does not exist, is simply absent.
 */

const ERROR = 'InvalidParameterException';
/** Per page, ResourcesPerPage defaults to its maximum here (AWS documents no default). */
const MAX_RESOURCES_PER_PAGE = 100;
const MAX_ARNS = 100;

interface Mapping {
  ResourceARN: string;
  Tags: { Key: string; Value: string }[];
}

interface Cursor {
  after: string;
}

export function taggingService(): SimService {
  return jsonService({
    signingName: 'tagging',
    targetPrefix: 'ResourceGroupsTaggingAPI_20170126',
    version: '1.1',
    // "ThrottledException: The request was denied to limit request rate" (API reference, Errors).
    throttlingCode: 'ThrottledException',
    throttlingMessage: 'Rate exceeded',
    operations: { GetResources: getResources },
  });
}

function getResources(raw: Record<string, unknown>, ctx: CallContext) {
  const input = new ApiInput(raw, ERROR);
  const arnList = input.strings('ResourceARNList', { min: 1, max: MAX_ARNS });
  const typeFilters = input.strings('ResourceTypeFilters', { max: 100 });
  const tagFilters = input.objects('TagFilters', { max: 50 }).map((filter) => ({
    key: filter.string('Key', { required: true, min: 1, max: 128 }),
    values: filter.strings('Values', { max: 20 }),
  }));
  const perPage = input.number('ResourcesPerPage', { integer: true, min: 1, max: MAX_RESOURCES_PER_PAGE });
  const tagsPerPage = input.number('TagsPerPage', { integer: true, min: 100, max: 500 });
  const token = input.string('PaginationToken', { max: 2048 });
  if (input.boolean('ExcludeCompliantResources') && !input.boolean('IncludeComplianceDetails')) {
    throw new SimError(ERROR, 'ExcludeCompliantResources can only be used when IncludeComplianceDetails is true.');
  }

  const store = sagemakerStore(ctx.world, ctx.caller.accountId, ctx.caller.region);
  const exists = (arn: string) => store.resourceExists(arn);
  const mapping = (arn: string): Mapping => ({ ResourceARN: arn, Tags: Object.entries(store.tagsOf(arn)).map(([Key, Value]) => ({ Key, Value })) });

  if (arnList) {
    // "You can't specify both this parameter and ..." (ResourceARNList, API reference).
    const conflicting = [
      typeFilters && 'ResourceTypeFilters',
      tagFilters.length > 0 && 'TagFilters',
      perPage !== undefined && 'ResourcesPerPage',
      tagsPerPage !== undefined && 'TagsPerPage',
      token && 'PaginationToken',
    ].filter(Boolean);
    if (conflicting.length > 0) throw new SimError(ERROR, `ResourceARNList can't be specified with ${conflicting.join(', ')}.`);
    arnList.forEach((arn, i) => {
      if (arn.length < 1) input.fail(`ResourceARNList.${i + 1}`, arn, 'Member must have length greater than or equal to 1');
      if (arn.length > 1011) input.fail(`ResourceARNList.${i + 1}`, arn, 'Member must have length less than or equal to 1011');
    });
    const seen = new Set<string>();
    const found: Mapping[] = [];
    for (const arn of arnList) {
      const key = arn.toLowerCase();
      // "If a resource specified by this parameter doesn't exist, it doesn't generate an error; it simply isn't included."
      if (seen.has(key) || !store.state.tags.has(key) || !exists(key)) continue;
      seen.add(key);
      found.push(mapping(key));
    }
    return { ResourceTagMappingList: found, PaginationToken: '' };
  }

  const wanted = (arn: string) => matchesType(arn, typeFilters) && matchesTags(store.tagsOf(arn), tagFilters);
  // A tag filter only matches resources that have tags now; without one, once-tagged resources show with [].
  const arns = [...store.state.tags.keys()]
    .filter((arn) => exists(arn) && wanted(arn) && (tagFilters.length === 0 || store.state.tags.get(arn)!.size > 0))
    .sort();
  const cursor = decodeToken<Cursor>(token, ERROR);
  if (cursor !== undefined && typeof cursor?.after !== 'string') throw new SimError(ERROR, 'The PaginationToken is not valid.');
  const remaining = cursor ? arns.filter((arn) => arn > cursor.after) : arns;
  const page: Mapping[] = [];
  let tagBudget = tagsPerPage ?? Infinity;
  for (const arn of remaining) {
    const item = mapping(arn);
    // "A resource with no tags is counted as having one tag"; a resource is never split across pages.
    const weight = Math.max(1, item.Tags.length);
    if (page.length >= (perPage ?? MAX_RESOURCES_PER_PAGE) || (page.length > 0 && weight > tagBudget)) break;
    page.push(item);
    tagBudget -= weight;
  }
  const more = remaining.length > page.length;
  return { ResourceTagMappingList: page, PaginationToken: more ? encodeToken({ after: page[page.length - 1]!.ResourceARN } satisfies Cursor) : '' };
}

/** `service[:resourceType]`, as embedded in the ARN (`sagemaker`, `sagemaker:endpoint`). */
function matchesType(arn: string, filters: readonly string[] | undefined): boolean {
  if (!filters || filters.length === 0) return true;
  const [, , service, , , resource = ''] = arn.split(':');
  const type = resource.split('/')[0];
  return filters.some((filter) => {
    const [wantService, wantType] = filter.toLowerCase().split(':');
    return wantService === service && (wantType === undefined || wantType === type);
  });
}

/** All filters must match; within one, any of its values (or any value at all when none are given). */
function matchesTags(tags: Record<string, string>, filters: readonly { key: string; values?: string[] }[]): boolean {
  return filters.every(
    (filter) => Object.hasOwn(tags, filter.key) && (!filter.values || filter.values.length === 0 || filter.values.includes(tags[filter.key]!)),
  );
}
