import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { layout } from '../../src/core/layout.ts';
import { validateSweep } from '../../src/sweep/input.ts';
import { BUCKET, REGION, readObject, startCleanupEnv, type CleanupEnv } from '../cleanup/actions-fixtures.ts';

/**
 * A sweep id names one sweep forever: its report, decision and audit trail. Starting another sweep
 * with the same id (deployed, or `start --local` again, whose execution ARN is the same) is refused
 * before anything is written, and what the first sweep left stays byte for byte as it was.
 */

let env: CleanupEnv;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const deps = () => ({ ...env.deps, hubRegion: REGION });
const LOCAL_ARN = (id: string) => `arn:aws:states:${REGION}:111111111111:execution:zombie-sweep-local:${id}`;
const event = (sweepId: string, mode: 'report' | 'cleanup', startTime: string, arn = LOCAL_ARN(sweepId)) => ({
  input: { sweepId, mode, targets: { org: false, regions: [REGION] }, approval: { approvers: ['alice@example.com'] } },
  execution: { arn, name: sweepId, startTime },
  settings: { scanMaxConcurrency: '8', actionMaxConcurrency: '4', scanToleratedFailurePercentage: '0' },
});

describe('sweep ids are unique', () => {
  it("refuses a second local sweep with a finished sweep's id, naming it, and leaves its report and decision byte-identical", async () => {
    const sweepId = 'unique-1';
    await validateSweep({ ...deps(), allowOwnAccountOnly: true }, event(sweepId, 'report', '2026-12-01T10:00:00.000Z'));
    const report = JSON.stringify({ sweepId, status: 'completed', actions: [{ endpointName: 'idle-a', deletion: 'deleted' }] });
    const decision = JSON.stringify({ sweepId, approver: 'alice@example.com', approved: ['arn:x'] });
    await env.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: layout.report(sweepId), Body: report }));
    await env.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: layout.decision(sweepId), Body: decision }));
    const claim = await readObject(env.s3, layout.sweepFile(sweepId, 'sweep.json'));

    // Same execution ARN (a local run in another process), another start: a new sweep, refused.
    await expect(validateSweep({ ...deps(), allowOwnAccountOnly: true }, event(sweepId, 'report', '2026-12-02T10:00:00.000Z'))).rejects.toMatchObject({
      name: 'InputValidationError',
      field: 'sweepId',
      message: expect.stringContaining(`sweep ${sweepId} already exists`),
    });
    // A different execution, deployed: refused too.
    await expect(
      validateSweep(
        { ...deps(), allowOwnAccountOnly: true },
        event(sweepId, 'report', '2026-12-02T10:00:00.000Z', `arn:aws:states:${REGION}:111111111111:execution:sweep:other`),
      ),
    ).rejects.toMatchObject({ field: 'sweepId' });

    expect(await readObject(env.s3, layout.report(sweepId))).toBe(report);
    expect(await readObject(env.s3, layout.decision(sweepId))).toBe(decision);
    expect(await readObject(env.s3, layout.sweepFile(sweepId, 'sweep.json'))).toBe(claim);
  });

  it('lets a retry of the same execution through (same ARN, same start time)', async () => {
    const first = event('unique-2', 'report', '2026-12-01T10:00:00.000Z');
    await validateSweep({ ...deps(), allowOwnAccountOnly: true }, first);
    await expect(validateSweep({ ...deps(), allowOwnAccountOnly: true }, first)).resolves.toMatchObject({ sweep: { sweepId: 'unique-2' } });
  });
});
