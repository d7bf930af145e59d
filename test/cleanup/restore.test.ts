import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeEndpointConfigCommand,
  DescribeEndpointCommand,
  DescribeInferenceComponentCommand,
  DescribeModelCommand,
  ListTagsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { layout } from '../../src/core/layout.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { writeJsonObject } from '../../src/core/s3-json.ts';
import { PreconditionFailedError } from '../../src/core/errors.ts';
import { tagListToMap } from '../../src/core/tags.ts';
import { ManifestSchema, type Manifest } from '../../src/cleanup/snapshot/manifest.ts';
import { snapshotEndpoint } from '../../src/cleanup/snapshot/snapshot.ts';
import { restoreEndpoint } from '../../src/cleanup/restore/restore.ts';
import { readAuditEvents } from '../../src/audit/reader.ts';
import { runRestore } from '../../cli/commands/restore.ts';
import { scalingStore } from '../../local/sim/services/autoscaling.ts';
import { ARCHIVE, candidateFor, deployEveryKind, MEMBER, REGION, ROLE, runCli, startSnapshotEnv, SWEEP, type SnapshotEnv } from './snapshot-fixtures.ts';

let env: SnapshotEnv;
let sagemaker: SageMakerClient;
const manifests = new Map<string, Manifest>();
const KINDS = ['fraud-detector-v2', 'ranker-ab-test', 'catalog-mme', 'doc-summarizer-async', 'churn-serverless', 'llm-hub-ic'];

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Deletes an endpoint the way the delete step does: components first; models and configs kept (the default). */
async function deleteEndpoint(name: string, options: { models?: boolean } = {}): Promise<void> {
  for (const component of env.sagemaker.listInferenceComponents().filter((c) => c.endpointName === name))
    env.sagemaker.deleteInferenceComponent(component.name);
  await until(() => env.sagemaker.listInferenceComponents().every((c) => c.endpointName !== name), `components of ${name} to go`);
  const endpoint = env.sagemaker.requireEndpoint(name);
  const configName = endpoint.configName;
  const scaling = scalingStore(env.world, MEMBER, REGION);
  for (const variant of endpoint.variants) {
    const resourceIds = [`endpoint/${name}/variant/${variant.spec.VariantName}`];
    for (const target of scaling.describe({ serviceNamespace: 'sagemaker', resourceIds }))
      scaling.deregister('sagemaker', target.ResourceId, target.ScalableDimension);
  }
  env.sagemaker.deleteEndpoint(name);
  await until(() => env.sagemaker.getEndpoint(name) === undefined, `${name} to be deleted`);
  if (options.models) {
    const config = env.sagemaker.requireEndpointConfig(configName);
    env.sagemaker.deleteEndpointConfig(configName);
    for (const variant of config.spec.ProductionVariants) if (variant.ModelName) env.sagemaker.deleteModel(variant.ModelName);
  }
}

beforeAll(async () => {
  env = await startSnapshotEnv();
  deployEveryKind(env);
  for (const name of KINDS) {
    const result = await snapshotEndpoint({ candidate: candidateFor(name) }, env.deps());
    if (result.status !== 'complete') throw new Error(`snapshot of ${name} did not complete`);
    manifests.set(name, ManifestSchema.parse(JSON.parse(env.store.readBytes(ARCHIVE, layout.manifest(MEMBER, REGION, name, SWEEP)).toString('utf8'))));
    await deleteEndpoint(name, { models: name === 'churn-serverless' });
  }
  sagemaker = new SageMakerClient(env.sim.clientConfig(REGION));
});
afterAll(async () => env?.stop());

/** Management credentials act in the management account: restores into the member account assume the member role. */
const restoreDeps = () => ({ factory: env.factory, clock: env.clock, log: env.deps().log, pollIntervalMs: 10, waitTimeoutMs: 10_000 });
const manifestUri = (name: string) => `s3://${ARCHIVE}/${layout.manifest(MEMBER, REGION, name, SWEEP)}`;

describe('restore', () => {
  it.each(KINDS)('%s: the restored endpoint config matches the original, on archived artifacts', async (name) => {
    const manifest = manifests.get(name)!;
    env.clock.advance(60_000);
    const result = await restoreEndpoint({ manifestUri: manifestUri(name), roleName: ROLE, wait: true }, restoreDeps());
    expect(result.endpointName).toBe(name);
    expect(result.status).toBe('InService');
    const member = env.sagemaker;
    const endpoint = member.requireEndpoint(name);
    expect(endpoint.status).toBe('InService');

    // Same variants, instance types, counts, weights, serverless and async settings.
    const original = manifest.endpointConfig as Record<string, any>;
    const restored = member.requireEndpointConfig(endpoint.configName).spec as Record<string, any>;
    const shape = (variants: any[]) => variants.map(({ ModelName: _m, ...rest }) => rest);
    expect(shape(restored.ProductionVariants)).toEqual(shape(original.ProductionVariants));
    expect(restored.AsyncInferenceConfig).toEqual(original.AsyncInferenceConfig);
    expect(restored.ExecutionRoleArn).toEqual(original.ExecutionRoleArn);

    // Every model container points at the archive (or, for by-reference artifacts, where it always did).
    const archived = new Map(manifest.sources.map((s) => [s.uri, s.archiveUri ?? s.uri]));
    for (const model of result.models) {
      const described = member.requireModel(model.name).spec as Record<string, any>;
      const containers = described.PrimaryContainer ? [described.PrimaryContainer] : described.Containers;
      for (const container of containers) {
        for (const uri of [
          container.ModelDataUrl,
          container.ModelDataSource?.S3DataSource?.S3Uri,
          ...(container.AdditionalModelDataSources ?? []).map((a: any) => a.S3DataSource.S3Uri),
        ].filter(Boolean)) {
          expect([...archived.values()]).toContain(uri);
          if (!uri.includes('jumpstart-cache-prod')) expect(uri).toMatch(new RegExp(`^s3://${ARCHIVE}/artifacts/${MEMBER}/${REGION}/${name}/${SWEEP}/`));
        }
      }
    }

    const tags = member.tagsOf(endpoint.arn);
    expect(tags).toEqual({ team: 'fraud', owner: 'alice@example.com', zombie: 'restored', 'zombie-snapshot': manifestUri(name) });
    const { events } = await readAuditEvents(env.s3, ARCHIVE, { output: 'json', endpoint: { name, accountId: MEMBER, region: REGION } });
    expect(events.at(-1)).toMatchObject({
      type: 'restored',
      sweepId: SWEEP,
      tagsAfter: tags,
      details: expect.objectContaining({ manifestUri: manifestUri(name) }),
    });
  });

  it('kept originals are left alone: restored models and config get -restored-<sweep> names; deleted ones come back under their own names', () => {
    const ranker = env.sagemaker.requireEndpoint('ranker-ab-test');
    expect(ranker.configName).toBe(`ranker-ab-test-config-restored-${SWEEP}`);
    expect(env.sagemaker.requireModel('ranker-a').spec).toMatchObject({ PrimaryContainer: { ModelDataUrl: expect.stringMatching(/^s3:\/\/ml-team-models/) } });
    const churn = env.sagemaker.requireEndpoint('churn-serverless');
    expect(churn.configName).toBe('churn-serverless-config');
    expect(env.sagemaker.requireModel('churn').spec).toMatchObject({
      PrimaryContainer: { ModelDataSource: { S3DataSource: { S3Uri: expect.stringMatching(new RegExp(`^s3://${ARCHIVE}/`)) } } },
    });
  });

  it('re-registers autoscaling targets and target-tracking policies', () => {
    const scaling = scalingStore(env.world, MEMBER, REGION);
    const resourceIds = ['endpoint/fraud-detector-v2/variant/AllTraffic'];
    expect(scaling.describe({ serviceNamespace: 'sagemaker', resourceIds })).toEqual([expect.objectContaining({ MinCapacity: 2, MaxCapacity: 6 })]);
    expect(scaling.policies({ serviceNamespace: 'sagemaker', resourceId: resourceIds[0] })).toEqual([
      expect.objectContaining({
        PolicyName: 'invocations-per-instance',
        TargetTrackingScalingPolicyConfiguration: expect.objectContaining({ TargetValue: 70 }),
      }),
    ]);
  });

  it('recreates inference components on the restored endpoint with archived artifacts', async () => {
    const base = await sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'llm-base-ic' })).catch(() => undefined);
    // Through the member role: the components live in the member account.
    const member = env.factory.target(SageMakerClient, { accountId: MEMBER, region: REGION, roleName: ROLE });
    const adapter = await member.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'llm-adapter-ic' }));
    expect(base).toBeUndefined(); // not in the management account
    expect(adapter.EndpointName).toBe('llm-hub-ic');
    expect(adapter.Specification?.Container?.ArtifactUrl).toMatch(new RegExp(`^s3://${ARCHIVE}/artifacts/${MEMBER}/${REGION}/llm-hub-ic/`));
    expect(adapter.RuntimeConfig?.DesiredCopyCount).toBe(2);
    const baseIc = await member.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'llm-base-ic' }));
    expect(baseIc.Specification?.ModelName).toBe(`llm-base-restored-${SWEEP}`);
    const model = await member.send(new DescribeModelCommand({ ModelName: `llm-base-restored-${SWEEP}` }));
    expect(model.PrimaryContainer?.ModelDataUrl).toMatch(new RegExp(`^s3://${ARCHIVE}/`));
  });

  it('an endpoint scaled to zero instead of deleted gets its recorded capacity back, tagged restored and audited', async () => {
    const name = 'doc-summarizer-async';
    const endpoint = env.sagemaker.requireEndpoint(name);
    const variant = endpoint.variants[0]!.spec.VariantName;
    const before = endpoint.variants[0]!.desiredInstanceCount;
    env.sagemaker.addTags(endpoint.arn, [
      { Key: 'zombie', Value: 'scaled-to-zero' },
      { Key: 'zombie-sweep-id', Value: SWEEP },
    ]);
    const previous = { kind: 'async', components: [], variants: [{ variantName: variant, instanceCount: before }], scalableTargets: [] };
    await writeJsonObject(env.factory.hub(S3Client), ARCHIVE, layout.scaledToZero(MEMBER, REGION, name, SWEEP), previous);
    env.sagemaker.setInstanceCount(name, variant, 0);

    const result = await restoreEndpoint({ manifestUri: manifestUri(name), roleName: ROLE }, restoreDeps());

    expect(result).toMatchObject({ endpointName: name, endpointArn: endpoint.arn, tags: { zombie: 'restored' } });
    expect(env.sagemaker.requireEndpoint(name).variants[0]!.desiredInstanceCount).toBe(before);
    expect(env.sagemaker.tagsOf(endpoint.arn)).toMatchObject({ zombie: 'restored' });
    const { events } = await readAuditEvents(env.s3, ARCHIVE, { output: 'json', endpoint: { name, accountId: MEMBER, region: REGION } });
    expect(events.filter((e) => e.type === 'restored' && e.details?.from === 'scaled-to-zero')).toHaveLength(1);
  });

  it('refuses when the endpoint already exists', async () => {
    await expect(restoreEndpoint({ manifestUri: manifestUri('fraud-detector-v2'), roleName: ROLE }, restoreDeps())).rejects.toThrow(PreconditionFailedError);
    await expect(restoreEndpoint({ manifestUri: manifestUri('fraud-detector-v2'), roleName: ROLE }, restoreDeps())).rejects.toThrow(/already exists/);
  });

  it('refuses to restore with credentials of another account unless a role is assumed', async () => {
    await expect(restoreEndpoint({ manifestUri: manifestUri('fraud-detector-v2'), endpointName: 'fraud-elsewhere' }, restoreDeps())).rejects.toThrow(
      /your credentials are in 111111111111/,
    );
  });

  it('--endpoint ARN finds the newest manifest; --endpoint-name restores beside the original and both timelines record it', async () => {
    const out: string[] = [];
    env.clock.advance(60_000);
    const result = await runRestore(
      {
        endpoint: `arn:aws:sagemaker:${REGION}:${MEMBER}:endpoint/fraud-detector-v2`,
        archiveBucket: ARCHIVE,
        roleName: ROLE,
        endpointName: 'fraud-detector-v2-copy',
        output: 'json',
      },
      { stdout: (t) => out.push(t), stderr: () => {}, env: { AUDIT_RETENTION_DAYS: '30' }, factory: env.factory, clock: env.clock, pollIntervalMs: 10 },
    );
    // The restore's own audit event is locked like the workflow's.
    const eventKey = env.store.listKeys(ARCHIVE, layout.endpointAuditPrefix(MEMBER, REGION, 'fraud-detector-v2-copy')).find((k) => k.includes('-restored-'))!;
    expect(env.store.head(ARCHIVE, eventKey)).toMatchObject({ lockMode: 'COMPLIANCE', retainUntil: new Date(env.clock.now().getTime() + 30 * 86_400_000) });
    expect(JSON.parse(out.join(''))).toMatchObject({ endpointName: 'fraud-detector-v2-copy', manifestUri: manifestUri('fraud-detector-v2') });
    expect(result.endpointConfigName).toBe('fraud-detector-v2-config-restored-sweep-2025-01-31-a1b2');
    const member = env.factory.target(SageMakerClient, { accountId: MEMBER, region: REGION, roleName: ROLE });
    const described = await member.send(new DescribeEndpointCommand({ EndpointName: 'fraud-detector-v2-copy' }));
    const config = await member.send(new DescribeEndpointConfigCommand({ EndpointConfigName: described.EndpointConfigName }));
    expect(config.ProductionVariants?.[0]).toMatchObject({ InstanceType: 'ml.m5.large', InitialInstanceCount: 2 });
    const tags = tagListToMap((await member.send(new ListTagsCommand({ ResourceArn: described.EndpointArn }))).Tags);
    expect(tags.zombie).toBe('restored');
    const { events } = await readAuditEvents(env.s3, ARCHIVE, { output: 'json', endpoint: { name: 'fraud-detector-v2', accountId: MEMBER, region: REGION } });
    expect(events.filter((e) => e.type === 'restored').at(-1)?.details).toMatchObject({ restoredAs: described.EndpointArn });
  });

  it('--endpoint NAME finds the archived endpoint of that name, as --endpoint ARN does', async () => {
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: () => {}, env: {}, factory: env.factory, clock: env.clock, pollIntervalMs: 10 };
    await runRestore({ endpoint: 'fraud-detector-v2', archiveBucket: ARCHIVE, roleName: ROLE, endpointName: 'fraud-detector-v2-by-name', output: 'json' }, io);
    expect(JSON.parse(out.join(''))).toMatchObject({ endpointName: 'fraud-detector-v2-by-name', manifestUri: manifestUri('fraud-detector-v2') });
    await expect(runRestore({ endpoint: 'never-archived', archiveBucket: ARCHIVE, output: 'table' }, io)).rejects.toThrow(
      /no snapshot manifest for an endpoint named never-archived/,
    );
    await expect(runRestore({ endpoint: 'fraud-detector-v2', archiveBucket: 'no-such-archive', output: 'table' }, io)).rejects.toThrow(
      'archive bucket no-such-archive (--archive-bucket) does not exist for these credentials and region; check the name, or create it (docs/deploy.md)',
    );
    await expect(runRestore({ endpoint: 'fraud-detector-v2', archiveBucket: 'Not_A_Bucket', output: 'table' }, io)).rejects.toThrow(
      /invalid --archive-bucket: must be an S3 bucket name/,
    );
  });

  it('the CLI refuses in one line with a non-zero exit (child process)', async () => {
    const child = await runCli(['restore', '--manifest', manifestUri('catalog-mme'), '--role-name', ROLE], env.sim.env());
    expect(child.status).toBe(1);
    expect(child.stdout).toBe('');
    expect(child.stderr.trim().split('\n')).toHaveLength(1);
    expect(child.stderr).toMatch(/^zombie-sweep: PreconditionFailedError: endpoint catalog-mme already exists/);
  });

  it('the CLI names a bad flag', async () => {
    const io = { stdout: () => {}, stderr: () => {}, env: {}, factory: env.factory };
    await expect(runRestore({ manifest: 'http://nope', output: 'table' }, io)).rejects.toThrow(/invalid --manifest/);
    await expect(runRestore({ output: 'table' }, io)).rejects.toThrow(/exactly one of --manifest or --endpoint/);
    await expect(runRestore({ endpoint: 'arn:aws:sagemaker:us-east-1:222222222222:endpoint/x', output: 'table' }, io)).rejects.toThrow(
      /--archive-bucket is required/,
    );
    await expect(runRestore({ manifest: manifestUri('x'), externalId: 'abc', output: 'table' }, io)).rejects.toThrow(
      /--external-id only applies with --role-name/,
    );
    await expect(runRestore({ manifest: manifestUri('x'), auditRetentionDays: 'ten', output: 'table' }, io)).rejects.toThrow(/invalid --audit-retention-days/);
    await expect(
      runRestore({ manifest: manifestUri('x'), output: 'table' }, { ...io, env: { AUDIT_RETENTION_DAYS: '30', AUDIT_RETENTION_MODE: 'forever' } }),
    ).rejects.toThrow(/invalid --audit-retention-mode/);
  });
});
