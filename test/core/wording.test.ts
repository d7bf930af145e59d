import { describe, expect, it } from 'vitest';
import { ApprovalSettingsSchema, type Finding } from '../../src/core/schemas.ts';
import { ageInDays, count, lastInvoked, ownerText, pickOwnerTags } from '../../src/core/wording.ts';
import { candidateOf } from '../../src/sweep/collect.ts';
import type { ScanItem, SweepContext } from '../../src/sweep/model.ts';

describe('the words every output shares', () => {
  it('writes the last invocation one way: a date, never, or before the date known idle', () => {
    expect(lastInvoked('2026-10-25T00:00:00.000Z', '2026-10-26')).toBe('2026-10-25');
    expect(lastInvoked(null, 'never')).toBe('never');
    expect(lastInvoked(null)).toBe('never');
    expect(lastInvoked(null, '2026-09-04')).toBe('before 2026-09-04');
  });

  it('counts with thousands separators and ages in whole days', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(ageInDays('2026-01-01T00:00:00Z', '2026-12-04T10:00:00Z')).toBe('337 days');
    expect(ageInDays('2026-12-03T00:00:00Z', '2026-12-04T10:00:00Z')).toBe('1 day');
    expect(ageInDays(undefined, '2026-12-04T10:00:00Z')).toBeUndefined();
  });

  it('picks owner tags by the configured keys, in their order, whatever their case, skipping blanks', () => {
    const tags = { Team: 'search', owner: 'ana@example.com', 'created-by': ' ', env: 'prod' };
    expect(pickOwnerTags(tags, ['owner', 'team', 'created-by'])).toEqual({ owner: 'ana@example.com', Team: 'search' });
    expect(ownerText(pickOwnerTags(tags, ['cost-center']))).toBe('none');
    expect(ownerText({ owner: 'ana@example.com', Team: 'search' })).toBe('owner=ana@example.com, Team=search');
  });
});

describe('a zombie becomes an approval candidate', () => {
  const finding: Finding = {
    accountId: '222222222222',
    region: 'us-east-1',
    endpointName: 'fraud-v1',
    endpointArn: 'arn:aws:sagemaker:us-east-1:222222222222:endpoint/fraud-v1',
    verdict: 'zombie',
    reason: 'idle',
    endpointType: 'real-time',
    instanceType: 'ml.g5.2xlarge',
    instanceCount: 1,
    invocations: 0,
    lastInvokedAt: '2026-08-01T00:00:00.000Z',
    monthlyCostUsd: 1103.76,
    creationTime: '2025-06-01T00:00:00.000Z',
    idleSince: '2026-08-02',
    tags: { owner: 'maria@example.com', 'cost-center': 'cc-42', team: 'fraud' },
  };
  const sweep = (ownerTagKeys?: string[]) =>
    ({ sweepId: 'sweep-1', approval: ApprovalSettingsSchema.parse(ownerTagKeys ? { ownerTagKeys } : {}) }) as unknown as SweepContext;
  const item = { sweepId: 'sweep-1', accountId: '222222222222', region: 'us-east-1' } as ScanItem;

  it('carries last invocation, creation time and the default owner tags (owner, team, created-by)', () => {
    const c = candidateOf(sweep(), item, finding, '2026-12-04T06:00:00.000Z');
    expect(c).toMatchObject({
      lastInvokedAt: '2026-08-01T00:00:00.000Z',
      createdAt: '2025-06-01T00:00:00.000Z',
      ownerTags: { owner: 'maria@example.com', team: 'fraud' },
    });
  });

  it('validates the configured keys, naming the field', () => {
    expect(ApprovalSettingsSchema.parse({}).ownerTagKeys).toEqual(['owner', 'team', 'created-by']);
    const bad = ApprovalSettingsSchema.safeParse({ ownerTagKeys: [''] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['ownerTagKeys', 0]);
  });

  it('uses the sweep’s own owner tag keys when configured', () => {
    expect(candidateOf(sweep(['cost-center']), item, finding, '2026-12-04T06:00:00.000Z').ownerTags).toEqual({ 'cost-center': 'cc-42' });
  });
});
