import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import type { Target } from '../core/schemas.ts';
import { isActive, listTargets, type ListTargetsOptions } from './targets.ts';

/**
 * The same targets as listTargets, yielded as Organizations pages arrive (20 accounts a page), so a
 * scan of a thousand accounts starts on the first page instead of after fifty sequential calls.
 * Only the common shape streams (the whole organization or listed account ids, named regions); OU
 * filters and `regions: 'all'` need more lookups per account and are listed first, then yielded.
 */
export async function* streamTargets(options: ListTargetsOptions): AsyncIterable<Target> {
  const { targeting, organizations } = options;
  const regions = targeting.regions;
  if (!targeting.org || targeting.ous || regions === 'all' || !organizations) {
    yield* (await listTargets(options)).targets;
    return;
  }
  const include = targeting.accounts ? new Set(targeting.accounts) : undefined;
  const excluded = new Set(targeting.excludeAccounts);
  let token: string | undefined;
  do {
    const page = await organizations.send(new ListAccountsCommand({ MaxResults: 20, NextToken: token }));
    for (const account of page.Accounts ?? []) {
      if (!account.Id || !isActive(account) || excluded.has(account.Id) || (include && !include.has(account.Id))) continue;
      for (const region of regions) yield { accountId: account.Id, region, ...(account.Name ? { accountName: account.Name } : {}) };
    }
    token = page.NextToken || undefined;
  } while (token);
}
