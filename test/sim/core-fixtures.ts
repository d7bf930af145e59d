/**
 * A small hand-built organization for the simulator's own tests (independent of the scenario module):
 * management + dev + prod (external id, opt-in region) in OU workloads, a suspended account and an
 * account without the member role in OU sandboxes.
 */
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../local/sim/server.ts';
import { World, type SimAccount } from '../../local/sim/world.ts';

export const ORG_ID = 'o-sim0example';
export const ROOT_ID = 'r-sim0';
export const OU_WORKLOADS = 'ou-sim0-workloads';
export const OU_SANDBOXES = 'ou-sim0-sandboxes';
export const MGMT = '111111111111';
export const DEV = '222222222222';
export const PROD = '333333333333';
export const SUSPENDED = '444444444444';
export const NO_ROLE = '555555555555';
export const ROLE = 'ZombieSweepMemberRole';
export const PROD_EXTERNAL_ID = 'sweep-external-id-1';

export function account(id: string, name: string, parentId: string, regions: string[], overrides: Partial<SimAccount> = {}): SimAccount {
  return {
    id,
    name,
    email: `aws+${name}@example.com`,
    status: 'ACTIVE',
    parentId,
    joinedAt: new Date('2021-03-01T00:00:00Z'),
    enabledRegions: regions,
    roles: new Map([[ROLE, { name: ROLE }]]),
    ...overrides,
  };
}

export function smallOrg(now?: () => Date): World {
  const world = new World(ORG_ID, MGMT, ROOT_ID, 'us-east-1', now);
  world.ous.set(OU_WORKLOADS, { id: OU_WORKLOADS, name: 'workloads', parentId: ROOT_ID });
  world.ous.set(OU_SANDBOXES, { id: OU_SANDBOXES, name: 'sandboxes', parentId: ROOT_ID });
  for (const a of [
    account(MGMT, 'management', ROOT_ID, ['us-east-1', 'us-west-2']),
    account(DEV, 'dev', OU_WORKLOADS, ['us-east-1', 'eu-west-1']),
    account(PROD, 'prod', OU_WORKLOADS, ['us-east-1', 'ap-southeast-3'], { roles: new Map([[ROLE, { name: ROLE, externalId: PROD_EXTERNAL_ID }]]) }),
    account(SUSPENDED, 'old-sandbox', OU_SANDBOXES, ['us-east-1'], { status: 'SUSPENDED' }),
    account(NO_ROLE, 'no-role', OU_SANDBOXES, ['us-east-1'], { roles: new Map() }),
  ]) {
    world.accounts.set(a.id, a);
  }
  return world;
}

export async function startSmallOrg(options: Partial<SimulatorOptions> & { now?: () => Date } = {}): Promise<Simulator> {
  return startSimulator({ world: smallOrg(options.now), ...options });
}

/** Credentials of the member role in `accountId`, obtained through the simulator's STS. */
export async function assumeInto(sim: Simulator, accountId: string, options: { externalId?: string; durationSeconds?: number } = {}) {
  const sts = new STSClient(sim.clientConfig());
  const out = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accountId}:role/${ROLE}`,
      RoleSessionName: 'sim-test',
      ExternalId: options.externalId,
      DurationSeconds: options.durationSeconds,
    }),
  );
  sts.destroy();
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken!, expiration: c.Expiration };
}

/** A signed-looking Authorization header for raw HTTP tests (the simulator reads the scope, not the signature). */
export function fakeAuthorization(service: string, region = 'us-east-1', accessKeyId = 'AKIASIMADMIN00000000'): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20250101/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
}
