import { describe, expect, it } from 'vitest';
import { routeCandidates, settle } from '../../src/cleanup/approval/groups.ts';
import type { ApprovalCandidate } from '../../src/cleanup/approval/store.ts';
import { ApprovalGroupSchema, ApprovalSettingsSchema } from '../../src/core/schemas.ts';

const candidate = (name: string, accountId: string, extra: Partial<ApprovalCandidate> = {}): ApprovalCandidate =>
  ({ endpointName: name, endpointArn: `arn:aws:sagemaker:us-east-1:${accountId}:endpoint/${name}`, accountId, ...extra }) as ApprovalCandidate;

describe('approver group rules', () => {
  const groups = [
    ApprovalGroupSchema.parse({ name: 'prod', approvers: ['p@example.com'], match: { accounts: ['111111111111'] } }),
    ApprovalGroupSchema.parse({ name: 'sandbox', approvers: ['s@example.com'], match: { ous: ['ou-ab12-sandboxs'] } }),
    ApprovalGroupSchema.parse({ name: 'search', approvers: ['q@example.com', 'r@example.com'], match: { owners: ['Search'] }, requiredApprovals: 2 }),
  ];

  it('sends each endpoint to the first matching group (account, OU, owner), the rest to the default group', () => {
    const plans = routeCandidates(
      [
        candidate('a', '111111111111', { ownerTags: { team: 'search' } }),
        candidate('b', '222222222222', { ouId: 'ou-ab12-sandboxs' }),
        candidate('c', '222222222222', { ownerTags: { team: 'SEARCH' } }),
        candidate('d', '222222222222'),
      ],
      groups,
      { approvers: ['lead@example.com'], requiredApprovals: 1 },
    );
    expect(plans.map((p) => [p.name, p.endpoints.map((a) => a.split('/').pop())])).toEqual([
      ['prod', ['a']],
      ['sandbox', ['b']],
      ['search', ['c']],
      ['default', ['d']],
    ]);
  });

  it('refuses endpoints nobody can decide, and quorums a group cannot reach', () => {
    expect(() => routeCandidates([candidate('d', '222222222222')], groups, { approvers: [], requiredApprovals: 1 })).toThrow(/approvers/);
    expect(
      ApprovalGroupSchema.safeParse({ name: 'x', approvers: ['a@example.com'], match: { accounts: ['111111111111'] }, requiredApprovals: 2 }).error?.issues[0]
        ?.path,
    ).toEqual(['requiredApprovals']);
    expect(ApprovalSettingsSchema.safeParse({ approvers: ['a@example.com'], requiredApprovals: 2 }).error?.issues[0]?.path).toEqual(['requiredApprovals']);
  });

  it('settles an endpoint on any rejection or on enough distinct approvals, and not before', () => {
    const vote = (approver: string, approved: string[], rejected: string[]) => ({ approver, at: '2026-01-01T00:00:00Z', approved, rejected });
    expect(settle(['x', 'y'], [vote('q', ['x'], ['y'])], 2)).toBeUndefined();
    expect(settle(['x', 'y'], [vote('q', ['x'], ['y']), vote('r', ['x', 'y'], [])], 2)).toEqual({ approved: ['x'], rejected: ['y'] });
    expect(settle(['x'], [vote('q', [], ['x'])], 2)).toEqual({ approved: [], rejected: ['x'] });
    expect(settle(['x'], [vote('q', ['x'], [])], 1)).toEqual({ approved: ['x'], rejected: [] });
  });
});
