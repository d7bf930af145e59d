import { describe, expect, it } from 'vitest';
import { ownerOf, type SweepSavings } from '../../src/savings/model.ts';
import { summarizeSavings } from '../../src/savings/query.ts';

const saving = (name: string, usd: number | null, owner: string | null = 'team=vision', accountId = '222222222222') => ({
  accountId,
  region: 'us-east-1',
  endpointName: name,
  endpointArn: `arn:aws:sagemaker:us-east-1:${accountId}:endpoint/${name}`,
  action: 'deleted' as const,
  monthlyCostUsd: usd,
  owner,
});
const sweep = (id: string, finishedAt: string, realized: SweepSavings['realized'], idleUsd = 0): SweepSavings => ({
  version: 1,
  sweepId: id,
  mode: 'cleanup',
  finishedAt,
  realized,
  realizedMonthlyUsd: realized.reduce((sum, r) => sum + (r.monthlyCostUsd ?? 0), 0),
  idle: { endpoints: realized.length, monthlyCostUsd: idleUsd },
});

describe('savings over time', () => {
  const history = [
    sweep('s1', '2026-09-03T10:00:00Z', [saving('a', 100), saving('b', 50, null)], 400),
    // A later sweep that found `a` already gone must not count it twice.
    sweep('s2', '2026-10-01T10:00:00Z', [saving('a', 100), saving('c', 25, 'owner=alice', '333333333333')], 300),
    sweep('s3', '2026-10-20T10:00:00Z', [saving('d', null)], 200),
  ];

  it('counts each endpoint once, at the sweep that removed it, and accumulates a run rate by month', () => {
    const summary = summarizeSavings(history);
    expect(summary).toMatchObject({ sweeps: 3, endpoints: 4, addedUsd: 175, runRateUsd: 175, unpriced: 1 });
    expect(summary.byMonth).toEqual([
      { month: '2026-09', endpoints: 2, addedUsd: 150, runRateUsd: 150, idleUsd: 400 },
      { month: '2026-10', endpoints: 2, addedUsd: 25, runRateUsd: 175, idleUsd: 200 },
    ]);
  });

  it('groups by account and by owner, largest first, with unowned endpoints named as such', () => {
    const summary = summarizeSavings(history);
    expect(summary.byAccount).toEqual([
      { key: '222222222222', endpoints: 3, monthlyUsd: 150 },
      { key: '333333333333', endpoints: 1, monthlyUsd: 25 },
    ]);
    expect(summary.byOwner.map((g) => g.key)).toEqual(['team=vision', '(no owner tag)', 'owner=alice']);
  });

  it('limits to a range with --since but keeps the run rate earned before it', () => {
    const summary = summarizeSavings(history, '2026-10');
    expect(summary).toMatchObject({ since: '2026-10', sweeps: 2, endpoints: 2, addedUsd: 25, runRateUsd: 175 });
    expect(summary.byMonth).toEqual([{ month: '2026-10', endpoints: 2, addedUsd: 25, runRateUsd: 175, idleUsd: 200 }]);
  });

  it('resolves the owner from the first configured tag present, case-insensitively', () => {
    expect(ownerOf({ Team: 'vision', 'created-by': 'arn:aws:iam::1:user/x' })).toBe('Team=vision');
    expect(ownerOf({ owner: ' ', team: 'nlp' })).toBe('team=nlp');
    expect(ownerOf({ 'cost-center': 'cc-1' })).toBeNull();
    expect(ownerOf({ 'cost-center': 'cc-1' }, ['cost-center'])).toBe('cost-center=cc-1');
  });
});
