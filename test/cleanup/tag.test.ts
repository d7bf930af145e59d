import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { layout } from '../../src/core/layout.ts';
import { isoDate } from '../../src/core/clock.ts';
import { tagEndpoint } from '../../src/cleanup/tag.ts';
import { createHandler } from '../../functions/tag/handler.ts';
import { MEMBER, REGION, auditEvents, candidateFor, putManifest, seedEndpoint, startCleanupEnv, type CleanupEnv, type EndpointKind } from './actions-fixtures.ts';

let env: CleanupEnv;
beforeAll(async () => {
  env = await startCleanupEnv();
});
afterAll(() => env.stop());

const tagsOf = (arn: string) => sagemakerStore(env.world, MEMBER, REGION).tagsOf(arn);
const addTagsCalls = () => env.sim.ledger.count({ service: 'sagemaker', operation: 'AddTags', accountId: MEMBER });
const endpointEvents = async (name: string, sweepId: string) => (await auditEvents(env.s3, layout.endpointAuditPrefix(MEMBER, REGION, name))).filter((e) => e.sweepId === sweepId);

describe('tag', () => {
  const kinds: EndpointKind[] = ['real-time', 'multi-variant', 'serverless', 'async', 'inference-components'];
  for (const kind of kinds) {
    it(`marks a snapshotted ${kind} endpoint with every DESIGN tag in one AddTags call`, async () => {
      const sweepId = `sweep-tag-${kind}`;
      const seeded = seedEndpoint(env.world, `tag-${kind}`, kind);
      sagemakerStore(env.world, MEMBER, REGION).addTags(seeded.arn, [{ Key: 'team', Value: 'fraud' }]);
      await putManifest(env.s3, sweepId, seeded.name);
      const candidate = candidateFor(seeded, sweepId, env.clock.now(), kind);
      const calls = addTagsCalls();

      const result = await createHandler(env.deps)({ candidate, requestedBy: 'arn:aws:sts::111111111111:assumed-role/Ops/jane' });

      expect(result.status).toBe('tagged');
      expect(addTagsCalls()).toBe(calls + 1);
      const manifestUri = `s3://zombie-sweep-archive/${layout.manifest(MEMBER, REGION, seeded.name, sweepId)}`;
      expect(result.candidate.manifestUri).toBe(manifestUri);
      expect(tagsOf(seeded.arn)).toEqual({
        team: 'fraud',
        zombie: 'confirmed',
        'zombie-sweep-id': sweepId,
        'zombie-confirmed-date': isoDate(env.clock.now()),
        'zombie-confirmed-by': 'arn:aws:sts::111111111111:assumed-role/Ops/jane',
        'zombie-idle-since': 'never',
        'zombie-monthly-cost-usd': candidate.monthlyCostUsd === null ? 'unknown' : candidate.monthlyCostUsd.toFixed(2),
        'zombie-snapshot': manifestUri,
      });
      const [tagged] = (await endpointEvents(seeded.name, sweepId)).filter((e) => e.type === 'tagged');
      expect(tagged).toMatchObject({ actor: 'arn:aws:sts::111111111111:assumed-role/Ops/jane', endpointArn: seeded.arn, tagsBefore: { team: 'fraud' } });
      expect(tagged!.tagsAfter).toEqual(tagsOf(seeded.arn));
    });
  }

  it('is idempotent: a re-run changes nothing and writes no second event', async () => {
    const sweepId = 'sweep-tag-again';
    const seeded = seedEndpoint(env.world, 'tag-again', 'real-time');
    await putManifest(env.s3, sweepId, seeded.name);
    const input = { candidate: candidateFor(seeded, sweepId, env.clock.now()) };
    expect((await tagEndpoint(env.deps, input)).status).toBe('tagged');
    const calls = addTagsCalls();
    expect((await tagEndpoint(env.deps, input)).status).toBe('already-tagged');
    expect(addTagsCalls()).toBe(calls);
    expect((await endpointEvents(seeded.name, sweepId)).filter((e) => e.type === 'tagged')).toHaveLength(1);
  });

  it('refuses without a verified snapshot manifest, leaving the endpoint untouched', async () => {
    const sweepId = 'sweep-tag-nomanifest';
    const seeded = seedEndpoint(env.world, 'tag-nomanifest', 'real-time');
    const calls = addTagsCalls();
    await expect(tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now()) })).rejects.toMatchObject({ name: 'PreconditionFailedError', reason: 'manifest-missing' });
    expect(addTagsCalls()).toBe(calls);
    expect(tagsOf(seeded.arn)).toEqual({});
    const [skipped] = await endpointEvents(seeded.name, sweepId);
    expect(skipped).toMatchObject({ type: 'skipped', details: { step: 'tag', check: 'manifest-missing' } });
  });

  it('refuses an endpoint its owner exempted since detection', async () => {
    const sweepId = 'sweep-tag-exempt';
    const seeded = seedEndpoint(env.world, 'tag-exempt', 'real-time');
    sagemakerStore(env.world, MEMBER, REGION).addTags(seeded.arn, [{ Key: 'zombie-exempt', Value: 'true' }]);
    await putManifest(env.s3, sweepId, seeded.name);
    await expect(tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now()) })).rejects.toMatchObject({ name: 'PreconditionFailedError', reason: 'exempt' });
    expect(tagsOf(seeded.arn)).toEqual({ 'zombie-exempt': 'true' });
  });

  it('refuses an endpoint that no longer exists', async () => {
    const sweepId = 'sweep-tag-gone';
    const seeded = seedEndpoint(env.world, 'tag-gone', 'real-time');
    await putManifest(env.s3, sweepId, seeded.name);
    sagemakerStore(env.world, MEMBER, REGION).state.endpoints.delete(seeded.name.toLowerCase());
    await expect(tagEndpoint(env.deps, { candidate: candidateFor(seeded, sweepId, env.clock.now()) })).rejects.toMatchObject({ name: 'PreconditionFailedError', reason: 'endpoint-gone' });
  });

  it('names the offending field of a bad input', async () => {
    await expect(tagEndpoint(env.deps, { candidate: { sweepId: 'sweep-x' } })).rejects.toMatchObject({ name: 'InputValidationError', field: 'candidate.accountId' });
  });
});
