import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { layout, parseS3Uri } from '../../src/core/layout.ts';
import { RetryableAwsError, SnapshotFailedError } from '../../src/core/errors.ts';
import { ManifestSchema, type Manifest } from '../../src/cleanup/snapshot/manifest.ts';
import { snapshotEndpoint } from '../../src/cleanup/snapshot/snapshot.ts';
import { readAuditEvents } from '../../src/audit/reader.ts';
import { createHandler } from '../../functions/snapshot/handler.ts';
import {
  ARCHIVE,
  candidateFor,
  deploy,
  deployEveryKind,
  IMAGE,
  MEMBER,
  MODELS,
  REGION,
  startSnapshotEnv,
  SWEEP,
  artifact,
  type SnapshotEnv,
} from './snapshot-fixtures.ts';

let env: SnapshotEnv;
let kinds: Record<string, ReturnType<typeof candidateFor>['endpointType']>;

beforeAll(async () => {
  env = await startSnapshotEnv();
  kinds = deployEveryKind(env);
});
afterAll(async () => env?.stop());

function manifestOf(name: string): Manifest {
  const key = layout.manifest(MEMBER, REGION, name, SWEEP);
  return ManifestSchema.parse(JSON.parse(env.store.readBytes(ARCHIVE, key).toString('utf8')));
}

describe('snapshot of every endpoint kind', () => {
  it.each(['fraud-detector-v2', 'ranker-ab-test', 'catalog-mme', 'doc-summarizer-async', 'churn-serverless', 'llm-hub-ic'])(
    '%s: every artifact archived byte-identical, manifest written last',
    async (name) => {
      const result = await snapshotEndpoint({ candidate: candidateFor(name, { endpointType: kinds[name] ?? null }) }, env.deps());
      expect(result.status).toBe('complete');
      if (result.status !== 'complete') return;
      expect(result.manifestUri).toBe(`s3://${ARCHIVE}/${layout.manifest(MEMBER, REGION, name, SWEEP)}`);

      const manifest = manifestOf(name);
      expect(manifest.endpointName).toBe(name);
      expect(manifest.endpoint.EndpointName).toBe(name);
      expect(manifest.endpointConfig.EndpointConfigName).toBe(`${name}-config`);
      expect(manifest.tags).toMatchObject({ team: 'fraud', owner: 'alice@example.com' });
      expect(manifest.metricsSummary.endpointType).toBe(kinds[name]);
      const copied = manifest.artifacts.filter((a) => !a.byReference);
      expect(copied.length).toBeGreaterThan(0);
      for (const entry of copied) {
        const source = parseS3Uri(entry.sourceUri);
        const archived = parseS3Uri(entry.archiveUri!);
        expect(archived.bucket).toBe(ARCHIVE);
        expect(archived.key.startsWith(layout.artifactPrefix(MEMBER, REGION, name, SWEEP))).toBe(true);
        expect(env.store.readBytes(archived.bucket, archived.key).equals(env.store.readBytes(source.bucket, source.key))).toBe(true);
        expect(entry.verification).toBe('checksum');
        expect(entry.checksum?.algorithm).toBe('CRC64NVME');
        expect(entry.checksum?.value).toBe(env.store.head(source.bucket, source.key)!.crc64nvme);
      }
      // Working state is gone once the manifest holds everything.
      expect(env.store.listKeys(ARCHIVE, layout.snapshotStatePrefix(SWEEP, MEMBER, REGION, name) + 'runs/')).toEqual([]);
    },
  );

  it('records models, variants and inference components, and maps every declared URI', () => {
    const ranker = manifestOf('ranker-ab-test');
    expect(ranker.models.map((m) => m.ModelName).sort()).toEqual(['ranker-a', 'ranker-b-pipeline', 'ranker-jumpstart']);
    expect(ranker.sources.map((s) => s.kind)).toEqual(['object', 'object', 'object', 'prefix', 'prefix']);
    const adapter = ranker.sources.find((s) => s.uri.endsWith('ranker/b/adapter/'))!;
    expect(adapter).toMatchObject({
      objectCount: 3,
      archiveUri: `s3://${ARCHIVE}/${layout.artifactPrefix(MEMBER, REGION, 'ranker-ab-test', SWEEP)}${MODELS}/ranker/b/adapter/`,
    });
    expect(adapter.usedBy).toEqual(['model/ranker-b-pipeline/Containers[1]/AdditionalModelDataSources[0]/S3DataSource/S3Uri']);

    const jumpstart = ranker.sources.find((s) => s.uri.startsWith('s3://jumpstart-cache-prod-'))!;
    expect(jumpstart).toMatchObject({ byReference: true, archiveUri: null, objectCount: 0 });
    expect(ranker.artifacts.filter((a) => a.byReference)).toHaveLength(1);

    const encrypted = ranker.artifacts.find((a) => a.sourceUri.endsWith('ranker/a/model.tar.gz'))!;
    expect(encrypted.sourceKmsKeyId).toContain('1234abcd');

    const mme = manifestOf('catalog-mme');
    expect(mme.sources).toEqual([expect.objectContaining({ kind: 'prefix', objectCount: 5 })]);

    const ic = manifestOf('llm-hub-ic');
    expect(ic.inferenceComponents.map((c) => c.InferenceComponentName).sort()).toEqual(['llm-adapter-ic', 'llm-base-ic']);
    expect(ic.sources.map((s) => s.usedBy[0]).sort()).toEqual([
      'inference-component/llm-adapter-ic/Specification/Container/ArtifactUrl',
      'model/llm-base/PrimaryContainer/ModelDataUrl',
    ]);

    const fraud = manifestOf('fraud-detector-v2');
    expect(fraud.autoscaling.scalableTargets).toEqual([
      expect.objectContaining({ ResourceId: 'endpoint/fraud-detector-v2/variant/AllTraffic', MinCapacity: 2, MaxCapacity: 6 }),
    ]);
    expect(fraud.autoscaling.scalingPolicies).toEqual([
      expect.objectContaining({ PolicyName: 'invocations-per-instance', PolicyType: 'TargetTrackingScaling' }),
    ]);

    const serverless = manifestOf('churn-serverless');
    expect(serverless.endpointConfig.ProductionVariants).toEqual([
      expect.objectContaining({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5, ProvisionedConcurrency: 2 } }),
    ]);
    expect(manifestOf('doc-summarizer-async').endpointConfig.AsyncInferenceConfig).toMatchObject({
      OutputConfig: { S3OutputPath: `s3://${MODELS}/async-output/` },
    });
  });

  it('writes one snapshotted audit event with the manifest, artifact count and bytes', async () => {
    const { events } = await readAuditEvents(env.s3, ARCHIVE, { output: 'json', endpoint: { name: 'fraud-detector-v2', accountId: MEMBER, region: REGION } });
    expect(events).toEqual([
      expect.objectContaining({
        type: 'snapshotted',
        sweepId: SWEEP,
        endpointArn: `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/fraud-detector-v2`,
        details: expect.objectContaining({ manifestUri: expect.stringContaining('manifests/'), artifactCount: 1, bytes: expect.any(Number) }),
      }),
    ]);
  });

  it('is idempotent: a second run finds the manifest, copies nothing and logs nothing new', async () => {
    env.sim.ledger.reset();
    const again = await createHandler(env.deps())({ candidate: candidateFor('fraud-detector-v2') });
    expect(again).toMatchObject({ status: 'complete', alreadyComplete: true, artifactCount: 1 });
    expect(env.sim.ledger.count({ service: 's3', operation: 'CopyObject' })).toBe(0);
    const { events } = await readAuditEvents(env.s3, ARCHIVE, { output: 'json', endpoint: { name: 'fraud-detector-v2', accountId: MEMBER, region: REGION } });
    expect(events.filter((e) => e.type === 'snapshotted')).toHaveLength(1);
  });
});

describe('encryption', () => {
  it('copies KMS-encrypted sources with the archive key and records the source key', async () => {
    const archiveKey = `arn:aws:kms:${REGION}:111111111111:key/archive-0000-1111-2222-333333333333`;
    const candidate = candidateFor('ranker-ab-test', { sweepId: 'sweep-kms-0001' });
    const result = await snapshotEndpoint({ candidate }, env.deps({ archiveKmsKeyId: archiveKey }));
    expect(result.status).toBe('complete');
    const manifestKey = layout.manifest(MEMBER, REGION, 'ranker-ab-test', 'sweep-kms-0001');
    expect(env.store.head(ARCHIVE, manifestKey)?.sseKmsKeyId).toBe(archiveKey);
    const manifest = ManifestSchema.parse(JSON.parse(env.store.readBytes(ARCHIVE, manifestKey).toString('utf8')));
    const encrypted = manifest.artifacts.find((a) => a.sourceUri.endsWith('ranker/a/model.tar.gz'))!;
    expect(encrypted).toMatchObject({ sourceKmsKeyId: expect.stringContaining(':key/1234abcd'), archiveKmsKeyId: archiveKey, verification: 'checksum' });
    for (const entry of manifest.artifacts.filter((a) => !a.byReference))
      expect(env.store.head(ARCHIVE, parseS3Uri(entry.archiveUri!).key)?.sseKmsKeyId).toBe(archiveKey);
  });
});

describe('snapshot failures', () => {
  it('a missing artifact fails the snapshot with SnapshotFailedError, no manifest, and a snapshot-failed event', async () => {
    deploy(env, 'orphaned-model', [{ ModelName: 'orphaned', PrimaryContainer: { Image: IMAGE, ModelDataUrl: `s3://${MODELS}/deleted/model.tar.gz` } }], {
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'orphaned', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    });
    await expect(snapshotEndpoint({ candidate: candidateFor('orphaned-model') }, env.deps())).rejects.toThrow(SnapshotFailedError);
    await expect(snapshotEndpoint({ candidate: candidateFor('orphaned-model') }, env.deps())).rejects.toThrow(/does not exist/);
    expect(env.store.head(ARCHIVE, layout.manifest(MEMBER, REGION, 'orphaned-model', SWEEP))).toBeUndefined();
    const { events } = await readAuditEvents(env.s3, ARCHIVE, { output: 'json', endpoint: { name: 'orphaned-model', accountId: MEMBER, region: REGION } });
    expect(events[0]).toMatchObject({ type: 'snapshot-failed', reason: expect.stringContaining('deleted/model.tar.gz') });
  });

  it('an endpoint being updated (auto scaling) is retried later, not failed', async () => {
    deploy(env, 'scaling-now', [{ ModelName: 'scaling', PrimaryContainer: { Image: IMAGE, ModelDataUrl: artifact(env, 'scaling/model.tar.gz') } }], {
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'scaling', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    });
    env.sagemaker.requireEndpoint('scaling-now').status = 'Updating';
    await expect(snapshotEndpoint({ candidate: candidateFor('scaling-now') }, env.deps())).rejects.toThrow(RetryableAwsError);
    const { events } = await readAuditEvents(env.s3, ARCHIVE, { output: 'json', endpoint: { name: 'scaling-now', accountId: MEMBER, region: REGION } });
    expect(events).toEqual([]);
  });

  it('an endpoint that is gone fails with SnapshotFailedError', async () => {
    await expect(snapshotEndpoint({ candidate: candidateFor('never-existed') }, env.deps())).rejects.toThrow(/no longer exists/);
  });

  it('a handler input without a valid candidate is rejected naming the field', async () => {
    await expect(createHandler(env.deps())({ candidate: { ...candidateFor('x'), accountId: '12' } })).rejects.toThrow(/candidate\.accountId/);
  });

  it('an endpoint updated during the snapshot is not given a manifest', async () => {
    deploy(env, 'moving-target', [{ ModelName: 'moving', PrimaryContainer: { Image: IMAGE, ModelDataUrl: artifact(env, 'moving/model.tar.gz') } }], {
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'moving', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    });
    env.sim.traffic.inject({
      service: 's3',
      operation: 'CopyObject',
      times: 1,
      before: () => {
        env.sagemaker.createEndpointConfig({
          EndpointConfigName: 'moving-target-config-2',
          ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'moving', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 }],
        });
        const endpoint = env.sagemaker.requireEndpoint('moving-target');
        endpoint.configName = 'moving-target-config-2';
        endpoint.lastModifiedTime = new Date();
      },
    });
    await expect(snapshotEndpoint({ candidate: candidateFor('moving-target') }, env.deps())).rejects.toThrow(/changed during the snapshot/);
    const listed = await env.s3.send(new ListObjectsV2Command({ Bucket: ARCHIVE, Prefix: layout.manifestPrefix(MEMBER, REGION, 'moving-target') }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });
});
