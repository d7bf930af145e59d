import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { ClientFactory, TargetRef } from '../../src/core/clients.ts';
import type { Log } from '../../src/core/log.ts';
import type { Targeting } from '../../src/core/schemas.ts';
import { listTargets } from '../../src/sweep/targets.ts';
import type { CallerIdentity } from './credentials.ts';

/**
 * Resolves CLI targeting into account-region targets with the way to reach each: the member role
 * for organization accounts, the caller's own credentials for the caller's own account (which, as
 * the management account, usually has no member role: StackSets do not deploy there).
 */
export async function resolveTargets(factory: ClientFactory, caller: CallerIdentity, targeting: Targeting, home: string, log: Log): Promise<TargetRef[]> {
  const reach = (accountId: string): Pick<TargetRef, 'roleName' | 'externalId' | 'capability'> =>
    targeting.org && accountId !== caller.accountId ? { roleName: targeting.roleName, capability: 'read', ...(targeting.externalId ? { externalId: targeting.externalId } : {}) } : {};
  const listing = await listTargets({
    ...(targeting.org ? { organizations: factory.hub(OrganizationsClient) } : {}),
    ec2For: (accountId) => factory.target(EC2Client, { accountId, region: home, ...reach(accountId) }),
    targeting,
    callerAccountId: caller.accountId,
    fallbackRegion: home,
    log,
  });
  return listing.targets.map((t) => ({ accountId: t.accountId, region: t.region, ...reach(t.accountId) }));
}
