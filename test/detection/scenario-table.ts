import type { Simulator } from '../../local/sim/server.ts';
import { sagemakerStore, type EndpointRecord } from '../../local/sim/services/sagemaker/store.ts';
import type { EndpointType, Verdict } from '../../src/core/schemas.ts';
import { DAY, type Seeder } from './seed.ts';

/**
 * The detection scenario table: one endpoint per verdict, kind and known trap, seeded into one
 * account-region. Shared by test/detection/scan.e2e.test.ts (the detection code itself) and
 * test/detection/scenario-paths.e2e.test.ts (the same table through the scan Lambda and the CLI).
 * Each row says what a naive script would get wrong.
 */
export const SCENARIO_REGION = 'us-east-1';

export function seedScenarioTable(seed: Seeder, accountId: string): void {
  const e = (s: Parameters<Seeder['endpoint']>[2]) => seed.endpoint(accountId, SCENARIO_REGION, s);
  const traffic = (endpoint: string, variant: string, days: Record<number, number>, metric?: string) =>
    seed.variantInvocations(accountId, SCENARIO_REGION, endpoint, variant, days, metric);
  const daysFromNow = (days: number) => new Date(seed.now.getTime() + days * DAY).toISOString().slice(0, 10);
  const store = () => sagemakerStore(seed.world, accountId, SCENARIO_REGION);

  e({ name: 'rt-zombie', variants: [{ name: 'AllTraffic', instanceType: 'ml.g4dn.xlarge', count: 2 }] });
  e({ name: 'rt-blue-active', variants: [{ name: 'blue', instanceType: 'ml.m5.large' }] });
  traffic('rt-blue-active', 'blue', { 5: 120 });
  e({
    name: 'rt-second-variant',
    variants: [
      { name: 'AllTraffic', instanceType: 'ml.m5.large' },
      { name: 'canary', instanceType: 'ml.m5.large' },
    ],
  });
  traffic('rt-second-variant', 'AllTraffic', { 45: 9 });
  traffic('rt-second-variant', 'canary', { 10: 3 });
  e({
    name: 'rt-two-variants-idle',
    variants: [
      { name: 'a', instanceType: 'ml.m5.large', count: 1 },
      { name: 'b', instanceType: 'ml.c5.xlarge', count: 3 },
    ],
  });
  e({ name: 'ic-active', variants: [{ name: 'AllTraffic', instanceType: 'ml.g5.2xlarge', count: 1 }], components: [{ name: 'ic-a1' }, { name: 'ic-a2' }] });
  seed.invocations(accountId, SCENARIO_REGION, { InferenceComponentName: 'ic-a2' }, { 2: 40 });
  e({ name: 'ic-idle', variants: [{ name: 'AllTraffic', instanceType: 'ml.g5.2xlarge', count: 1 }], components: [{ name: 'ic-b1' }] });
  e({ name: 'async-processed', async: true });
  traffic('async-processed', 'AllTraffic', { 3: 7 }, 'InvocationsProcessed');
  e({ name: 'async-processed-doc-spelling', async: true });
  traffic('async-processed-doc-spelling', 'AllTraffic', { 3: 7 }, 'InvocationsProcesssed');
  e({ name: 'async-processed-per-endpoint', async: true });
  seed.invocations(accountId, SCENARIO_REGION, { EndpointName: 'async-processed-per-endpoint' }, { 8: 2 }, 'InvocationsProcessed');
  e({ name: 'async-idle', async: true, variants: [{ name: 'AllTraffic', instanceType: 'ml.c5.xlarge', count: 1 }] });
  e({ name: 'async-scaled-to-zero', async: true, currentCounts: { AllTraffic: 0 } });
  // Idle in the window but not billable: its last invocation still comes from the history.
  e({ name: 'async-scaled-to-zero-used-before', async: true, currentCounts: { AllTraffic: 0 } });
  traffic('async-scaled-to-zero-used-before', 'AllTraffic', { 50: 3 }, 'InvocationsProcessed');
  e({ name: 'serverless-plain', variants: [{ name: 'AllTraffic', serverless: { memorySizeInMB: 2048, maxConcurrency: 5 } }] });
  e({ name: 'serverless-provisioned', variants: [{ name: 'AllTraffic', serverless: { memorySizeInMB: 2048, maxConcurrency: 5, provisionedConcurrency: 2 } }] });
  e({ name: 'created-3-days-ago', createdDaysAgo: 3 });
  e({ name: 'updated-10-days-ago', createdDaysAgo: 300, updatedDaysAgo: 10 });
  e({ name: 'updated-10-days-ago-used-before', createdDaysAgo: 300, updatedDaysAgo: 10 });
  traffic('updated-10-days-ago-used-before', 'AllTraffic', { 60: 4 });
  // Same names as deleted predecessors whose traffic is still in CloudWatch: not their invocations.
  e({ name: 'recreated-20-days-ago', createdDaysAgo: 20 });
  traffic('recreated-20-days-ago', 'AllTraffic', { 100: 5 });
  e({ name: 'recreated-40-days-ago', createdDaysAgo: 40 });
  traffic('recreated-40-days-ago', 'AllTraffic', { 100: 5 });
  e({ name: 'invoked-20-days-ago', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large' }] });
  traffic('invoked-20-days-ago', 'AllTraffic', { 20: 1 });
  e({ name: 'invoked-40-days-ago', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large' }] });
  traffic('invoked-40-days-ago', 'AllTraffic', { 40: 12, 100: 5 });
  e({ name: 'exempt-flag', tags: { 'zombie-exempt': 'true' } });
  e({ name: 'exempt-flag-case-variants', tags: { 'zombie-exempt': 'false', 'Zombie-Exempt': 'true' } });
  e({ name: 'exempt-until-future', tags: { 'zombie-exempt-until': daysFromNow(30) } });
  e({ name: 'exempt-until-past', tags: { 'zombie-exempt-until': daysFromNow(-30) } });
  e({ name: 'auto-delete-future', tags: { 'auto-delete-after': daysFromNow(10) } });
  e({ name: 'exempt-malformed', tags: { 'zombie-exempt-until': 'after the demo' } });
  e({ name: 'multi-model-idle', multiModel: true, variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.xlarge', count: 2 }] });
  e({ name: 'config-deleted' });
  store().deleteEndpointConfig('config-deleted-config');
  e({ name: 'shares-config-1', variants: [{ name: 'AllTraffic', instanceType: 'ml.t2.medium' }] });
  e({ name: 'shares-config-2', configName: 'shares-config-1-config' });
  // Busy on a config a zombie also uses: priced from the config read for the zombie, at no extra call.
  e({ name: 'shares-config-active', configName: 'shares-config-1-config' });
  traffic('shares-config-active', 'AllTraffic', { 1: 4 });
  e({ name: 'updating-now' });
  store().requireEndpoint('updating-now').status = 'Updating';
  e({ name: 'deleted-mid-scan' });
}

/** Every InService endpoint of the table: name, verdict, kind ('deleted-mid-scan' needs deleteOnFirstDescribe). */
export const SCENARIO_EXPECTATIONS: readonly (readonly [string, Verdict, EndpointType | null])[] = [
  ['rt-zombie', 'zombie', 'real-time'],
  ['rt-blue-active', 'active', 'real-time'],
  ['rt-second-variant', 'active', 'real-time'],
  ['rt-two-variants-idle', 'zombie', 'real-time'],
  ['ic-active', 'active', 'inference-components'],
  ['ic-idle', 'zombie', 'inference-components'],
  ['async-processed', 'active', 'async'],
  ['async-processed-doc-spelling', 'active', 'async'],
  ['async-processed-per-endpoint', 'active', 'async'],
  ['async-idle', 'zombie', 'async'],
  ['async-scaled-to-zero', 'not-billable', 'async'],
  ['async-scaled-to-zero-used-before', 'not-billable', 'async'],
  ['serverless-plain', 'not-billable', 'serverless'],
  ['serverless-provisioned', 'zombie', 'serverless'],
  ['created-3-days-ago', 'too-new', 'real-time'],
  ['updated-10-days-ago', 'too-new', 'real-time'],
  ['updated-10-days-ago-used-before', 'too-new', 'real-time'],
  ['recreated-20-days-ago', 'too-new', 'real-time'],
  ['recreated-40-days-ago', 'zombie', 'real-time'],
  ['invoked-20-days-ago', 'active', 'real-time'],
  ['invoked-40-days-ago', 'zombie', 'real-time'],
  ['exempt-flag', 'exempt', 'real-time'],
  ['exempt-flag-case-variants', 'exempt', 'real-time'],
  ['exempt-until-future', 'exempt', 'real-time'],
  ['exempt-until-past', 'zombie', 'real-time'],
  ['auto-delete-future', 'exempt', 'real-time'],
  ['exempt-malformed', 'exempt', 'real-time'],
  ['multi-model-idle', 'zombie', 'multi-model'],
  ['config-deleted', 'zombie', 'real-time'],
  ['shares-config-1', 'zombie', 'real-time'],
  ['shares-config-2', 'zombie', 'real-time'],
  ['shares-config-active', 'active', 'real-time'],
  ['deleted-mid-scan', 'error', null],
];

/**
 * Deletes 'deleted-mid-scan' behind the scan's back on the first DescribeEndpoint of the account-region
 * (listed, then gone, as if its owner deleted it); the returned function removes the hook and puts the
 * endpoint back.
 */
export function deleteOnFirstDescribe(sim: Simulator, accountId: string): () => void {
  const endpoints = () => sagemakerStore(sim.world, accountId, SCENARIO_REGION).state.endpoints;
  let deleted: EndpointRecord | undefined;
  const hook = sim.traffic.inject({
    service: 'sagemaker',
    operation: 'DescribeEndpoint',
    accountId,
    region: SCENARIO_REGION,
    times: 1,
    before: () => {
      deleted = endpoints().get('deleted-mid-scan');
      endpoints().delete('deleted-mid-scan');
    },
  });
  return () => {
    sim.traffic.remove(hook);
    if (deleted) endpoints().set('deleted-mid-scan', deleted);
  };
}
