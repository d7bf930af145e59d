import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddTagsCommand,
  DeleteTagsCommand,
  DescribeEndpointCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListTagsCommand,
  SageMakerClient,
  SageMakerServiceException,
  paginateListEndpoints,
  paginateListTags,
} from '@aws-sdk/client-sagemaker';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { assumeInto, DEV, MGMT, smallOrg } from './core-fixtures.ts';

const REGION = 'us-east-1';
const DAY = 86_400_000;
const now = Date.now();

let sim: Simulator;
let sm: SageMakerClient;

/** 25 InService endpoints in DEV/us-east-1, endpoint-NN created NN days ago, plus one Failed and one Creating. */
function seed(): void {
  const store = sagemakerStore(sim.world, DEV, REGION);
  store.createModel({ ModelName: 'm', PrimaryContainer: { Image: 'img:1', ModelDataUrl: 's3://b/m.tar.gz' } });
  store.createEndpointConfig({
    EndpointConfigName: 'c',
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
  });
  for (let i = 1; i <= 25; i++) {
    const created = new Date(now - i * DAY);
    store.createEndpoint(
      { EndpointName: `endpoint-${String(i).padStart(2, '0')}`, EndpointConfigName: 'c' },
      { status: 'InService', creationTime: created, lastModifiedTime: created },
    );
  }
  store.createEndpoint(
    { EndpointName: 'broken', EndpointConfigName: 'c' },
    { status: 'Failed', failureReason: 'ImagePull failed', creationTime: new Date(now - 100 * DAY) },
  );
  store.createEndpoint({ EndpointName: 'starting', EndpointConfigName: 'c' }, { status: 'Creating' });
}

beforeAll(async () => {
  sim = await startSimulator({ world: smallOrg() });
  seed();
  const credentials = await assumeInto(sim, DEV);
  sm = new SageMakerClient({ ...sim.clientConfig(REGION), credentials, maxAttempts: 1 });
});
afterAll(async () => {
  sm.destroy();
  await sim.stop();
});

describe('ListEndpoints', () => {
  it('pages 10 at a time by default, newest first, and the paginator walks every page', async () => {
    const first = await sm.send(new ListEndpointsCommand({}));
    expect(first.Endpoints).toHaveLength(10);
    expect(first.Endpoints?.[0]?.EndpointName).toBe('starting');
    expect(first.NextToken).toBeDefined();
    const pages = [];
    for await (const page of paginateListEndpoints({ client: sm, pageSize: 10 }, {})) pages.push(page.Endpoints!.map((e) => e.EndpointName));
    expect(pages.map((p) => p.length)).toEqual([10, 10, 7]);
    const names = pages.flat();
    expect(new Set(names).size).toBe(27);
    expect(names.slice(1, 4)).toEqual(['endpoint-01', 'endpoint-02', 'endpoint-03']);
    expect(names.at(-1)).toBe('broken');
  });

  it('filters by status, name and time, and sorts by name', async () => {
    const inService = [];
    for await (const page of paginateListEndpoints({ client: sm, pageSize: 100 }, { StatusEquals: 'InService' })) inService.push(...page.Endpoints!);
    expect(inService).toHaveLength(25);
    expect(inService.every((e) => e.EndpointStatus === 'InService')).toBe(true);

    const named = await sm.send(new ListEndpointsCommand({ NameContains: 'ENDPOINT-1', SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 100 }));
    expect(named.Endpoints?.map((e) => e.EndpointName)).toEqual([
      'endpoint-10',
      'endpoint-11',
      'endpoint-12',
      'endpoint-13',
      'endpoint-14',
      'endpoint-15',
      'endpoint-16',
      'endpoint-17',
      'endpoint-18',
      'endpoint-19',
    ]);

    const old = await sm.send(
      new ListEndpointsCommand({ CreationTimeBefore: new Date(now - 20 * DAY + 1000), CreationTimeAfter: new Date(now - 23 * DAY - 1000), MaxResults: 100 }),
    );
    expect(old.Endpoints?.map((e) => e.EndpointName)).toEqual(['endpoint-20', 'endpoint-21', 'endpoint-22', 'endpoint-23']);
    expect(old.Endpoints?.[0]?.CreationTime?.getTime()).toBe(now - 20 * DAY);
  });

  it('does not repeat or skip endpoints when one is deleted between pages', async () => {
    const first = await sm.send(new ListEndpointsCommand({ StatusEquals: 'InService', SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 5 }));
    sagemakerStore(sim.world, DEV, REGION).state.endpoints.delete('endpoint-03');
    const second = await sm.send(
      new ListEndpointsCommand({ StatusEquals: 'InService', SortBy: 'Name', SortOrder: 'Ascending', MaxResults: 5, NextToken: first.NextToken }),
    );
    expect(first.Endpoints?.map((e) => e.EndpointName)).toEqual(['endpoint-01', 'endpoint-02', 'endpoint-03', 'endpoint-04', 'endpoint-05']);
    expect(second.Endpoints?.[0]?.EndpointName).toBe('endpoint-06');
  });

  it('rejects out-of-range MaxResults and foreign tokens with ValidationException', async () => {
    const tooMany = await sm.send(new ListEndpointsCommand({ MaxResults: 101 })).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(SageMakerServiceException);
    expect((tooMany as Error).name).toBe('ValidationException');
    expect((tooMany as Error).message).toContain("'maxResults'");
    const first = await sm.send(new ListEndpointsCommand({ MaxResults: 2 }));
    const mismatched = await sm.send(new ListEndpointsCommand({ MaxResults: 2, SortBy: 'Name', NextToken: first.NextToken })).catch((e: unknown) => e);
    expect((mismatched as Error).name).toBe('ValidationException');
  });
});

describe('scoping to the caller account and signing region', () => {
  it('shows the management account and other regions nothing of the dev account', async () => {
    const asManagement = new SageMakerClient({ ...sim.clientConfig(REGION), maxAttempts: 1 });
    expect((await asManagement.send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
    const devWest = new SageMakerClient({ ...sim.clientConfig('eu-west-1'), credentials: await assumeInto(sim, DEV), maxAttempts: 1 });
    expect((await devWest.send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
    const missing = (await asManagement.send(new DescribeEndpointCommand({ EndpointName: 'endpoint-01' })).catch((e: unknown) => e)) as Error;
    expect(missing.message).toBe(`Could not find endpoint "arn:aws:sagemaker:${REGION}:${MGMT}:endpoint/endpoint-01".`);
    const mine = await sm.send(new DescribeEndpointCommand({ EndpointName: 'endpoint-01' }));
    expect(mine.EndpointArn).toBe(`arn:aws:sagemaker:${REGION}:${DEV}:endpoint/endpoint-01`);
    asManagement.destroy();
    devWest.destroy();
  });
});

describe('tags', () => {
  const arn = `arn:aws:sagemaker:${REGION}:${DEV}:endpoint/endpoint-07`;

  it('adds, overwrites, lists and deletes tags on an endpoint', async () => {
    await sm.send(
      new AddTagsCommand({
        ResourceArn: arn,
        Tags: [
          { Key: 'zombie', Value: 'confirmed' },
          { Key: 'owner', Value: 'alice@example.com' },
        ],
      }),
    );
    const added = await sm.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'zombie', Value: 'rejected' }] }));
    expect(added.Tags).toEqual([{ Key: 'zombie', Value: 'rejected' }]);
    expect((await sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([
      { Key: 'zombie', Value: 'rejected' },
      { Key: 'owner', Value: 'alice@example.com' },
    ]);
    await sm.send(new DeleteTagsCommand({ ResourceArn: arn, TagKeys: ['zombie', 'not-there'] }));
    expect((await sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'owner', Value: 'alice@example.com' }]);
  });

  it('allows 50 tags per resource, paginates ListTags, and refuses the 51st', async () => {
    const arn2 = `arn:aws:sagemaker:${REGION}:${DEV}:endpoint/endpoint-08`;
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `k${String(i).padStart(2, '0')}`, Value: `v${i}` }));
    await sm.send(new AddTagsCommand({ ResourceArn: arn2, Tags: tags }));
    const listed = [];
    for await (const page of paginateListTags({ client: sm, pageSize: 50 }, { ResourceArn: arn2 })) listed.push(...page.Tags!);
    expect(listed).toEqual(tags);
    const tooMany = (await sm.send(new AddTagsCommand({ ResourceArn: arn2, Tags: [{ Key: 'one-more', Value: 'x' }] })).catch((e: unknown) => e)) as Error;
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.message).toContain('at most 50 tags');
    const smallPage = (await sm.send(new ListTagsCommand({ ResourceArn: arn2, MaxResults: 10 })).catch((e: unknown) => e)) as Error;
    expect(smallPage.message).toContain("'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 50");
    const reserved = (await sm
      .send(new AddTagsCommand({ ResourceArn: arn2, Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'x' }] }))
      .catch((e: unknown) => e)) as Error;
    expect(reserved.name).toBe('ValidationException');
  });

  it('refuses tags on resources that do not exist, including other accounts', async () => {
    const foreign = (await sm
      .send(new AddTagsCommand({ ResourceArn: `arn:aws:sagemaker:${REGION}:${MGMT}:endpoint/endpoint-07`, Tags: [{ Key: 'a', Value: 'b' }] }))
      .catch((e: unknown) => e)) as Error;
    expect(foreign.name).toBe('ValidationException');
    const gone = (await sm.send(new ListTagsCommand({ ResourceArn: `arn:aws:sagemaker:${REGION}:${DEV}:endpoint/nope` })).catch((e: unknown) => e)) as Error;
    expect(gone.name).toBe('ValidationException');
  });
});

describe('ListEndpointConfigs', () => {
  it('lists names, ARNs and creation times, newest first, up to 100 a page, and a recreated config shows its new time', async () => {
    const store = sagemakerStore(sim.world, DEV, REGION);
    for (let i = 1; i <= 120; i++) {
      store.createEndpointConfig(
        {
          EndpointConfigName: `cfg-${String(i).padStart(3, '0')}`,
          ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
        },
        { creationTime: new Date(now - (200 + i) * DAY) },
      );
    }
    const first = await sm.send(new ListEndpointConfigsCommand({ MaxResults: 100 }));
    expect(first.EndpointConfigs).toHaveLength(100);
    expect(first.EndpointConfigs?.[0]).toMatchObject({ EndpointConfigName: 'c', EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${DEV}:endpoint-config/c` });
    expect(first.EndpointConfigs?.[1]?.EndpointConfigName).toBe('cfg-001');
    expect(first.EndpointConfigs?.[1]?.CreationTime?.getTime()).toBe(now - 201 * DAY);
    const second = await sm.send(new ListEndpointConfigsCommand({ MaxResults: 100, NextToken: first.NextToken }));
    expect(second.EndpointConfigs).toHaveLength(21);
    expect(second.NextToken).toBeUndefined();
    expect(new Set([...first.EndpointConfigs!, ...second.EndpointConfigs!].map((c) => c.EndpointConfigName)).size).toBe(121);

    const old = store.getEndpointConfig('cfg-050')!;
    store.deleteEndpointConfig('cfg-050');
    store.createEndpointConfig({ EndpointConfigName: 'cfg-050', ProductionVariants: old.spec.ProductionVariants });
    const newest = await sm.send(new ListEndpointConfigsCommand({ MaxResults: 1 }));
    expect(newest.EndpointConfigs?.[0]?.EndpointConfigName).toBe('cfg-050');
    expect(newest.EndpointConfigs![0]!.CreationTime!.getTime()).toBeGreaterThan(old.creationTime.getTime());
  });
});
