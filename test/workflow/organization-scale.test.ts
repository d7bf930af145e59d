import { describe, expect, it } from 'vitest';
import { AWS_QUOTAS } from '../../local/runner/quotas.ts';
import { runScaleSweep } from '../../bench/sweep-run.ts';

/**
 * The real statemachine/sweep.asl.json on an organization of 500+ targets and 3,000 zombies, every
 * handler real, Step Functions' and Lambda's quotas enforced by the local runner. A quota broken
 * anywhere (a state payload over 256 KiB, a history over 25,000 events, an Express child over 5
 * minutes) fails the sweep here exactly as it would on AWS.
 */
describe('a cleanup sweep at organization scale', () => {
  it('scans 500+ targets and snapshots, tags, approves and deletes 3,000 zombies within every quota, with state that does not grow', { timeout: 540_000 }, async () => {
    const result = await runScaleSweep({
      accounts: 125,
      regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'],
      endpointsPerRegion: 6,
      zombieFraction: 1,
      seed: 11,
      // Wall time only: the concurrency a deployment may configure, and no backoff sleeps.
      settings: { ActionMaxConcurrency: '200', ScanMaxConcurrency: '100' },
      retryIntervalMs: 5,
    });

    expect(result.error, result.cause).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.targets).toBeGreaterThanOrEqual(500);
    expect(result.expectedZombies).toBeGreaterThanOrEqual(3000);
    expect(result.candidates).toBe(result.expectedZombies);
    expect(result.deleted).toBe(result.candidates);

    // Everything that grows with the organization travelled by S3 key: the largest state is a few KiB.
    expect(result.usage.maxPayloadBytes).toBeLessThan(8 * 1024);
    expect(result.usage.maxHistoryEvents).toBeLessThan(AWS_QUOTAS.historyEvents);
    // Ten targets per scan child, one child per zombie for each of snapshot/tag and delete.
    const scanChildren = Math.ceil(result.targets / 10);
    expect(result.usage.standardExecutions).toBe(1 + scanChildren + 2 * result.candidates);
    expect(result.usage.expressRequests).toBe(0);
    // Every transition is billed: a handful per zombie, not per endpoint scanned.
    expect(result.usage.transitions).toBeLessThan(10 * result.candidates);
  });
});
