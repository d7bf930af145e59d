import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { ClientFactory, TargetRef } from '../../src/core/clients.ts';
import { mapLimit } from '../../src/core/concurrency.ts';
import { InputValidationError } from '../../src/core/errors.ts';
import type { Log } from '../../src/core/log.ts';
import { partitionOfArn, partitionOfRegion } from '../../src/core/regions.ts';
import type { Targeting } from '../../src/core/schemas.ts';
import { streamTargets } from '../../src/sweep/target-stream.ts';
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
  if (foreign.length > 0)
    throw new InputValidationError(
      `invalid --regions: ${foreign.join(', ')} ${foreign.length === 1 ? 'is' : 'are'} not in the ${partition} partition of your credentials`,
      '--regions',
    );
}

/** The targets alone (bench/scan.ts): named regions not enabled in an account are dropped. */
export async function resolveTargets(factory: ClientFactory, caller: CallerIdentity, targeting: Targeting, home: string, log: Log): Promise<TargetRef[]> {
  return (await resolveScanTargets(factory, caller, targeting, home, log)).targets;
}

export async function resolveScanTargets(
  factory: ClientFactory,
  caller: CallerIdentity,
  targeting: Targeting,
  home: string,
  log: Log,
): Promise<ResolvedTargets> {
  checkPartition(targeting, caller);
  const { reach, ec2For, listing: listingOptions } = reachOf(factory, caller, targeting, home, log);
  const listing = await listTargets(listingOptions);
  const named = listing.targets.map((t) => ({ accountId: t.accountId, region: t.region, ...reach(t.accountId) }));
  if (targeting.regions === 'all') return { targets: named, notEnabled: [] };
  const enabled = await enabledByAccount([...new Set(named.map((t) => t.accountId))], ec2For, log);
  const notEnabled = named.filter((t) => enabled.get(t.accountId)?.has(t.region) === false).map(({ accountId, region }) => ({ accountId, region }));
  return { targets: named.filter((t) => enabled.get(t.accountId)?.has(t.region) !== false), notEnabled };
}

/**
 * How each account is reached (the member role in an organization, the caller's own credentials for its own
 * account), its EC2 client for DescribeRegions, and the options that list the targets.
 */
function reachOf(factory: ClientFactory, caller: CallerIdentity, targeting: Targeting, home: string, log: Log) {
  const reach = (accountId: string): Pick<TargetRef, 'roleName' | 'externalId' | 'capability'> =>
    targeting.org && accountId !== caller.accountId
      ? { roleName: targeting.roleName, capability: 'read', ...(targeting.externalId ? { externalId: targeting.externalId } : {}) }
      : {};
  const ec2For = (accountId: string) => factory.target(EC2Client, { accountId, region: home, ...reach(accountId) });
  const listing = {
    ...(targeting.org ? { organizations: factory.hub(OrganizationsClient) } : {}),
    ec2For,
    targeting,
    callerAccountId: caller.accountId,
    fallbackRegion: home,
    log,
  };
  return { reach, ec2For, listing };
}

/** Accounts whose enabled regions are being read ahead of the scan that consumes their targets. */
const REGION_LOOKAHEAD = 16;

/**
 * The same targets as resolveScanTargets, yielded while the organization is still being listed, so
 * the scan starts on the first page of accounts. Each account's enabled regions are read a few
 * accounts ahead of the consumer; targets in a region the account has not enabled go to `notEnabled`
 * (complete once the iteration ends) instead of being yielded.
 */
export function streamScanTargets(
  factory: ClientFactory,
  caller: CallerIdentity,
  targeting: Targeting,
  home: string,
  log: Log,
): { targets: AsyncIterable<TargetRef>; notEnabled: ResolvedTargets['notEnabled'] } {
  checkPartition(targeting, caller);
  const notEnabled: ResolvedTargets['notEnabled'] = [];
  const { reach, ec2For, listing } = reachOf(factory, caller, targeting, home, log);
  const listed = streamTargets(listing);
  const enabledOf = (accountId: string): Promise<Set<string> | undefined> =>
    targeting.regions === 'all'
      ? Promise.resolve(undefined)
      : enabledRegions(ec2For(accountId)).then(
          (regions) => new Set(regions),
          (error: unknown) => {
            log.debug('enabled regions unreadable; the scan reports the account', { accountId, error: String(error) });
            return undefined;
          },
        );
  async function* resolved(): AsyncIterable<TargetRef> {
    for await (const group of lookahead(byAccount(listed), REGION_LOOKAHEAD, (g) => enabledOf(g.accountId))) {
      for (const { accountId, region } of group.item.targets) {
        if (group.ahead?.has(region) === false) notEnabled.push({ accountId, region });
        else yield { accountId, region, ...reach(accountId) };
      }
    }
  }
  return { targets: resolved(), notEnabled };
}

/** Consecutive targets of one account, grouped (listings yield an account's regions together). */
async function* byAccount(
  targets: AsyncIterable<{ accountId: string; region: string }>,
): AsyncIterable<{ accountId: string; targets: { accountId: string; region: string }[] }> {
  let current: { accountId: string; targets: { accountId: string; region: string }[] } | undefined;
  for await (const target of targets) {
    if (current?.accountId !== target.accountId) {
      if (current) yield current;
      current = { accountId: target.accountId, targets: [] };
    }
    current.targets.push(target);
  }
  if (current) yield current;
}

/** Starts `start` for up to `depth` items before the consumer reaches them, in order. */
export async function* lookahead<T, A>(items: AsyncIterable<T>, depth: number, start: (item: T) => Promise<A>): AsyncIterable<{ item: T; ahead: A }> {
  const pending: { item: T; ahead: Promise<A> }[] = [];
  for await (const item of items) {
    pending.push({ item, ahead: start(item) });
    if (pending.length > depth) {
      const next = pending.shift()!;
      yield { item: next.item, ahead: await next.ahead };
    }
  }
  for (const next of pending) yield { item: next.item, ahead: await next.ahead };
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
