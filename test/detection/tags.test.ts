import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, type GetResourcesCommandInput } from '@aws-sdk/client-resource-groups-tagging-api';
import { ListTagsCommand, SageMakerClient, type ListTagsCommandInput } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { streamLog } from '../../src/core/log.ts';
import { readScanTags, readTags, type TagReadContext } from '../../src/detection/tags.ts';

/**
 * The batched tag read, against mocked clients: the cases the simulator cannot produce (answers that
 * must not be trusted), and the exact call pattern.
 */
const arn = (i: number) => `arn:aws:sagemaker:us-east-1:111111111111:endpoint/ep-${i}`;

function setup(answer: (input: GetResourcesCommandInput) => unknown) {
  const tagging = mockClient(ResourceGroupsTaggingAPIClient);
  const sagemaker = mockClient(SageMakerClient);
  const asked: GetResourcesCommandInput[] = [];
  const listed: string[] = [];
  tagging.on(GetResourcesCommand).callsFake((input: GetResourcesCommandInput) => {
    asked.push(input);
    return answer(input);
  });
  sagemaker.on(ListTagsCommand).callsFake((input: ListTagsCommandInput) => {
    listed.push(input.ResourceArn!);
    return { Tags: [{ Key: 'from', Value: 'ListTags' }] };
  });
  const warnings: string[] = [];
  const ctx: TagReadContext = {
    sagemaker: new SageMakerClient({ region: 'us-east-1' }),
    tagging: new ResourceGroupsTaggingAPIClient({ region: 'us-east-1' }),
    concurrency: 4,
    log: streamLog((line) => warnings.push((JSON.parse(line) as { message: string }).message), 'warn'),
    accountId: '111111111111',
    region: 'us-east-1',
  };
  return { ctx, asked, listed, warnings, restore: () => (tagging.restore(), sagemaker.restore()) };
}

describe('readTags', () => {
  it('asks for 100 ARNs per call and reads an absent ARN as untagged, matching ARNs case-insensitively', async () => {
    const arns = Array.from({ length: 250 }, (_, i) => arn(i));
    const { ctx, asked, listed, warnings, restore } = setup((input) => ({
      ResourceTagMappingList: (input.ResourceARNList ?? [])
        .filter((a) => a.endsWith('-7') || a.endsWith('-170'))
        .map((a) => ({ ResourceARN: a.toUpperCase(), Tags: [{ Key: 'zombie-exempt', Value: 'true' }] })),
      PaginationToken: '',
    }));
    try {
      const tags = await readTags(ctx, arns);
      expect(asked.map((i) => i.ResourceARNList?.length)).toEqual([100, 100, 50]);
      expect(asked.every((i) => i.ResourcesPerPage === undefined && i.ResourceTypeFilters === undefined)).toBe(true);
      expect(tags.get(arn(7))).toEqual({ 'zombie-exempt': 'true' });
      expect(tags.get(arn(170))).toEqual({ 'zombie-exempt': 'true' });
      expect(tags.get(arn(8))).toEqual({});
      expect(tags.size).toBe(250);
      expect(listed).toEqual([]);
      expect(warnings).toEqual([]);
    } finally {
      restore();
    }
  });

  it('does not trust an answer naming ARNs it was not asked about, or one that is incomplete', async () => {
    const arns = Array.from({ length: 150 }, (_, i) => arn(i));
    const { ctx, listed, restore } = setup((input) =>
      input.ResourceARNList?.[0] === arn(0)
        ? { ResourceTagMappingList: [{ ResourceARN: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/someone-else', Tags: [] }], PaginationToken: '' }
        : { ResourceTagMappingList: [], PaginationToken: 'more' },
    );
    try {
      const tags = await readTags(ctx, arns);
      // Both batches were read again, endpoint by endpoint, rather than called untagged.
      expect(listed).toHaveLength(150);
      expect(tags.get(arn(0))).toEqual({ from: 'ListTags' });
      expect(tags.get(arn(149))).toEqual({ from: 'ListTags' });
    } finally {
      restore();
    }
  });

  it('falls back to ListTags for the rest of the target after GetResources fails, warning once', async () => {
    const arns = Array.from({ length: 230 }, (_, i) => arn(i));
    const denied = Object.assign(new Error('User is not authorized to perform: tag:GetResources'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    const { ctx, asked, listed, warnings, restore } = setup(() => {
      throw denied;
    });
    try {
      const tags = await readTags(ctx, arns);
      expect(asked).toHaveLength(1);
      expect(listed).toHaveLength(230);
      expect(tags.get(arn(229))).toEqual({ from: 'ListTags' });
      expect(warnings).toEqual(['tag:GetResources unavailable; reading tags with sagemaker:ListTags, one call per endpoint']);
    } finally {
      restore();
    }
  });

  it('reads every endpoint with ListTags when no tagging client is given, and makes no call for none', async () => {
    const { ctx, asked, listed, restore } = setup(() => ({}));
    try {
      expect((await readTags(ctx, [])).size).toBe(0);
      expect(asked).toHaveLength(0);
      const tags = await readTags({ ...ctx, tagging: undefined }, [arn(1), arn(2)]);
      expect(listed).toEqual([arn(1), arn(2)]);
      expect(tags.get(arn(2))).toEqual({ from: 'ListTags' });
    } finally {
      restore();
    }
  });
});

describe('readScanTags: invoked endpoints for auto-delete-after', () => {
  const deadline = [{ Key: 'auto-delete-after', Value: '2020-01-01' }];

  it('reads invoked endpoints in the spare room of the idle batches: no extra call', async () => {
    const { ctx, asked, listed, restore } = setup((input) => ({
      ResourceTagMappingList: (input.ResourceARNList ?? []).filter((a) => a.endsWith('-150')).map((a) => ({ ResourceARN: a, Tags: deadline })),
      PaginationToken: '',
    }));
    try {
      const idle = Array.from({ length: 120 }, (_, i) => arn(i));
      const invoked = Array.from({ length: 60 }, (_, i) => arn(120 + i));
      const read = await readScanTags(ctx, idle, invoked);
      expect(asked.map((i) => i.ResourceARNList?.length)).toEqual([100, 80]);
      expect(read.idle.size).toBe(180);
      expect(read.invoked?.get(arn(150).toLowerCase())).toEqual({ 'auto-delete-after': '2020-01-01' });
      expect(read.invoked?.get(arn(151).toLowerCase())).toEqual({});
      expect(listed).toEqual([]);
    } finally {
      restore();
    }
  });

  it('otherwise makes one call filtered on the tag key, paginated, and never reads invoked endpoints one by one', async () => {
    const { ctx, asked, listed, restore } = setup((input) => {
      if (input.ResourceARNList) return { ResourceTagMappingList: [], PaginationToken: '' };
      const first = input.PaginationToken === undefined;
      return { ResourceTagMappingList: [{ ResourceARN: arn(first ? 300 : 301), Tags: deadline }], PaginationToken: first ? 'next' : '' };
    });
    try {
      const read = await readScanTags(
        ctx,
        [arn(1)],
        Array.from({ length: 100 }, (_, i) => arn(200 + i)),
      );
      expect(asked[0]?.ResourceARNList).toEqual([arn(1)]);
      expect(asked.slice(1).map((i) => [i.ResourceTypeFilters, i.TagFilters, i.PaginationToken])).toEqual([
        [['sagemaker:endpoint'], [{ Key: 'auto-delete-after' }], undefined],
        [['sagemaker:endpoint'], [{ Key: 'auto-delete-after' }], 'next'],
      ]);
      expect([...(read.invoked?.keys() ?? [])]).toEqual([arn(300), arn(301)]);
      expect(listed).toEqual([]);
    } finally {
      restore();
    }
  });
});
