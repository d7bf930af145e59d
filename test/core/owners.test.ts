import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessDeniedException, ListTagsForResourceCommand, OrganizationsClient, TargetNotFoundException } from '@aws-sdk/client-organizations';
import { organizationsAdminStore } from '../../local/sim/services/organizations.ts';
import type { Simulator } from '../../local/sim/server.ts';
import { DEFAULT_OWNER_TAG_KEYS, accountOwners, ownerLabel, ownerTagsOf, resolveOwner } from '../../src/core/owners.ts';
import { DEV, PROD, assumeInto, startSmallOrg } from '../sim/core-fixtures.ts';

describe('owner rules', () => {
  const keys = [...DEFAULT_OWNER_TAG_KEYS];

  it('an owner tag naming an address wins; a team name is shown but the account owner is told', () => {
    expect(resolveOwner({ Owner: ' ana@example.com ' }, keys, 'lead@example.com')).toEqual({ contact: 'ana@example.com', source: 'tag' });
    expect(resolveOwner({ team: 'search' }, keys, 'lead@example.com')).toEqual({ contact: 'lead@example.com', source: 'account' });
    expect(resolveOwner({ team: 'search', 'created-by': 'bo@example.com' }, keys, 'lead@example.com')).toEqual({ contact: 'bo@example.com', source: 'tag' });
    expect(resolveOwner({}, keys, undefined)).toEqual({ contact: null, source: null });
  });

  it('the display forms agree: every owner tag in key order, and the first as key=value', () => {
    const tags = { 'created-by': 'arn:aws:iam::1:user/x', Team: 'vision', owner: ' ' };
    expect(ownerTagsOf(tags, keys)).toEqual({ Team: 'vision', 'created-by': 'arn:aws:iam::1:user/x' });
    expect(ownerLabel(tags, keys)).toBe('Team=vision');
    expect(ownerLabel({ 'cost-center': 'cc-1' }, ['cost-center'])).toBe('cost-center=cc-1');
  });
});

describe('account owners', () => {
  let sim: Simulator;
  let org: OrganizationsClient;
  beforeAll(async () => {
    sim = await startSmallOrg();
    org = new OrganizationsClient({ ...sim.clientConfig(), maxAttempts: 1 });
    organizationsAdminStore(sim.world).tagResource(DEV, { owner: 'dev-lead@example.com', 'cost-center': 'cc-7' });
    organizationsAdminStore(sim.world).tagResource(PROD, { team: 'platform' });
  });
  afterAll(async () => {
    org.destroy();
    await sim.stop();
  });

  it("reads the configured contact first, else the account's Organizations tags (one call per account)", async () => {
    const owners = await accountOwners([DEV, DEV, PROD], {}, DEFAULT_OWNER_TAG_KEYS, org);
    expect(Object.fromEntries(owners)).toEqual({ [DEV]: 'dev-lead@example.com' });
    expect(sim.ledger.count({ service: 'organizations', operation: 'ListTagsForResource' })).toBe(2);
    const configured = await accountOwners([DEV], { [DEV]: 'someone@example.com' }, DEFAULT_OWNER_TAG_KEYS, org);
    expect(configured.get(DEV)).toBe('someone@example.com');
    expect(sim.ledger.count({ service: 'organizations', operation: 'ListTagsForResource' })).toBe(2);
  });

  it('the simulator answers ListTagsForResource like Organizations: management account only, unknown accounts refused', async () => {
    await expect(org.send(new ListTagsForResourceCommand({ ResourceId: '999999999999' }))).rejects.toBeInstanceOf(TargetNotFoundException);
    const member = new OrganizationsClient({ ...sim.clientConfig(), credentials: await assumeInto(sim, DEV), maxAttempts: 1 });
    await expect(member.send(new ListTagsForResourceCommand({ ResourceId: DEV }))).rejects.toBeInstanceOf(AccessDeniedException);
    // A hub that may not read the organization knows no account owner; the sweep goes on.
    expect((await accountOwners([DEV], {}, DEFAULT_OWNER_TAG_KEYS, member)).size).toBe(0);
    member.destroy();
  });
});
