import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { layout } from '../../src/core/layout.ts';
import { silentLog } from '../../src/core/log.ts';
import { resolveDetectionSettings } from '../../src/core/schemas.ts';
import { s3ConfigCache, type ConfigCacheStore } from '../../src/detection/config-cache.ts';
import { PRICE_TABLE } from '../../src/detection/pricing.ts';
import { scanOneTarget } from '../../src/detection/target-scan.ts';
import { DAY, member, orgWorld, ROLE, Seeder } from './seed.ts';
import { simFactory, useSimulatorEnv } from './sim-env.ts';

/**
 * The cross-sweep cache of what each endpoint was deployed with (src/detection/config-cache.ts),
 * through the SDK against the simulator: a repeat scan reads no config or model of an unchanged
 * endpoint, lists nothing to validate the cache, and reports the same findings; an endpoint updated
 * since is read again and priced by its new config; one updated too recently to be sure is read every
 * time; an unreadable cache costs calls, never a wrong or failed scan.
 */
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const ACCT = '410987654321';
const REGION = 'us-east-1';
const BUCKET = 'config-cache-test-archive';

let sim: Simulator;
let restoreEnv: () => void;
let cache: ConfigCacheStore;

beforeAll(async () => {
  const world = orgWorld(NOW, [member(ACCT, [REGION])]);
  const seed = new Seeder(world, NOW);
  seed.endpoint(ACCT, REGION, { name: 'idle-a', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large' }] });
  seed.endpoint(ACCT, REGION, { name: 'idle-c', variants: [{ name: 'AllTraffic', instanceType: 'ml.c5.xlarge' }], createdDaysAgo: 100 });
  seed.endpoint(ACCT, REGION, { name: 'idle-a-twin', configName: 'idle-a-config' });
  seed.endpoint(ACCT, REGION, { name: 'busy-b', variants: [{ name: 'AllTraffic', instanceType: 'ml.g5.xlarge' }] });
  seed.variantInvocations(ACCT, REGION, 'busy-b', 'AllTraffic', { 1: 50, 2: 50 });
  sim = await startSimulator({ world });
  restoreEnv = useSimulatorEnv(sim);
  const s3 = new S3Client(sim.clientConfig());
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  cache = s3ConfigCache(s3, BUCKET);
});
afterAll(async () => {
  restoreEnv();
  await sim.stop();
});

async function scan(configCache?: ConfigCacheStore) {
  const { factory, counter } = simFactory();
  const result = await scanOneTarget({
    factory,
    target: { accountId: ACCT, region: REGION, roleName: ROLE },
    settings: resolveDetectionSettings({}),
    clock: fixedClock(NOW),
    log: silentLog,
    prices: PRICE_TABLE,
    ...(configCache ? { configCache } : {}),
  });
  const byOperation = counter.stats().byOperation;
  const findings = result.findings.map((f) => ({
    name: f.endpointName,
    verdict: f.verdict,
    type: f.endpointType,
    instanceType: f.instanceType,
    cost: f.monthlyCostUsd,
  }));
  return {
    result,
    findings,
    describes: byOperation['SageMaker:DescribeEndpointConfig'] ?? 0,
    models: byOperation['SageMaker:DescribeModel'] ?? 0,
    lists: byOperation['SageMaker:ListEndpointConfigs'] ?? 0,
  };
}

/** What UpdateEndpoint leaves behind: the endpoint on a config of that name, modified at `at`. */
function redeploy(endpointName: string, configName: string, instanceType: string, at: Date) {
  const store = sagemakerStore(sim.world, ACCT, REGION);
  const before = store.getEndpointConfig(configName)!;
  store.deleteEndpointConfig(configName);
  store.createEndpointConfig(
    { EndpointConfigName: configName, ProductionVariants: [{ ...before.spec.ProductionVariants[0]!, InstanceType: instanceType }] },
    { creationTime: new Date(at.getTime() - 60_000) },
  );
  store.getEndpoint(endpointName)!.lastModifiedTime = at;
}

describe('the deployment cache across sweeps', () => {
  it('reads each distinct config and zombie model once cold, nothing warm, with the same findings as a scan without a cache', async () => {
    const uncached = await scan();
    const cold = await scan(cache);
    expect(cold.describes).toBe(3);
    expect(cold.models).toBe(uncached.models);
    expect(cold.models).toBeGreaterThan(0);
    expect(cold.findings).toEqual(uncached.findings);

    const warm = await scan(cache);
    expect(warm).toMatchObject({ describes: 0, models: 0, lists: 0 });
    expect(warm.findings).toEqual(uncached.findings);
    expect(warm.findings.find((f) => f.name === 'busy-b')).toMatchObject({ verdict: 'active', instanceType: 'ml.g5.xlarge' });
  });

  it('reads the config of an endpoint updated since its entry again, prices what it now runs, and is warm again after', async () => {
    await scan(cache);
    redeploy('busy-b', 'busy-b-config', 'ml.g5.12xlarge', new Date(NOW.getTime() - DAY));

    const after = await scan(cache);
    expect(after.describes).toBe(1);
    expect(after.findings.find((f) => f.name === 'busy-b')).toMatchObject({ instanceType: 'ml.g5.12xlarge' });
    expect(after.findings.find((f) => f.name === 'idle-a')).toMatchObject({ verdict: 'zombie', instanceType: 'ml.m5.large' });
    const again = await scan(cache);
    expect(again).toMatchObject({ describes: 0, models: 0 });
    expect(again.findings).toEqual(after.findings);
  });

  it('keeps pricing what an endpoint was deployed with when its config is replaced under the same name but the endpoint is not updated', async () => {
    await scan(cache);
    const store = sagemakerStore(sim.world, ACCT, REGION);
    const deployed = store.getEndpoint('idle-c')!.lastModifiedTime;
    redeploy('idle-c', 'idle-c-config', 'ml.p4d.24xlarge', new Date(NOW.getTime() - DAY));
    store.getEndpoint('idle-c')!.lastModifiedTime = deployed;

    const warm = await scan(cache);
    expect(warm.describes).toBe(0);
    expect(warm.findings.find((f) => f.name === 'idle-c')).toMatchObject({ verdict: 'zombie', instanceType: 'ml.c5.xlarge' });
  });

  it('records no entry for an endpoint modified too recently to be sure what was read, and reads it on every scan', async () => {
    redeploy('idle-c', 'idle-c-config', 'ml.c5.2xlarge', new Date(NOW.getTime() - 5 * 60_000));
    const first = await scan(cache);
    const second = await scan(cache);
    expect(first.describes).toBe(1);
    expect(second.describes).toBe(1);
    expect(second.findings.find((f) => f.name === 'idle-c')).toMatchObject({ instanceType: 'ml.c5.2xlarge' });
  });

  it('treats an unreadable or foreign cache file as empty: every config is described and the scan is right', async () => {
    const s3 = new S3Client(sim.clientConfig());
    const uncached = await scan();
    const foreign = [
      'not json',
      JSON.stringify({ version: 1, accountId: ACCT, region: REGION, configs: [{ endpointConfigName: 'idle-a-config' }] }),
      JSON.stringify({ version: 2, accountId: ACCT, region: REGION, configs: [], deployments: [{ endpointName: 'idle-a' }] }),
    ];
    for (const body of foreign) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: layout.configCache(ACCT, REGION), Body: body }));
      const scanned = await scan(cache);
      expect(scanned.result.status).toBe('ok');
      expect(scanned.describes).toBe(uncached.describes);
      expect(scanned.findings).toEqual(uncached.findings);
    }
  });

  it("reads S3's 403 for a missing file (the scan role has no s3:ListBucket) as no cache, and any other failure as one", async () => {
    const failing = (name: string) => ({ send: () => Promise.reject(Object.assign(new Error(name), { name })) }) as unknown as S3Client;
    await expect(s3ConfigCache(failing('AccessDenied'), BUCKET).load(ACCT, REGION)).resolves.toBeUndefined();
    await expect(s3ConfigCache(failing('InternalError'), BUCKET).load(ACCT, REGION)).rejects.toThrow();
  });
});
