import type { Simulator } from '../sim/server.ts';
import { metricStore } from '../sim/services/cloudwatch/store.ts';
import { sagemakerStore } from '../sim/services/sagemaker/store.ts';
import type { FaultCounter, OwnerAction } from './faults.ts';
import { endpointKey } from './org.ts';
import type { Rng } from './random.ts';

/**
 * What endpoint owners and other teams do while a sweep waits for its approval: call the endpoint,
 * veto by removing the `zombie` tag, add `zombie-exempt`, delete or update the endpoint themselves.
 * They act on the simulator's state directly (as AWS would see their own calls), and each act is
 * recorded with its time so the checker can tell what the sweep had to honour.
 */
export interface OwnerAct {
  /** `owner-veto-link`: the owner pressed "Keep" on the owner notice's veto page (notice.ts). */
  action: OwnerAction | 'owner-veto-link';
  key: string;
  at: number;
}

export interface OwnerActs {
  acts: OwnerAct[];
}

export function actOnEndpoints(
  sim: Simulator,
  sweepId: string,
  regions: string[],
  actions: readonly OwnerAction[],
  rng: Rng,
  counter: FaultCounter,
): OwnerActs {
  const acts: OwnerAct[] = [];
  const marked = markedBy(sim, sweepId, regions);
  for (const action of actions) {
    if (marked.length === 0) break;
    const target = rng.pick(marked);
    const store = sagemakerStore(sim.world, target.accountId, target.region);
    const endpoint = store.getEndpoint(target.name);
    if (!endpoint || endpoint.status === 'Deleting') continue;
    switch (action) {
      case 'invoked-during-approval': {
        const variant = endpoint.variants[0]?.spec.VariantName ?? 'AllTraffic';
        metricStore(sim.world, target.accountId, target.region).put(
          'AWS/SageMaker',
          'Invocations',
          [
            { Name: 'EndpointName', Value: target.name },
            { Name: 'VariantName', Value: variant },
          ],
          new Date(),
          rng.int(1, 20),
        );
        break;
      }
      case 'owner-veto':
        store.deleteTags(endpoint.arn, ['zombie']);
        break;
      case 'owner-exempt':
        store.addTags(endpoint.arn, [{ Key: 'zombie-exempt', Value: 'true' }]);
        break;
      case 'deleted-by-other':
        for (const component of store.listInferenceComponents().filter((c) => c.endpointName === target.name)) store.deleteInferenceComponent(component.name);
        // The owner waits for the components to go before deleting the endpoint, as AWS requires.
        store.completePendingTransitions();
        store.deleteEndpoint(target.name);
        break;
      case 'updated-by-other': {
        endpoint.lastModifiedTime = sim.world.now();
        const variant = endpoint.variants[0];
        if (variant?.currentInstanceCount !== undefined) store.setInstanceCount(target.name, variant.spec.VariantName, variant.currentInstanceCount + 1);
        break;
      }
    }
    acts.push({ action, key: endpointKey(target.accountId, target.region, target.name), at: Date.now() });
    counter.hit(action);
  }
  return { acts };
}

/** Endpoints this sweep has tagged `zombie=confirmed` (the candidates awaiting approval). */
function markedBy(sim: Simulator, sweepId: string, regions: string[]): { accountId: string; region: string; name: string }[] {
  const out: { accountId: string; region: string; name: string }[] = [];
  for (const accountId of sim.world.accounts.keys()) {
    for (const region of regions) {
      const store = sagemakerStore(sim.world, accountId, region);
      for (const endpoint of store.listEndpoints()) {
        const tags = store.tagsOf(endpoint.arn);
        if (tags.zombie === 'confirmed' && tags['zombie-sweep-id'] === sweepId) out.push({ accountId, region, name: endpoint.name });
      }
    }
  }
  return out;
}
