import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSweep } from '../../src/sweep/input.ts';
import { REGION, startCleanupEnv, type CleanupEnv } from '../cleanup/actions-fixtures.ts';

/**
 * The deployment's protected list (config `protected`, handed to validate-input) applies to every
 * sweep, however it was started: a sweep's own list can add to it, never take anything away.
 */

let env: CleanupEnv;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const event = (sweepId: string, input: Record<string, unknown> = {}) => ({
  input: { sweepId, mode: 'report', targets: { org: false, regions: [REGION] }, ...input },
  execution: { arn: `arn:aws:states:${REGION}:111111111111:execution:zombie-sweep-local:${sweepId}`, name: sweepId, startTime: '2026-12-01T10:00:00.000Z' },
  settings: { scanMaxConcurrency: '8', actionMaxConcurrency: '4', scanToleratedFailurePercentage: '0' },
});

describe('the deployment protected list', () => {
  const deployed = { accountIds: ['444444444444'], ouIds: ['ou-abcd-11111111'], tags: { 'data-class': 'regulated' } };
  const deps = () => ({ ...env.deps, hubRegion: REGION, allowOwnAccountOnly: true, protectedList: deployed });

  it('is joined to a sweep that names none, and to one that names its own', async () => {
    expect((await validateSweep(deps(), event('protect-a'))).sweep.protected).toEqual(deployed);
    const own = { accountIds: ['555555555555', '444444444444'], ouIds: [], tags: { tier: 'prod' } };
    expect((await validateSweep(deps(), event('protect-b', { protected: own }))).sweep.protected).toEqual({
      accountIds: ['444444444444', '555555555555'],
      ouIds: ['ou-abcd-11111111'],
      tags: { tier: 'prod', 'data-class': 'regulated' },
    });
  });

  it('refuses a malformed list in the sweep input, naming the field', async () => {
    await expect(validateSweep(deps(), event('protect-c', { protected: { tags: { 'bad key!': 'x' } } }))).rejects.toMatchObject({
      name: 'InputValidationError',
      message: expect.stringContaining('protected.tags'),
    });
  });
});
