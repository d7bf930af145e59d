import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { ClientFactory, TargetRef } from '../../src/core/clients.ts';
import { mapLimit } from '../../src/core/concurrency.ts';
import { InputValidationError } from '../../src/core/errors.ts';
import type { Log } from '../../src/core/log.ts';
import { partitionOfArn, partitionOfRegion } from '../../src/core/regions.ts';
import type { Targeting } from '../../src/core/schemas.ts';
import { enabledRegions, listTargets } from '../../src/sweep/targets.ts';
import type { CallerIdentity } from './credentials.ts';
import { validateRegion } from './globals.ts';

/**
 * Resolves CLI targeting into account-region targets with the way to reach each: the member role
 * for organization accounts, the caller's own credentials for the caller's own account (which, as
 * the management account, usually has no member role: StackSets do not deploy there).
 *
 * Named regions are checked twice: against the partition's region list before anything runs (a typo
 * is an input error, not a clean region), and against each account's enabled regions (EC2
 * DescribeRegions, one call per account), so an opt-in region the account never enabled is reported
 * "not enabled" instead of being scanned and shown as clean.
 */
export interface ResolvedTargets {
  targets: TargetRef[];
  notEnabled: { accountId: string; region: string }[];
}

/** Before any call: every name in --regions is a region of some partition. */
export function validateRegionNames(targeting: Targeting): void {
  if (targeting.regions === 'all') return;
  for (const region of targeting.regions) validateRegion(region, '--regions');
}

/** After GetCallerIdentity: the regions belong to the caller's partition (aws, aws-cn, aws-us-gov, ...). */
export function checkPartition(targeting: Targeting, caller: CallerIdentity): void {
  const partition = partitionOfArn(caller.arn);
  if (targeting.regions === 'all' || !partition) return;
  const foreign = targeting.regions.filter((region) => partitionOfRegion(region) !== partition);
  if (foreign.length > 0) throw new InputValidationError(`invalid --regions: ${foreign.join(', ')} ${foreign.length === 1 ? 'is' : 'are'} not in the ${partition} partition of your credentials`, '--regions');
}

/** The targets alone (bench/scan.ts): named regions not enabled in an account are dropped. */
export async function resolveTargets(factory: ClientFactory, caller: CallerIdentity, targeting: Targeting, home: string, log: Log): Promise<TargetRef[]> {
  return (await resolveScanTargets(factory, caller, targeting, home, log)).targets;
}

export async function resolveScanTargets(factory: ClientFactory, caller: CallerIdentity, targeting: Targeting, home: string, log: Log): Promise<ResolvedTargets> {
  checkPartition(targeting, caller);
  const reach = (accountId: string): Pick<TargetRef, 'roleName' | 'externalId' | 'capability'> =>
    targeting.org && accountId !== caller.accountId ? { roleName: targeting.roleName, capability: 'read', ...(targeting.externalId ? { externalId: targeting.externalId } : {}) } : {};
  const ec2For = (accountId: string) => factory.target(EC2Client, { accountId, region: home, ...reach(accountId) });
  const listing = await listTargets({
    ...(targeting.org ? { organizations: factory.hub(OrganizationsClient) } : {}),
    ec2For,
    targeting,
    callerAccountId: caller.accountId,
    fallbackRegion: home,
    log,
  });
  const named = listing.targets.map((t) => ({ accountId: t.accountId, region: t.region, ...reach(t.accountId) }));
  if (targeting.regions === 'all') return { targets: named, notEnabled: [] };
  const enabled = await enabledByAccount(
    [...new Set(named.map((t) => t.accountId))],
    ec2For,
    log,
  );
  const notEnabled = named.filter((t) => enabled.get(t.accountId)?.has(t.region) === false).map(({ accountId, region }) => ({ accountId, region }));
  return { targets: named.filter((t) => enabled.get(t.accountId)?.has(t.region) !== false), notEnabled };
}

/**
 * Enabled regions per account; an account whose regions cannot be read is left out of the map, so its
 * targets are scanned and any failure is reported by the scan itself (unreachable, with the reason).
 */
async function enabledByAccount(accounts: string[], ec2For: (accountId: string) => EC2Client, log: Log): Promise<Map<string, Set<string>>> {
  const map = new Map<string, Set<string>>();
  await mapLimit(accounts, 8, async (accountId) => {
    try {
      map.set(accountId, new Set(await enabledRegions(ec2For(accountId))));
    } catch (error) {
      log.debug('enabled regions unreadable; the scan reports the account', { accountId, error: String(error) });
    }
  });
  return map;
}
