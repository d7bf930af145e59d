import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { World, type SimAccount } from '../../local/sim/world.ts';
import { silentLog } from '../../src/core/log.ts';
import { TargetingSchema, type Targeting } from '../../src/core/schemas.ts';
import { listTargets } from '../../src/sweep/targets.ts';
import { simFactory, useSimulatorEnv } from './sim-env.ts';

const ROOT = 'r-abcd';
const OU_WORK = 'ou-abcd-11111111';
const OU_WORK_TEAM = 'ou-abcd-22222222';
const OU_SANDBOX = 'ou-abcd-33333333';
const ROLE = 'ZombieSweepMemberRole';

function account(id: string, parentId: string, regions: string[], over: Partial<SimAccount> = {}): SimAccount {
  return {
    id,
    name: `acct-${id.slice(0, 3)}`,
    email: `${id}@example.com`,
    status: 'ACTIVE',
    parentId,
    joinedAt: new Date('2022-01-01T00:00:00Z'),
    enabledRegions: regions,
    roles: new Map([[ROLE, { name: ROLE }]]),
    ...over,
  };
}

function organization(): World {
  const world = new World('o-abcd1234', '100000000000', ROOT);
  world.ous.set(OU_WORK, { id: OU_WORK, name: 'workloads', parentId: ROOT });
  world.ous.set(OU_WORK_TEAM, { id: OU_WORK_TEAM, name: 'team', parentId: OU_WORK });
  world.ous.set(OU_SANDBOX, { id: OU_SANDBOX, name: 'sandbox', parentId: ROOT });
  for (const a of [
    account('100000000000', ROOT, ['us-east-1']),
    account('200000000000', OU_WORK, ['us-east-1', 'eu-west-1']),
    account('300000000000', OU_WORK_TEAM, ['us-east-1', 'ap-southeast-3']),
    account('400000000000', OU_SANDBOX, ['us-east-1'], { status: 'SUSPENDED' }),
    account('500000000000', OU_SANDBOX, ['us-east-1', 'us-west-2'], { roles: new Map() }),
    // More accounts than one Organizations page (20) holds.
    ...Array.from({ length: 22 }, (_, i) => account(`6000000000${String(i).padStart(2, '0')}`, OU_SANDBOX, ['us-east-1'])),
  ]) {
    world.accounts.set(a.id, a);
  }
  return world;
}

let sim: Simulator;
let restoreEnv: () => void;
beforeAll(async () => {
  sim = await startSimulator({ world: organization() });
  restoreEnv = useSimulatorEnv(sim);
});
afterAll(async () => {
  restoreEnv();
  await sim.stop();
});

async function targetsFor(input: Partial<Targeting>) {
  const { factory } = simFactory();
  const targeting = TargetingSchema.parse(input);
  return listTargets({
    organizations: factory.hub(OrganizationsClient),
    ec2For: (accountId) => factory.target(EC2Client, { accountId, region: 'us-east-1', roleName: targeting.roleName }),
    targeting,
    callerAccountId: '100000000000',
    fallbackRegion: 'us-east-1',
    log: silentLog,
  });
}

const ids = (targets: { accountId: string }[]) => [...new Set(targets.map((t) => t.accountId))];

describe('organization targets', () => {
  it('takes every ACTIVE account across pages, never a suspended one', async () => {
    const { targets } = await targetsFor({ regions: ['us-east-1'] });
    expect(ids(targets)).toHaveLength(26);
    expect(ids(targets)).not.toContain('400000000000');
  });

  it('includes by account id and by OU (recursively), and excludes by id', async () => {
    expect(ids((await targetsFor({ regions: ['us-east-1'], accounts: ['200000000000'] })).targets)).toEqual(['200000000000']);
    expect(ids((await targetsFor({ regions: ['us-east-1'], ous: [OU_WORK] })).targets)).toEqual(['200000000000', '300000000000']);
    expect(ids((await targetsFor({ regions: ['us-east-1'], ous: [OU_WORK], excludeAccounts: ['300000000000'] })).targets)).toEqual(['200000000000']);
    expect(ids((await targetsFor({ regions: ['us-east-1'], ous: [OU_WORK_TEAM], accounts: ['500000000000'] })).targets)).toEqual([
      '300000000000',
      '500000000000',
    ]);
  });

  it('crosses accounts with the given regions', async () => {
    const { targets } = await targetsFor({ regions: ['us-east-1', 'eu-west-1'], accounts: ['200000000000', '300000000000'] });
    expect(targets.map((t) => `${t.accountId}/${t.region}`)).toEqual([
      '200000000000/eu-west-1',
      '200000000000/us-east-1',
      '300000000000/eu-west-1',
      '300000000000/us-east-1',
    ]);
  });

  it('asks each account for its enabled regions with regions=all, and keeps unreadable accounts to report them', async () => {
    const { targets, regionLookupFailures } = await targetsFor({
      regions: 'all',
      ous: [OU_WORK, OU_SANDBOX],
      excludeAccounts: Array.from({ length: 22 }, (_, i) => `6000000000${String(i).padStart(2, '0')}`),
    });
    expect(targets.map((t) => `${t.accountId}/${t.region}`)).toEqual([
      '200000000000/eu-west-1',
      '200000000000/us-east-1',
      '300000000000/ap-southeast-3',
      '300000000000/us-east-1',
      '500000000000/us-east-1',
    ]);
    expect(regionLookupFailures).toEqual([{ accountId: '500000000000', reason: expect.stringContaining('cannot list enabled regions') }]);
  });

  it('targets only the caller account without --org', async () => {
    const { targets } = await targetsFor({ org: false, regions: ['us-east-1', 'us-west-2'] });
    expect(targets.map((t) => `${t.accountId}/${t.region}`)).toEqual(['100000000000/us-east-1', '100000000000/us-west-2']);
  });
});
