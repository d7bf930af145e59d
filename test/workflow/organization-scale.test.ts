import { describe, expect, it } from 'vitest';
import { AWS_QUOTAS } from '../../local/runner/quotas.ts';
import { runScaleSweep } from '../../bench/sweep-run.ts';

/**
 * The real statemachine/sweep.asl.json on an organization of 500+ targets and 3,000 zombies, every
 * handler real, Step Functions' and Lambda's quotas enforced by the local runner. A quota broken
 * anywhere (a state payload over 256 KiB, a history over 25,000 events, an Express child over 5
 * minutes) fails the sweep here exactly as it would on AWS. The handlers reach the simulator in
 * process (local/sim/in-process.ts: the same ledger, throttling and services, without loopback HTTP),
 * and the simulated SageMaker deletes at once, so each deletion takes exactly one recheck round of
 * the Wait loop: the suite spends its time on the sweep, not on framing or waiting.
 */
describe('a cleanup sweep at organization scale', () => {
  it(
    'scans 500+ targets and snapshots, tags, approves and deletes 3,000 zombies within every quota, with state that does not grow',
    { timeout: 1_200_000 },
    async () => {
      const result = await runScaleSweep({
        accounts: 125,
        regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'],
        endpointsPerRegion: 6,
        zombieFraction: 1,
        seed: 11,
        transitionDelayMs: 0,
        // Wall time only: the concurrency a deployment may configure, and no backoff sleeps.
        settings: { ActionMaxConcurrency: '200', ScanMaxConcurrency: '100' },
        retryIntervalMs: 5,
      });

      expect(result.error, result.cause).toBeUndefined();
      expect(result.status).toBe('SUCCEEDED');
      expect(result.targets).toBeGreaterThanOrEqual(500);
      expect(result.expectedZombies).toBeGreaterThanOrEqual(3000);
      expect(result.candidates).toBe(result.expectedZombies);
      // Exactly the generator's zombies are deleted, none skipped or left deleting, and nothing else.
      expect(result.skipped, JSON.stringify(result.skipped.slice(0, 5))).toEqual([]);
      expect(result.deleting).toBe(0);
      expect(result.deleted).toBe(result.candidates);
      expect(result.calls['sagemaker:DeleteEndpoint']).toBe(result.candidates);
      expect(result.zombiesLeft).toBe(0);
      expect(result.othersDeleted).toBe(0);

      // Everything that grows with the organization travelled by S3 key: the largest state is a few KiB.
      expect(result.usage.maxPayloadBytes).toBeLessThan(8 * 1024);
      expect(result.usage.maxHistoryEvents).toBeLessThan(AWS_QUOTAS.historyEvents);
      // Ten targets per scan child, one child per zombie for each of snapshot/tag and delete.
      const scanChildren = Math.ceil(result.targets / 10);
      expect(result.usage.standardExecutions).toBe(1 + scanChildren + 2 * result.candidates);
      expect(result.usage.expressRequests).toBe(0);
      // Every transition is billed: a handful per zombie (one recheck round each here), not per endpoint scanned.
      expect(result.usage.transitions).toBeLessThan(30 + scanChildren * 2 + 12 * result.candidates);
      // Each child's history is its own: the longest is the parent's few dozen events, whatever the size.
      expect(result.usage.maxHistoryEvents).toBeLessThan(100);
    },
  );
});
