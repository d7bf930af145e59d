import { describe, expect, it } from 'vitest';
import { resolveDetectionSettings } from '../../src/core/schemas.ts';
import type { DescribedEndpoint, DescribedVariant } from '../../src/detection/model.ts';
import {
  classifyEndpointType,
  detectionWindow,
  idleBilling,
  idleSince,
  judgeExemption,
  judgeOwnerTags,
  judgeUsage,
  parseTagDate,
} from '../../src/detection/rules.ts';

const NOW = new Date('2026-11-22T18:30:00Z');
const DAY = 86_400_000;
const settings = resolveDetectionSettings({});
const window = detectionWindow(NOW, settings);

function variant(over: Partial<DescribedVariant> = {}): DescribedVariant {
  return { variantName: 'v1', currentInstanceCount: 1, shadow: false, ...over };
}
function endpoint(over: Partial<DescribedEndpoint> = {}): DescribedEndpoint {
  return {
    endpointName: 'ep',
    endpointArn: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/ep',
    endpointConfigName: 'ep-config',
    status: 'InService',
    creationTime: new Date(NOW.getTime() - 200 * DAY),
    lastModifiedTime: new Date(NOW.getTime() - 200 * DAY),
    variants: [variant()],
    isAsync: false,
    ...over,
  };
}

describe('detection window', () => {
  it('starts at UTC midnight lookbackDays before today and ages against the same instant by default', () => {
    expect(window.start.toISOString()).toBe('2026-10-23T00:00:00.000Z');
    expect(window.ageCutoff?.toISOString()).toBe('2026-10-23T00:00:00.000Z');
    expect(window.historyStart.toISOString()).toBe('2025-08-24T00:00:00.000Z');
  });

  it('never lets the minimum age be shorter than the window: a zombie existed for the whole window', () => {
    expect(() => resolveDetectionSettings({ minAgeDays: 0 })).toThrow(/minAgeDays/);
    expect(() => resolveDetectionSettings({ lookbackDays: 30, minAgeDays: 7 })).toThrow(/whole lookback window/);
    expect(detectionWindow(NOW, resolveDetectionSettings({ lookbackDays: 30, minAgeDays: 60 })).ageCutoff?.toISOString()).toBe('2026-09-23T00:00:00.000Z');
  });
});

describe('usage verdicts', () => {
  it('calls an endpoint with invocations above the threshold active', () => {
    expect(judgeUsage(endpoint(), { invocations: 3 }, [], window)).toMatchObject({ verdict: 'active' });
    const lenient = detectionWindow(NOW, resolveDetectionSettings({ thresholdInvocations: 5 }));
    expect(judgeUsage(endpoint(), { invocations: 5 }, [], lenient).verdict).toBe('idle');
  });

  it('never judges an endpoint whose metrics could not be read', () => {
    expect(judgeUsage(endpoint(), { invocations: 0, error: 'Forbidden' }, [], window)).toMatchObject({ verdict: 'error' });
  });

  it('calls serverless without provisioned concurrency not-billable, with it idle', () => {
    const serverless = (pc?: number) =>
      endpoint({
        variants: [
          variant({ currentInstanceCount: undefined, serverless: { memorySizeInMB: 2048, maxConcurrency: 5, ...(pc ? { provisionedConcurrency: pc } : {}) } }),
        ],
      });
    expect(judgeUsage(serverless(), { invocations: 0 }, [], window).verdict).toBe('not-billable');
    expect(judgeUsage(serverless(2), { invocations: 0 }, [], window).verdict).toBe('idle');
  });

  it('calls an async endpoint scaled to zero not-billable', () => {
    const scaled = endpoint({ isAsync: true, variants: [variant({ currentInstanceCount: 0 })] });
    expect(idleBilling(scaled)).toMatchObject({ billable: false, reason: expect.stringContaining('async') });
  });

  it('calls endpoints created or updated inside the window too-new, and ones created 3 days ago too', () => {
    const young = endpoint({ creationTime: new Date(NOW.getTime() - 3 * DAY), lastModifiedTime: new Date(NOW.getTime() - 3 * DAY) });
    expect(judgeUsage(young, { invocations: 0 }, [], window)).toMatchObject({ verdict: 'too-new', reason: expect.stringContaining('created 2026-11-19') });
    const updated = endpoint({ lastModifiedTime: new Date(NOW.getTime() - 10 * DAY) });
    expect(judgeUsage(updated, { invocations: 0 }, [], window).verdict).toBe('too-new');
  });

  it('treats a component redeployed inside the window as a young endpoint', () => {
    const component = { inferenceComponentName: 'ic-new', endpointName: 'ep', creationTime: new Date(NOW.getTime() - 2 * DAY) };
    expect(judgeUsage(endpoint(), { invocations: 0 }, [component], window)).toMatchObject({ verdict: 'too-new', reason: expect.stringContaining('ic-new') });
  });

  it('leaves an old, billable, unused endpoint idle for the exemption check', () => {
    expect(judgeUsage(endpoint(), { invocations: 0 }, [], window)).toMatchObject({
      verdict: 'idle',
      reason: expect.stringContaining('0 invocations in the last 30 days'),
    });
  });
});

describe('exemption tags', () => {
  it('exempts zombie-exempt=true in any case, and keeps false/no as not exempt', () => {
    expect(judgeExemption({ 'zombie-exempt': 'true' }, NOW).exempt).toBe(true);
    expect(judgeExemption({ 'Zombie-Exempt': 'TRUE' }, NOW).exempt).toBe(true);
    expect(judgeExemption({ 'zombie-exempt': 'false' }, NOW).exempt).toBe(false);
    expect(judgeExemption({}, NOW).exempt).toBe(false);
  });

  it('treats an unreadable zombie-exempt value as exempt and says why', () => {
    expect(judgeExemption({ 'zombie-exempt': 'please keep' }, NOW)).toEqual({ exempt: true, reason: expect.stringContaining('treated as exempt') });
  });

  it('exempts future zombie-exempt-until and auto-delete-after, not past ones', () => {
    expect(judgeExemption({ 'zombie-exempt-until': '2027-01-01' }, NOW).exempt).toBe(true);
    expect(judgeExemption({ 'auto-delete-after': '2026-12-01T00:00:00Z' }, NOW).exempt).toBe(true);
    expect(judgeExemption({ 'zombie-exempt-until': '2026-01-01' }, NOW).exempt).toBe(false);
    expect(judgeExemption({ 'auto-delete-after': '2026-11-01' }, NOW).exempt).toBe(false);
  });

  it('keeps an endpoint through the whole day a bare date names', () => {
    expect(judgeExemption({ 'zombie-exempt-until': '2026-11-22' }, NOW).exempt).toBe(true);
    expect(judgeExemption({ 'zombie-exempt-until': '2026-11-21' }, NOW).exempt).toBe(false);
  });

  it('treats malformed dates as exempt, with the reason', () => {
    for (const value of ['next week', '2026-13-01', '2026-02-30', '1', '22/11/2027']) {
      expect(judgeExemption({ 'zombie-exempt-until': value }, NOW)).toEqual({ exempt: true, reason: expect.stringContaining('not an ISO date') });
    }
  });

  it('lets a future date win over zombie-exempt=false', () => {
    expect(judgeExemption({ 'zombie-exempt': 'false', 'zombie-exempt-until': '2030-01-01' }, NOW).exempt).toBe(true);
  });

  it('exempts when any of several keys differing only by case exempts, whatever their order', () => {
    // SageMaker tag keys are case-sensitive: both can be set at once.
    for (const tags of [
      { 'zombie-exempt': 'false', 'Zombie-Exempt': 'true' },
      { 'Zombie-Exempt': 'true', 'zombie-exempt': 'false' },
    ]) {
      expect(judgeExemption(tags, NOW)).toEqual({ exempt: true, reason: 'tag Zombie-Exempt=true' });
    }
    expect(judgeExemption({ 'zombie-exempt-until': '2026-01-01', 'ZOMBIE-EXEMPT-UNTIL': '2030-01-01' }, NOW)).toEqual({
      exempt: true,
      reason: 'tag ZOMBIE-EXEMPT-UNTIL=2030-01-01 is in the future',
    });
    expect(judgeExemption({ 'Auto-Delete-After': '2030-01-01', 'auto-delete-after': '2026-01-01' }, NOW).exempt).toBe(true);
    expect(
      judgeExemption({ 'zombie-exempt': 'false', 'Zombie-Exempt': 'no', 'zombie-exempt-until': '2026-01-01', 'Zombie-Exempt-Until': '2026-02-01' }, NOW).exempt,
    ).toBe(false);
  });

  it('parses only strict ISO dates', () => {
    expect(parseTagDate('2026-12-01')?.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(parseTagDate('2026-12-01T10:00:00+02:00')?.toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(parseTagDate('Dec 1 2026')).toBeUndefined();
  });
});

describe('idle since and endpoint kinds', () => {
  it('is the day after the last invocation, or never', () => {
    expect(idleSince(new Date('2026-10-03T00:00:00Z'))).toBe('2026-10-04');
    expect(idleSince(undefined)).toBe('never');
  });

  it('classifies every endpoint kind', () => {
    expect(classifyEndpointType(endpoint(), undefined, 0)).toBe('real-time');
    expect(classifyEndpointType(endpoint(), undefined, 0, true)).toBe('multi-model');
    expect(classifyEndpointType(endpoint({ isAsync: true }), undefined, 0)).toBe('async');
    expect(classifyEndpointType(endpoint({ variants: [variant({ serverless: { memorySizeInMB: 1024, maxConcurrency: 1 } })] }), undefined, 0)).toBe(
      'serverless',
    );
    expect(classifyEndpointType(endpoint(), undefined, 2)).toBe('inference-components');
    const componentConfig = {
      endpointConfigName: 'c',
      isAsync: false,
      executionRoleArn: 'arn:aws:iam::1:role/r',
      variants: [{ variantName: 'v1', instanceType: 'ml.g5.xlarge', shadow: false }],
    };
    expect(classifyEndpointType(endpoint(), componentConfig, 0)).toBe('inference-components');
  });
});

describe("auto-delete-after: the owner's own deadline", () => {
  const created = new Date(NOW.getTime() - 200 * DAY);
  const horizon = { createdAt: created, maxDays: 365 };

  it('keeps the endpoint until the date, then says it expired, whatever its traffic', () => {
    expect(judgeOwnerTags({ 'auto-delete-after': '2027-01-15' }, NOW, horizon)).toEqual({
      kind: 'exempt',
      reason: 'tag auto-delete-after=2027-01-15 is in the future',
    });
    expect(judgeOwnerTags({ 'auto-delete-after': '2026-11-01' }, NOW, horizon)).toEqual({
      kind: 'expired',
      reason: 'tag auto-delete-after=2026-11-01 has passed',
    });
  });

  it('caps a far-future date at the horizon after creation, so a tag cannot exempt forever', () => {
    const old = { createdAt: new Date(NOW.getTime() - 400 * DAY), maxDays: 365 };
    const judged = judgeOwnerTags({ 'auto-delete-after': '2099-12-31' }, NOW, old);
    expect(judged.kind).toBe('expired');
    expect(judged.kind === 'expired' && judged.reason).toContain('beyond the 365-day horizon');
    const young = judgeOwnerTags({ 'auto-delete-after': '2099-12-31' }, NOW, horizon);
    expect(young).toEqual({ kind: 'exempt', reason: expect.stringContaining('capped at 365 days after creation') });
  });

  it('lets the explicit exemptions win over a passed date: the owner asked to keep it', () => {
    expect(judgeOwnerTags({ 'auto-delete-after': '2026-01-01', 'zombie-exempt': 'true' }, NOW, horizon).kind).toBe('exempt');
    expect(judgeOwnerTags({ 'auto-delete-after': '2026-01-01', 'zombie-exempt-until': '2027-01-01' }, NOW, horizon).kind).toBe('exempt');
  });

  it('treats an unreadable date as exempt, never as expired', () => {
    expect(judgeOwnerTags({ 'auto-delete-after': 'soon' }, NOW, horizon)).toEqual({ kind: 'exempt', reason: expect.stringContaining('not an ISO date') });
  });

  it('does not make an expired endpoint exempt at tag or delete time', () => {
    expect(judgeExemption({ 'auto-delete-after': '2026-01-01' }, NOW, horizon)).toEqual({ exempt: false });
  });
});
