import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  type Account,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mapLimit } from '../core/concurrency.ts';
import { errorMessage, errorName, RetryableAwsError } from '../core/errors.ts';
import type { Log } from '../core/log.ts';
import type { Target, Targeting } from '../core/schemas.ts';
import { isTransient } from '../core/aws-errors.ts';

/**
 * The sweep's targets: accounts x regions (docs/design.md flow step 1). Used by `zombie-sweep scan --org`
 * and by the list-targets Lambda, so both agree on who is in scope.
 */
export interface ListTargetsOptions {
  /** Organizations client acting as the management (or delegated administrator) account. */
  organizations?: OrganizationsClient;
  /** EC2 in the given account (through the member role), for `regions: 'all'`. */
  ec2For: (accountId: string) => EC2Client;
  targeting: Targeting;
  /** The caller's own account: the only target when `targeting.org` is false. */
  callerAccountId?: string;
  /** Region used for an account whose enabled regions cannot be read (it will be reported unreachable there). */
  fallbackRegion: string;
  log: Log;
  concurrency?: number;
}

export interface TargetListing {
  targets: Target[];
  /** Accounts in scope whose enabled regions could not be read; they appear once, in the fallback region. */
  regionLookupFailures: { accountId: string; reason: string }[];
}

/** Organizations caps MaxResults at 20 (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html). */
const PAGE_SIZE = 20;

interface ScopedAccount {
  accountId: string;
  accountName?: string;
}

export async function listTargets(options: ListTargetsOptions): Promise<TargetListing> {
  let accounts: ScopedAccount[];
  try {
    accounts = await accountsInScope(options);
  } catch (error) {
    // Organizations throttles hard (TooManyRequestsException, "another request is already in progress"):
    // the state machine's Retry gets it through instead of the sweep failing (found by the chaos harness).
    if (isTransient(error))
      throw new RetryableAwsError(`cannot list the organization's accounts: ${errorName(error)}: ${errorMessage(error)}`, { cause: error });
    throw error;
  }
  const regionLookupFailures: TargetListing['regionLookupFailures'] = [];
  const perAccount = await mapLimit(accounts, options.concurrency ?? 8, async (account) => {
    const regions = options.targeting.regions;
    if (regions !== 'all') return regions.map((region) => ({ ...account, region }));
    try {
      return (await enabledRegions(options.ec2For(account.accountId))).map((region) => ({ ...account, region }));
    } catch (error) {
      if (isTransient(error))
        throw new RetryableAwsError(`cannot list regions of ${account.accountId}: ${errorName(error)}: ${errorMessage(error)}`, { cause: error });
      const reason = `cannot list enabled regions: ${errorName(error)}: ${errorMessage(error)}`;
      options.log.warn('region lookup failed; account kept in the fallback region so it is reported', { accountId: account.accountId, reason });
      regionLookupFailures.push({ accountId: account.accountId, reason });
      return [{ ...account, region: options.fallbackRegion }];
    }
  });
  const targets = perAccount.flat().map(({ accountId, accountName, region }) => ({ accountId, region, ...(accountName ? { accountName } : {}) }));
  targets.sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region));
  return { targets, regionLookupFailures };
}

/** ACTIVE accounts, narrowed to the included ids and OUs (recursively), minus the excluded ids. */
export async function accountsInScope(options: ListTargetsOptions): Promise<ScopedAccount[]> {
  const { targeting } = options;
  const excluded = new Set(targeting.excludeAccounts);
  if (!targeting.org) {
    if (!options.callerAccountId) throw new Error('callerAccountId is required when targeting.org is false');
    return excluded.has(options.callerAccountId) ? [] : [{ accountId: options.callerAccountId }];
  }
  const organizations = options.organizations;
  if (!organizations) throw new Error('an Organizations client is required when targeting.org is true');
  const all = await listAll(organizations, undefined);
  const includeIds = targeting.accounts ? new Set(targeting.accounts) : undefined;
  let underOus: Set<string> | undefined;
  if (targeting.ous) {
    underOus = new Set();
    for (const ou of targeting.ous) for (const account of await accountsUnder(organizations, ou)) if (account.Id) underOus.add(account.Id);
  }
  return all
    .filter((a) => a.Id && isActive(a))
    .filter((a) => {
      if (!includeIds && !underOus) return true;
      return (includeIds?.has(a.Id!) ?? false) || (underOus?.has(a.Id!) ?? false);
    })
    .filter((a) => !excluded.has(a.Id!))
    .map((a) => ({ accountId: a.Id!, ...(a.Name ? { accountName: a.Name } : {}) }));
}

export function isActive(account: Account): boolean {
  // `State` supersedes `Status` in newer API versions; either saying ACTIVE is enough.
  return account.State === 'ACTIVE' || (account.State === undefined && account.Status === 'ACTIVE');
}

async function listAll(organizations: OrganizationsClient, parentId: string | undefined): Promise<Account[]> {
  const out: Account[] = [];
  let token: string | undefined;
  do {
    const page = parentId
      ? await organizations.send(new ListAccountsForParentCommand({ ParentId: parentId, MaxResults: PAGE_SIZE, NextToken: token }))
      : await organizations.send(new ListAccountsCommand({ MaxResults: PAGE_SIZE, NextToken: token }));
    out.push(...(page.Accounts ?? []));
    token = page.NextToken || undefined;
  } while (token);
  return out;
}

/** Accounts directly under `parentId` and under every OU below it. */
export async function accountsUnder(organizations: OrganizationsClient, parentId: string): Promise<Account[]> {
  const accounts = await listAll(organizations, parentId);
  let token: string | undefined;
  const children: string[] = [];
  do {
    const page = await organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, MaxResults: PAGE_SIZE, NextToken: token }));
    for (const ou of page.OrganizationalUnits ?? []) if (ou.Id) children.push(ou.Id);
    token = page.NextToken || undefined;
  } while (token);
  for (const child of children) accounts.push(...(await accountsUnder(organizations, child)));
  return accounts;
}

/** Regions enabled for the account: DescribeRegions without AllRegions lists exactly those. */
export async function enabledRegions(ec2: EC2Client): Promise<string[]> {
  const out = await ec2.send(new DescribeRegionsCommand({}));
  return (out.Regions ?? [])
    .filter((r) => r.RegionName && (r.OptInStatus === undefined || r.OptInStatus !== 'not-opted-in'))
    .map((r) => r.RegionName!)
    .sort();
}
