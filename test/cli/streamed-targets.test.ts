import { describe, expect, it } from 'vitest';
import type { ClientFactory } from '../../src/core/clients.ts';
import { TargetingSchema } from '../../src/core/schemas.ts';
import { streamScanTargets } from '../../cli/shared/targets.ts';
import { silentLog } from '../../src/core/log.ts';

/** An organization of `pages` x 20 accounts; every account has enabled us-east-1 only. */
function organization(pages: number) {
  const requested: number[] = [];
  const accountId = (page: number, i: number) => String(100000000000 + page * 20 + i);
  const factory = {
    hub: () => ({
      send: async (command: { input: { NextToken?: string } }) => {
        const page = Number(command.input.NextToken ?? 0);
        requested.push(page);
        return {
          Accounts: Array.from({ length: 20 }, (_, i) => ({ Id: accountId(page, i), State: 'ACTIVE' })),
          NextToken: page + 1 < pages ? String(page + 1) : undefined,
        };
      },
    }),
    target: () => ({ send: async () => ({ Regions: [{ RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' }] }) }),
  } as unknown as ClientFactory;
  return { factory, requested };
}

describe('scan --org targets', () => {
  it('are handed to the scan while later pages of the organization are still unlisted, with regions an account has not enabled reported, not scanned', async () => {
    const { factory, requested } = organization(5);
    const targeting = TargetingSchema.parse({ org: true, regions: ['us-east-1', 'ap-east-1'], roleName: 'MemberRole' });
    const { targets, notEnabled } = streamScanTargets(
      factory,
      { accountId: '999999999999', arn: 'arn:aws:iam::999999999999:user/me' },
      targeting,
      'us-east-1',
      silentLog,
    );

    const seen: { accountId: string; region: string; roleName?: string }[] = [];
    let pagesWhenFirstArrived = -1;
    for await (const target of targets) {
      if (seen.length === 0) pagesWhenFirstArrived = requested.length;
      seen.push(target);
    }

    expect(pagesWhenFirstArrived).toBeLessThan(5);
    expect(seen).toHaveLength(100);
    expect(seen.every((t) => t.region === 'us-east-1' && t.roleName === 'MemberRole')).toBe(true);
    expect(notEnabled).toHaveLength(100);
    expect(notEnabled.every((t) => t.region === 'ap-east-1')).toBe(true);
  });
});
