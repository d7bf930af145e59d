import { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import { layout } from '../core/layout.ts';
import { parseOrThrow } from '../core/schemas.ts';
import { hubS3, type SweepDeps } from './deps.ts';
import { SweepContextSchema, type ScanItem, type SweepContext } from './model.ts';
import { putJson } from '../core/s3-json.ts';
import { accountsUnder, listTargets } from './targets.ts';
import { accountProtection } from '../core/protected.ts';
import type { ScanProtection } from '../core/schemas.ts';

/**
 * ListTargets: the organization's accounts x regions (src/sweep/targets.ts decides who is in scope),
 * written to `sweeps/<id>/targets.json` as the scan Map's item list. Each item is the scan child's
 * whole input, so the Map needs no ItemSelector and nothing depends on optional fields in JSONPath.
 */
export const ListTargetsInputSchema = z.object({ sweep: SweepContextSchema });

export interface ListTargetsResult {
  key: string;
  count: number;
  accounts: number;
  regions: string[];
  /** Accounts whose enabled regions could not be read (scanned in the hub region so they are reported). */
  regionLookupFailures: number;
}

export async function writeTargetList(deps: SweepDeps, raw: unknown): Promise<ListTargetsResult> {
  const { sweep } = parseOrThrow(ListTargetsInputSchema, raw, 'list-targets input');
  const targeting = sweep.targets;
  const callerAccountId = targeting.org ? undefined : (await deps.clients.hub(STSClient).send(new GetCallerIdentityCommand({}))).Account;
  const listing = await listTargets({
    organizations: targeting.org ? deps.clients.hub(OrganizationsClient) : undefined,
    ec2For: (accountId) =>
      targeting.org
        ? deps.clients.target(EC2Client, {
            accountId,
            region: deps.hubRegion,
            roleName: targeting.roleName,
            externalId: targeting.externalId,
            capability: 'read',
          })
        : deps.clients.hub(EC2Client),
    targeting,
    callerAccountId,
    fallbackRegion: deps.hubRegion,
    log: deps.log.child({ sweepId: sweep.sweepId }),
  });
  const protection = await protectionOf(deps, sweep);
  const items: ScanItem[] = listing.targets.map((t) => ({
    sweepId: sweep.sweepId,
    accountId: t.accountId,
    ...(t.accountName ? { accountName: t.accountName } : {}),
    region: t.region,
    // Without --org the sweep acts in the caller's own account with the caller's own credentials, like `scan`.
    ...(targeting.org ? { roleName: targeting.roleName } : {}),
    ...(targeting.org && targeting.externalId ? { externalId: targeting.externalId } : {}),
    detection: withProtection(sweep.detection, protection(t.accountId)),
  }));
  const key = layout.targets(sweep.sweepId);
  await putJson(hubS3(deps), deps.archiveBucket, key, items);
  deps.log.info('targets listed', { sweepId: sweep.sweepId, targets: items.length });
  return {
    key,
    count: items.length,
    accounts: new Set(items.map((i) => i.accountId)).size,
    regions: [...new Set(items.map((i) => i.region))].sort(),
    regionLookupFailures: listing.regionLookupFailures.length,
  };
}

/**
 * Each account's part of the sweep's protected list, for its scan: the protected tags, and whether the
 * whole account is protected (listed, or anywhere below a protected OU, resolved here once per sweep).
 */
async function protectionOf(deps: SweepDeps, sweep: SweepContext): Promise<(accountId: string) => ScanProtection | undefined> {
  const list = sweep.protected;
  if (!list) return () => undefined;
  const underOus = new Map<string, Set<string>>();
  if (list.ouIds.length > 0) {
    const organizations = deps.clients.hub(OrganizationsClient);
    for (const ou of list.ouIds) underOus.set(ou, new Set((await accountsUnder(organizations, ou)).flatMap((a) => (a.Id ? [a.Id] : []))));
  }
  return (accountId) => {
    const account = accountProtection(accountId, list, underOus);
    if (!account && Object.keys(list.tags).length === 0) return undefined;
    return { tags: list.tags, ...(account ? { account } : {}) };
  };
}

function withProtection(detection: SweepContext['detection'], protection: ScanProtection | undefined): SweepContext['detection'] {
  return protection ? { ...detection, protection } : detection;
}
