import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetResourcesCommand,
  InvalidParameterException,
  paginateGetResources,
  ResourceGroupsTaggingAPIClient,
  ThrottledException,
  type ResourceTagMapping,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { AddTagsCommand, DeleteTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { Seeder } from '../detection/seed.ts';
import { DEV, MGMT, assumeInto, smallOrg } from './core-fixtures.ts';

/**
 * The Resource Groups Tagging API's GetResources through the real SDK client: the batched tag read
 * the scan uses instead of one sagemaker:ListTags per endpoint.
 */
let sim: Simulator;
let dev: ResourceGroupsTaggingAPIClient;
let devSageMaker: SageMakerClient;
const arn = (name: string, region = 'us-east-1', account = DEV) => `arn:aws:sagemaker:${region}:${account}:endpoint/${name.toLowerCase()}`;
const asRecord = (list: ResourceTagMapping[] | undefined) =>
  Object.fromEntries((list ?? []).map((m) => [m.ResourceARN, Object.fromEntries((m.Tags ?? []).map((t) => [t.Key, t.Value]))]));

beforeAll(async () => {
  const now = new Date();
  const world = smallOrg(() => new Date(now));
  const seed = new Seeder(world, now);
  seed.endpoint(DEV, 'us-east-1', { name: 'Tagged-One', tags: { team: 'fraud', 'zombie-exempt': 'true' } });
  seed.endpoint(DEV, 'us-east-1', { name: 'tagged-two', tags: { team: 'search' } });
  seed.endpoint(DEV, 'us-east-1', { name: 'untagged' });
  seed.endpoint(DEV, 'us-east-1', { name: 'was-tagged', tags: { owner: 'alice' } });
  seed.endpoint(DEV, 'eu-west-1', { name: 'elsewhere', tags: { team: 'fraud' } });
  seed.endpoint(MGMT, 'us-east-1', { name: 'other-account', tags: { team: 'fraud' } });
  sagemakerStore(world, DEV, 'us-east-1').addTags(`arn:aws:sagemaker:us-east-1:${DEV}:model/tagged-two-model`, [{ Key: 'team', Value: 'search' }]);
  for (let i = 0; i < 5; i++) seed.endpoint(DEV, 'us-east-1', { name: `page-${i}`, tags: { batch: 'yes', n: String(i) } });
  sim = await startSimulator({ world });
  const credentials = await assumeInto(sim, DEV);
  dev = new ResourceGroupsTaggingAPIClient({ ...sim.clientConfig('us-east-1'), credentials, maxAttempts: 1 });
  devSageMaker = new SageMakerClient({ ...sim.clientConfig('us-east-1'), credentials, maxAttempts: 1 });
});
afterAll(async () => {
  dev.destroy();
  devSageMaker.destroy();
  await sim.stop();
});

describe('GetResources with ResourceARNList', () => {
  it('returns the tags of the listed resources that have tags, matching ARNs case-insensitively', async () => {
    const out = await dev.send(
      new GetResourcesCommand({
        ResourceARNList: [
          `arn:aws:sagemaker:us-east-1:${DEV}:endpoint/Tagged-One`,
          arn('tagged-two'),
          arn('untagged'),
          arn('no-such-endpoint'),
          arn('elsewhere'),
          arn('other-account', 'us-east-1', MGMT),
        ],
      }),
    );
    // Untagged, missing, other-region and other-account resources are absent, not errors.
    expect(asRecord(out.ResourceTagMappingList)).toEqual({
      [arn('tagged-one')]: { team: 'fraud', 'zombie-exempt': 'true' },
      [arn('tagged-two')]: { team: 'search' },
    });
    expect(out.PaginationToken).toBe('');
    expect(sim.ledger.count({ service: 'tagging', operation: 'GetResources', accountId: DEV, region: 'us-east-1' })).toBeGreaterThanOrEqual(1);
  });

  it('sees tag changes made through SageMaker, and shows a once-tagged resource with an empty tag set', async () => {
    await devSageMaker.send(new AddTagsCommand({ ResourceArn: arn('untagged'), Tags: [{ Key: 'zombie-exempt-until', Value: '2099-01-01' }] }));
    await devSageMaker.send(new DeleteTagsCommand({ ResourceArn: arn('was-tagged'), TagKeys: ['owner'] }));
    const out = await dev.send(new GetResourcesCommand({ ResourceARNList: [arn('untagged'), arn('was-tagged')] }));
    expect(out.ResourceTagMappingList).toEqual([
      { ResourceARN: arn('untagged'), Tags: [{ Key: 'zombie-exempt-until', Value: '2099-01-01' }] },
      { ResourceARN: arn('was-tagged'), Tags: [] },
    ]);
  });

  it('refuses more than 100 ARNs, and ARNs combined with filters or paging, as InvalidParameterException', async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => arn(`e-${i}`));
    const error = await dev.send(new GetResourcesCommand({ ResourceARNList: tooMany })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error).toMatchObject({
      message: expect.stringMatching(
        /^1 validation error detected: .* at 'resourceARNList' failed to satisfy constraint: Member must have length less than or equal to 100$/,
      ),
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      dev.send(new GetResourcesCommand({ ResourceARNList: [arn('tagged-two')], ResourceTypeFilters: ['sagemaker:endpoint'] })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(dev.send(new GetResourcesCommand({ ResourceARNList: [arn('tagged-two')], ResourcesPerPage: 10 }))).rejects.toThrow(/ResourcesPerPage/);
    await expect(dev.send(new GetResourcesCommand({ ResourceARNList: [] }))).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('GetResources with filters', () => {
  it('lists every tagged endpoint of the caller by resource type, page by page', async () => {
    const pages: ResourceTagMapping[][] = [];
    for await (const page of paginateGetResources({ client: dev }, { ResourceTypeFilters: ['sagemaker:endpoint'], ResourcesPerPage: 2 }))
      pages.push(page.ResourceTagMappingList ?? []);
    const arns = pages.flat().map((m) => m.ResourceARN);
    expect(pages.every((p) => p.length <= 2)).toBe(true);
    expect(pages.length).toBeGreaterThanOrEqual(4);
    expect(new Set(arns).size).toBe(arns.length);
    expect(arns).toEqual(expect.arrayContaining([arn('tagged-one'), arn('tagged-two'), arn('page-0'), arn('page-4'), arn('was-tagged')]));
    expect(arns.some((a) => a?.includes(':model/'))).toBe(false);
    expect(arns).not.toContain(arn('elsewhere'));

    const models = await dev.send(new GetResourcesCommand({ ResourceTypeFilters: ['sagemaker:model'] }));
    expect(models.ResourceTagMappingList?.map((m) => m.ResourceARN)).toEqual([`arn:aws:sagemaker:us-east-1:${DEV}:model/tagged-two-model`]);
  });

  it("applies tag filters: all filters, any of a filter's values", async () => {
    const out = await dev.send(new GetResourcesCommand({ TagFilters: [{ Key: 'batch' }, { Key: 'n', Values: ['1', '3'] }] }));
    expect(out.ResourceTagMappingList?.map((m) => m.ResourceARN).sort()).toEqual([arn('page-1'), arn('page-3')]);
    await expect(dev.send(new GetResourcesCommand({ ResourcesPerPage: 101 }))).rejects.toThrow(
      /resourcesPerPage' failed to satisfy constraint: Member must have value less than or equal to 100/,
    );
  });

  it('answers a forged pagination token with InvalidParameterException', async () => {
    await expect(dev.send(new GetResourcesCommand({ PaginationToken: 'not-a-token' }))).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('throttling', () => {
  it('throttles with ThrottledException, which the SDK retries as throttling', async () => {
    const retrying = new ResourceGroupsTaggingAPIClient({ ...sim.clientConfig('us-east-1'), credentials: await assumeInto(sim, DEV), maxAttempts: 2 });
    sim.traffic.setThrottling({ enabled: true, limits: { tagging: { rate: 0.001, burst: 1 } } });
    try {
      await retrying.send(new GetResourcesCommand({ ResourceARNList: [arn('tagged-two')] }));
      const before = sim.ledger.count({ service: 'tagging', errors: true });
      const error = await retrying.send(new GetResourcesCommand({ ResourceARNList: [arn('tagged-two')] })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ThrottledException);
      expect(error).toMatchObject({ name: 'ThrottledException', $metadata: { httpStatusCode: 400, attempts: 2 } });
      expect(
        sim.ledger
          .filter({ service: 'tagging', errors: true })
          .slice(before)
          .map((e) => e.errorCode),
      ).toEqual(['ThrottledException', 'ThrottledException']);
    } finally {
      sim.traffic.setThrottling({ enabled: false });
      retrying.destroy();
    }
  });
});
