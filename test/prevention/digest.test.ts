import { describe, expect, it } from 'vitest';
import { buildDigests, digestText } from '../../src/prevention/digest.ts';
import type { Finding } from '../../src/core/schemas.ts';

const NOW = new Date('2026-12-05T10:00:00Z');

function finding(
  name: string,
  verdict: Finding['verdict'],
  cost: number | null,
  tags: Record<string, string> = {},
  creationTime = '2026-06-01T00:00:00Z',
): Finding {
  return {
    accountId: '222222222222',
    region: 'us-east-1',
    endpointName: name,
    endpointArn: `arn:aws:sagemaker:us-east-1:222222222222:endpoint/${name}`,
    verdict,
    reason: 'r',
    endpointType: 'real-time',
    instanceType: 'ml.g4dn.xlarge',
    instanceCount: 1,
    invocations: 0,
    lastInvokedAt: null,
    monthlyCostUsd: cost,
    creationTime,
    tags,
  };
}

describe('weekly digest', () => {
  const digests = buildDigests(
    [
      finding('fraud-v1', 'zombie', 532.9, { team: 'fraud' }),
      finding('fraud-v2', 'active', 1000, { Team: 'fraud', 'auto-delete-after': '2026-12-10' }),
      finding('demo', 'expired', 100, { owner: 'maria@example.com', 'auto-delete-after': '2026-12-01' }),
      finding('orphan', 'exempt', null, {}),
    ],
    { now: NOW, ownerTagKeys: ['owner', 'team'], autoDeleteMaxDays: 365 },
  );

  it('groups endpoints per owner tag, case-insensitively, unowned last, costliest first', () => {
    expect(digests.map((d) => d.owner)).toEqual(['owner=maria@example.com', 'team=fraud', null]);
    const fraud = digests.find((d) => d.endpoints.some((e) => e.endpointName === 'fraud-v1'))!;
    expect(fraud.endpoints.map((e) => e.endpointName)).toEqual(['fraud-v2', 'fraud-v1']);
    expect(fraud).toMatchObject({ idleCount: 1, monthlyCostUsd: 1532.9, idleMonthlyCostUsd: 532.9 });
    expect(digests.at(-1)).toMatchObject({ owner: null, idleCount: 0, monthlyCostUsd: 0 });
  });

  it('counts the days until auto-delete-after (the tagged day itself is the last day kept), negative once passed', () => {
    const all = digests.flatMap((d) => d.endpoints);
    expect(all.find((e) => e.endpointName === 'fraud-v2')).toMatchObject({ autoDeleteAfter: '2026-12-10', daysUntilAutoDelete: 5 });
    expect(all.find((e) => e.endpointName === 'demo')).toMatchObject({ autoDeleteAfter: '2026-12-01', daysUntilAutoDelete: -4, idle: true });
    expect(all.find((e) => e.endpointName === 'fraud-v1')).not.toHaveProperty('daysUntilAutoDelete');
  });

  it('caps a far auto-delete-after at creation plus the horizon, as detection does', () => {
    const [capped] = buildDigests([finding('forever', 'exempt', 10, { owner: 'x', 'auto-delete-after': '2099-01-01' }, '2026-01-01T00:00:00Z')], {
      now: NOW,
      autoDeleteMaxDays: 365,
    });
    expect(capped!.endpoints[0]).toMatchObject({ autoDeleteAfter: '2026-12-31', daysUntilAutoDelete: 26 });
  });

  it('reads as one plain-text message per owner', () => {
    const text = digestText(
      digests.find((d) => d.owner === 'owner=maria@example.com')!,
      'weekly-1',
    );
    expect(text.subject).toBe('SageMaker endpoints of owner=maria@example.com: 1 idle of 1, $100.00/month');
    expect(text.body).toContain('- demo (222222222222, us-east-1): EXPIRED (auto-delete-after passed), $100.00/month, auto-delete-after 2026-12-01 has passed');
    const fraud = digestText(digests[1]!, 'weekly-1').body;
    expect(fraud).toContain('auto-delete-after 2026-12-10 (in 5 days)');
    expect(fraud).toContain('fraud-v1 (222222222222, us-east-1): IDLE, $532.90/month, no auto-delete-after tag');
  });
});
