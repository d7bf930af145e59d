import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  ChildNotFoundException,
  DescribeOrganizationCommand,
  InvalidInputException,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  OrganizationsClient,
  ParentNotFoundException,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import {
  DEV,
  MGMT,
  NO_ROLE,
  ORG_ID,
  OU_SANDBOXES,
  OU_WORKLOADS,
  PROD,
  ROOT_ID,
  SUSPENDED,
  account,
  assumeInto,
  smallOrg,
  startSmallOrg,
} from './core-fixtures.ts';

let sim: Simulator;
let org: OrganizationsClient;

beforeAll(async () => {
  sim = await startSmallOrg();
  org = new OrganizationsClient({ ...sim.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  org.destroy();
  await sim.stop();
});

async function all<T>(pages: AsyncIterable<{ Accounts?: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(page.Accounts ?? []));
  return out;
}

describe('Organizations, as the management account', () => {
  it('describes the organization', async () => {
    const { Organization } = await org.send(new DescribeOrganizationCommand({}));
    expect(Organization).toMatchObject({
      Id: ORG_ID,
      Arn: `arn:aws:organizations::${MGMT}:organization/${ORG_ID}`,
      FeatureSet: 'ALL',
      MasterAccountId: MGMT,
      MasterAccountEmail: 'aws+management@example.com',
    });
  });

  it('lists every account through the paginator, suspended ones with Status and State SUSPENDED', async () => {
    const accounts = await all(paginateListAccounts({ client: org, pageSize: 2 }, {}));
    expect(accounts.map((a) => a.Id)).toEqual([MGMT, DEV, PROD, SUSPENDED, NO_ROLE]);
    const suspended = accounts.find((a) => a.Id === SUSPENDED)!;
    expect(suspended).toMatchObject({
      Status: 'SUSPENDED',
      State: 'SUSPENDED',
      Name: 'old-sandbox',
      Arn: `arn:aws:organizations::${MGMT}:account/${ORG_ID}/${SUSPENDED}`,
    });
    expect(suspended.JoinedTimestamp).toEqual(new Date('2021-03-01T00:00:00Z'));
  });

  it('walks the tree: OUs of the root, accounts of an OU, parents', async () => {
    const ous = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: ROOT_ID }));
    expect(ous.OrganizationalUnits?.map((ou) => [ou.Id, ou.Name])).toEqual([
      [OU_WORKLOADS, 'workloads'],
      [OU_SANDBOXES, 'sandboxes'],
    ]);
    const inWorkloads = await org.send(new ListAccountsForParentCommand({ ParentId: OU_WORKLOADS }));
    expect(inWorkloads.Accounts?.map((a) => a.Id)).toEqual([DEV, PROD]);
    const atRoot = await org.send(new ListAccountsForParentCommand({ ParentId: ROOT_ID }));
    expect(atRoot.Accounts?.map((a) => a.Id)).toEqual([MGMT]);
    expect((await org.send(new ListParentsCommand({ ChildId: DEV }))).Parents).toEqual([{ Id: OU_WORKLOADS, Type: 'ORGANIZATIONAL_UNIT' }]);
    expect((await org.send(new ListParentsCommand({ ChildId: OU_SANDBOXES }))).Parents).toEqual([{ Id: ROOT_ID, Type: 'ROOT' }]);
  });

  it('answers unknown ids and bad input with the documented exceptions', async () => {
    await expect(org.send(new ListAccountsForParentCommand({ ParentId: 'ou-sim0-nosuchou1' }))).rejects.toBeInstanceOf(ParentNotFoundException);
    await expect(org.send(new ListParentsCommand({ ChildId: '999999999999' }))).rejects.toBeInstanceOf(ChildNotFoundException);
    const badPattern = await org.send(new ListAccountsForParentCommand({ ParentId: 'not-an-id' })).catch((e: unknown) => e);
    expect(badPattern).toBeInstanceOf(InvalidInputException);
    expect(badPattern).toMatchObject({ Reason: 'INVALID_PATTERN', message: expect.stringContaining('ParentId') });
    await expect(org.send(new ListAccountsCommand({ MaxResults: 21 }))).rejects.toMatchObject({ name: 'InvalidInputException', Reason: 'MAX_VALUE_EXCEEDED' });
    // A token is only good for the listing that issued it.
    const first = await org.send(new ListAccountsCommand({ MaxResults: 1 }));
    expect(first.NextToken).toBeDefined();
    await expect(org.send(new ListAccountsForParentCommand({ ParentId: ROOT_ID, NextToken: first.NextToken }))).rejects.toMatchObject({
      name: 'InvalidInputException',
      Reason: 'INVALID_NEXT_TOKEN',
    });
    await expect(org.send(new ListAccountsCommand({ NextToken: 'garbage!' }))).rejects.toBeInstanceOf(InvalidInputException);
  });
});

describe('Organizations, as other callers', () => {
  it('lets a member account describe the organization but not list its accounts', async () => {
    const member = new OrganizationsClient({ ...sim.clientConfig(), credentials: await assumeInto(sim, DEV), maxAttempts: 1 });
    expect((await member.send(new DescribeOrganizationCommand({}))).Organization?.Id).toBe(ORG_ID);
    const denied = await member.send(new ListAccountsCommand({})).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect((denied as AccessDeniedException).$metadata.httpStatusCode).toBe(400);
    await expect(member.send(new ListOrganizationalUnitsForParentCommand({ ParentId: ROOT_ID }))).rejects.toBeInstanceOf(AccessDeniedException);
    member.destroy();
  });

  it('answers AWSOrganizationsNotInUseException to an account outside the organization', async () => {
    sim.world.credentials.set('ASIAOUTSIDERKEY00001', {
      accessKeyId: 'ASIAOUTSIDERKEY00001',
      secretAccessKey: 'x',
      sessionToken: 'y',
      accountId: '999999999999',
      roleName: 'Outsider',
      sessionName: 's',
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const outsider = new OrganizationsClient({
      ...sim.clientConfig(),
      credentials: { accessKeyId: 'ASIAOUTSIDERKEY00001', secretAccessKey: 'x', sessionToken: 'y' },
      maxAttempts: 1,
    });
    await expect(outsider.send(new DescribeOrganizationCommand({}))).rejects.toBeInstanceOf(AWSOrganizationsNotInUseException);
    outsider.destroy();
  });
});

describe('Organizations pagination on a larger organization', () => {
  it('may start a long listing with an empty page, and the paginator still gets every account', async () => {
    const world = smallOrg();
    for (let i = 0; i < 25; i++) {
      const id = String(600000000000 + i);
      world.accounts.set(id, account(id, `member-${i}`, OU_WORKLOADS, ['us-east-1']));
    }
    const big = await startSimulator({ world });
    const client = new OrganizationsClient({ ...big.clientConfig(), maxAttempts: 1 });
    try {
      // AWS: "These operations can occasionally return an empty set of results even when more results are available."
      const first = await client.send(new ListAccountsCommand({}));
      expect(first.Accounts).toEqual([]);
      expect(first.NextToken).toBeDefined();
      const accounts = await all(paginateListAccounts({ client }, {}));
      expect(accounts).toHaveLength(30);
      expect(new Set(accounts.map((a) => a.Id)).size).toBe(30);
      // Default pages hold 10: 1 empty + 3 pages.
      expect(big.ledger.count({ service: 'organizations', operation: 'ListAccounts' })).toBe(1 + 4);
    } finally {
      client.destroy();
      await big.stop();
    }
  });
});
