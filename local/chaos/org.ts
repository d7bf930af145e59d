import { generateOrg } from '../sim/scenario/generate.ts';
import type { EndpointSpec, Scenario } from '../sim/scenario/schema.ts';
import type { Rng } from './random.ts';

/**
 * A small random organization for one chaos sweep: a few member accounts x one or two regions x a few
 * endpoints of every kind (real-time, multi-variant, pipelines, multi-model, async, serverless,
 * inference components), each endpoint's true verdict known from how it was built, plus the
 * organization-level faults: accounts without the member role, a region not enabled.
 */
export interface ChaosOrg {
  scenario: Scenario;
  hubAccountId: string;
  regions: string[];
  /** The verdict each endpoint was built to have, by `account/region/name`. */
  truth: Map<string, EndpointSpec>;
  roleMissing: string[];
  regionDisabled: { accountId: string; region: string }[];
  /** Zombies whose model artifact does not exist. */
  artifactMissing: string[];
}

export const endpointKey = (accountId: string, region: string, name: string) => `${accountId}/${region}/${name}`;

const REGION_SETS = [['us-east-1'], ['us-east-1'], ['us-east-1'], ['us-east-1', 'eu-west-1']];

export function randomOrg(rng: Rng, wanted: { roleMissing: boolean; regionDisabled: boolean; artifactMissing: boolean }): ChaosOrg {
  const regions = rng.pick(REGION_SETS);
  const scenario = generateOrg({
    accounts: rng.int(1, 3),
    regions,
    endpointsPerRegion: rng.int(1, 3),
    zombieFraction: rng.pick([0.4, 0.6, 0.8]),
    seed: rng.int(1, 2 ** 30),
  });
  // Deleting endpoints settle fast so Delete's wait loop costs milliseconds, not the 300 ms default.
  scenario.settings.transitionDelayMs = rng.int(0, 20);
  // Every endpoint keeps unique artifacts: shared ones would make one owner's change another's fault.
  for (const endpoint of scenario.endpoints) uniqueArtifacts(endpoint);
  const members = scenario.accounts.filter((a) => a.id !== scenario.organization.managementAccountId);

  const roleMissing: string[] = [];
  if (wanted.roleMissing && members.length > 1) {
    const account = rng.pick(members);
    account.memberRole = false;
    roleMissing.push(account.id);
  }
  const regionDisabled: ChaosOrg['regionDisabled'] = [];
  if (wanted.regionDisabled && regions.length > 1) {
    const account = rng.pick(members);
    const region = regions[1]!;
    account.regions = regions.filter((r) => r !== region);
    // An account cannot hold resources in a region it has not enabled.
    scenario.endpoints = scenario.endpoints.filter((e) => !(e.account === account.id && e.region === region));
    regionDisabled.push({ accountId: account.id, region });
  }
  const artifactMissing: string[] = [];
  if (wanted.artifactMissing) {
    const zombies = scenario.endpoints.filter((e) => e.expect?.verdict === 'zombie' && e.variants[0]?.model?.artifact);
    if (zombies.length > 0) {
      const endpoint = rng.pick(zombies);
      endpoint.variants[0]!.model!.artifact!.exists = false;
      artifactMissing.push(endpointKey(endpoint.account, endpoint.region, endpoint.name));
    }
  }
  const truth = new Map(scenario.endpoints.map((e) => [endpointKey(e.account, e.region, e.name), e]));
  return { scenario, hubAccountId: scenario.organization.managementAccountId, regions, truth, roleMissing, regionDisabled, artifactMissing };
}

function uniqueArtifacts(endpoint: EndpointSpec): void {
  const rewrite = (uri: string) => uri.replace(/\/models\/([^/]+)\//, `/models/${endpoint.name}-$1/`);
  for (const variant of endpoint.variants) {
    const model = variant.model;
    if (!model) continue;
    if (model.artifact) model.artifact.uri = rewrite(model.artifact.uri);
    for (const container of model.containers ?? []) if (container.artifact) container.artifact.uri = rewrite(container.artifact.uri);
  }
  for (const component of endpoint.inferenceComponents) {
    if (component.model?.artifact) component.model.artifact.uri = rewrite(component.model.artifact.uri);
    if (component.container) component.container.artifact.uri = rewrite(component.container.artifact.uri);
  }
}
