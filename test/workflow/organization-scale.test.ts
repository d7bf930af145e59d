import { describe, expect, it } from 'vitest';
import { AWS_QUOTAS } from '../../local/runner/quotas.ts';
import { runScaleSweep } from '../../bench/sweep-run.ts';

/**
 * The real statemachine/sweep.asl.json on an organization of 500+ targets, every handler real, Step
 * Functions' and Lambda's quotas enforced by the local runner. (3,000 zombies through the same path
 * took over 9 minutes on the shared 2-core machine, too long for the suite: `npm run bench:sweep`
 * measures the larger runs, docs/performance.md.) A quota broken
 * anywhere (a state payload over 256 KiB, a history over 25,000 events, an Express child over 5
 * minutes) fails the sweep here exactly as it would on AWS.
 */
describe('a cleanup sweep at organization scale', () => {
  it('scans 500+ targets and snapshots, tags, approves and deletes a zombie in each within every quota, with state that does not grow', { timeout: 300_000 }, async () => {
    const result = await runScaleSweep({
      accounts: 125,
      regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'],
      endpointsPerRegion: 1,
      zombieFraction: 1,
      seed: 11,
      // Wall time only: the concurrency a deployment may configure, and no backoff sleeps.
      settings: { ActionMaxConcurrency: '200', ScanMaxConcurrency: '100' },
      retryIntervalMs: 5,
    });

    expect(result.error, result.cause).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.targets).toBeGreaterThanOrEqual(500);
    expect(result.expectedZombies).toBeGreaterThanOrEqual(500);
    expect(result.candidates).toBe(result.expectedZombies);
    // Every zombie is accounted for: deleted, or reported as still deleting or skipped with its reason.
    expect(result.deleted + result.deleting + result.skipped.length, JSON.stringify(result.skipped.slice(0, 5))).toBe(result.candidates);
    expect(result.deleted).toBeGreaterThan(0.95 * result.candidates);

    // Everything that grows with the organization travelled by S3 key: the largest state is a few KiB.
    expect(result.usage.maxPayloadBytes).toBeLessThan(8 * 1024);
    expect(result.usage.maxHistoryEvents).toBeLessThan(AWS_QUOTAS.historyEvents);
    // Ten targets per scan child, one child per zombie for each of snapshot/tag and delete.
    const scanChildren = Math.ceil(result.targets / 10);
    expect(result.usage.standardExecutions).toBe(1 + scanChildren + 2 * result.candidates);
    expect(result.usage.expressRequests).toBe(0);
    // Every transition is billed: a handful per zombie (more while a deletion is rechecked), not per endpoint scanned.
    expect(result.usage.transitions).toBeLessThan(30 + scanChildren * 2 + 20 * result.candidates);
  });
});
