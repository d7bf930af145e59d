/**
 * Shared setup for the cleanup-action suites (tag, approval, delete, reject): a small simulated
 * organization with the archive bucket, the approvals HMAC key, the notification topic with one
 * filtered email subscription per approver, a Step Functions endpoint answering SendTaskSuccess from
 * real task tokens, and the approval pages served over HTTP. Everything goes through SDK v3 clients.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { KMSClient } from '@aws-sdk/client-kms';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { World } from '../../local/sim/world.ts';
import { kmsStore } from '../../local/sim/services/kms.ts';
import { sagemakerSettings, sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { layout } from '../../src/core/layout.ts';
import { writeJson, type DecisionRecord } from '../../src/cleanup/approval/store.ts';
import { signDecision } from '../../src/cleanup/approval/signature.ts';
import { SimError, jsonService, type SimService } from '../../local/sim/protocol.ts';
import { TaskTokenError, TaskTokens } from '../../local/runner/task-tokens.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { silentLog } from '../../src/core/log.ts';
import { notifierFor } from '../../src/core/notifier.ts';
import { kmsMacSigner } from '../../src/cleanup/approval/links.ts';
import { approvalWebRoute } from '../../src/cleanup/approval/http.ts';
import { createHandler as approvalWebHandler } from '../../functions/approval-web/handler.ts';
import type { ApprovalRequestDeps } from '../../src/cleanup/approval/request.ts';
import type { DeleteDeps } from '../../src/cleanup/delete.ts';
import { AuditEventSchema, type AuditEvent } from '../../src/audit/events.ts';
import { notificationTopic } from '../../local/sim/notification-topic.ts';

export const MGMT = '111111111111';
export const MEMBER = '222222222222';
export const REGION = 'us-east-1';
export const ROLE = 'ZombieSweepMemberRole';
export const BUCKET = 'zombie-sweep-archive';
export const APPROVERS = ['alice@example.com', 'bob@example.com'];

export function smallWorld(): World {
  const world = new World('o-cleanup0test', MGMT, 'r-cln0');
  const account = (id: string, name: string, roles: string[]) => ({
    id,
    name,
    email: `aws+${name}@example.com`,
    status: 'ACTIVE' as const,
    parentId: 'r-cln0',
    joinedAt: new Date('2021-01-01T00:00:00Z'),
    enabledRegions: [REGION],
    roles: new Map(roles.map((r) => [r, { name: r }])),
  });
  world.accounts.set(MGMT, account(MGMT, 'management', []));
  world.accounts.set(MEMBER, account(MEMBER, 'ml-team', [ROLE]));
  return world;
}

/** Step Functions' SendTaskSuccess over real task tokens (TaskTimedOut, TaskDoesNotExist, InvalidToken as AWS answers them). */
function stepFunctionsTokens(tokens: TaskTokens): SimService {
  return jsonService({
    signingName: 'states',
    targetPrefix: 'AWSStepFunctions',
    version: '1.0',
    operations: {
      SendTaskSuccess: (input) => {
        try {
          tokens.succeed(String(input.taskToken ?? ''), String(input.output ?? ''));
          return {};
        } catch (error) {
          if (error instanceof TaskTokenError) throw new SimError(error.code, error.message);
          throw error;
        }
      },
    },
  });
}

export type AllDeps = DeleteDeps & ApprovalRequestDeps;

export interface CleanupEnv {
  sim: Simulator;
  world: World;
  clock: ReturnType<typeof fixedClock>;
  tokens: TaskTokens;
  topicArn: string;
  s3: S3Client;
  deps: AllDeps;
  /** Deps with a different client factory (e.g. no SDK retries). */
  depsWith(options: { maxAttempts?: number }): AllDeps;
  stop(): Promise<void>;
}

export async function startCleanupEnv(world: World = smallWorld()): Promise<CleanupEnv> {
  const tokens = new TaskTokens();
  const sim = await startSimulator({ world, services: [stepFunctionsTokens(tokens)] });
  const config = sim.clientConfig(REGION);
  const s3 = new S3Client(config);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const topicArn = await notificationTopic(new SNSClient(config), { approvers: APPROVERS }, 'zombie-sweep-notifications');
  const keyId = kmsStore(world, MGMT, REGION).createHmacKey({ alias: 'alias/zombie-sweep-approvals' });
  const decisionKeyId = kmsStore(world, MGMT, REGION).createHmacKey({ alias: 'alias/zombie-sweep-decisions' });
  const clock = fixedClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));

  const depsWith = (options: { maxAttempts?: number }): AllDeps => {
    const clients = new ClientFactory({
      hubRegion: REGION,
      sessionName: 'cleanup-test',
      endpoint: sim.url,
      credentials: async () => config.credentials,
      s3ForcePathStyle: true,
      maxAttempts: options.maxAttempts ?? 3,
    });
    return {
      clients,
      archiveBucket: BUCKET,
      clock,
      log: silentLog,
      signer: kmsMacSigner(clients.hub(KMSClient), keyId),
      decisionSigner: kmsMacSigner(clients.hub(KMSClient), decisionKeyId),
      notifier: notifierFor({ kind: 'sns', topicArn }, clients),
      approvalBaseUrl: sim.url,
    };
  };
  const deps = depsWith({});
  sim.addWebRoute(approvalWebRoute(approvalWebHandler(deps)));
  return { sim, world, clock, tokens, topicArn, s3, deps, depsWith, stop: () => sim.stop() };
}

export async function readObject(s3: S3Client, key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return await out.Body!.transformToString();
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Every audit event under a prefix (`audit/...`), oldest first. */
export async function auditEvents(s3: S3Client, prefix = 'audit/'): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (object.Key!.startsWith('audit/sweep-index/')) continue;
      events.push(AuditEventSchema.parse(JSON.parse((await readObject(s3, object.Key!))!)));
    }
    token = page.NextContinuationToken;
  } while (token);
  return events.sort((a, b) => a.at.localeCompare(b.at));
}

export type EndpointKind = 'real-time' | 'multi-variant' | 'serverless' | 'async' | 'inference-components';

export interface SeededEndpoint {
  name: string;
  arn: string;
  configName: string;
  variants: string[];
  components: string[];
  models: string[];
}

const container = (name: string) => ({
  Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/inference:1',
  ModelDataUrl: `s3://ml-team-models/${name}/model.tar.gz`,
});

/** An InService endpoint of `kind` in the member account, created `ageDays` ago, with its models and config. */
export function seedEndpoint(world: World, name: string, kind: EndpointKind, ageDays = 60): SeededEndpoint {
  const store = sagemakerStore(world, MEMBER, REGION);
  // Deletions settle on the next read: Delete looks once and never waits (the workflow's Wait loop paces it).
  sagemakerSettings(world).transitionDelayMs = 0;
  const created = new Date(Date.now() - ageDays * 86_400_000);
  const role = `arn:aws:iam::${MEMBER}:role/sagemaker-execution`;
  const models = kind === 'multi-variant' ? [`${name}-model-a`, `${name}-model-b`] : [`${name}-model`];
  for (const model of models) store.createModel({ ModelName: model, PrimaryContainer: container(model), ExecutionRoleArn: role }, { creationTime: created });
  const configName = `${name}-config`;
  const instance = (variant: string, model?: string) => ({
    VariantName: variant,
    ...(model ? { ModelName: model } : {}),
    InstanceType: 'ml.g4dn.xlarge',
    InitialInstanceCount: 1,
  });
  const variants =
    kind === 'multi-variant'
      ? [instance('blue', models[0]), instance('green', models[1])]
      : kind === 'serverless'
        ? [{ VariantName: 'AllTraffic', ModelName: models[0], ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5, ProvisionedConcurrency: 2 } }]
        : kind === 'inference-components'
          ? [instance('main')]
          : [instance('AllTraffic', models[0])];
  store.createEndpointConfig(
    {
      EndpointConfigName: configName,
      ProductionVariants: variants,
      ...(kind === 'async' ? { AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://ml-team-async/out/' } } } : {}),
      ...(kind === 'inference-components' ? { ExecutionRoleArn: role } : {}),
    },
    { creationTime: created },
  );
  const endpoint = store.createEndpoint({ EndpointName: name, EndpointConfigName: configName }, { status: 'InService', creationTime: created });
  const components: string[] = [];
  if (kind === 'inference-components') {
    for (const suffix of ['llm', 'embedder']) {
      const ic = `${name}-${suffix}`;
      store.createInferenceComponent(
        { InferenceComponentName: ic, EndpointName: name, Specification: { ModelName: models[0] }, RuntimeConfig: { CopyCount: 1 } },
        { status: 'InService', creationTime: created },
      );
      components.push(ic);
    }
  }
  return { name, arn: endpoint.arn, configName, variants: variants.map((v) => v.VariantName), components, models };
}

/** The candidate detection would hand over for a seeded endpoint, detected at `detectedAt`. */
export function candidateFor(seeded: SeededEndpoint, sweepId: string, detectedAt: Date, kind: EndpointKind = 'real-time') {
  return {
    sweepId,
    accountId: MEMBER,
    region: REGION,
    endpointName: seeded.name,
    endpointArn: seeded.arn,
    endpointType: kind === 'multi-variant' ? ('real-time' as const) : kind,
    instanceType: kind === 'serverless' ? null : 'ml.g4dn.xlarge',
    instanceCount: kind === 'serverless' ? 0 : seeded.variants.length,
    monthlyCostUsd: kind === 'serverless' ? null : 532.9 * seeded.variants.length,
    idleSince: 'never',
    detectedAt: detectedAt.toISOString(),
    roleName: ROLE,
  };
}

/** A stand-in for the snapshot step's verified manifest (only its presence matters to tag and delete). */
export async function putManifest(s3: S3Client, sweepId: string, endpointName: string): Promise<string> {
  const key = layout.manifest(MEMBER, REGION, endpointName, sweepId);
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: JSON.stringify({ sweepId, endpointName, verified: true, artifacts: [] }),
      ContentType: 'application/json',
    }),
  );
  return key;
}

/** alice's delivered approval of `approved` (and rejection of `rejected`), signed as the approval page signs it. */
export function recordApproval(
  env: CleanupEnv,
  sweepId: string,
  decided: Pick<DecisionRecord, 'approved'> & Partial<Pick<DecisionRecord, 'rejected' | 'scaleToZero'>>,
): Promise<DecisionRecord> {
  return recordSignedDecision(env, {
    version: 1,
    sweepId,
    approver: 'alice@example.com',
    decidedAt: env.clock.now().toISOString(),
    action: 'approve',
    rejected: [],
    ...decided,
    status: 'delivered',
    source: 'approval-page',
  });
}

/** Writes a decision record signed with the env's decision key, as the approval page would. */
export async function recordSignedDecision(env: CleanupEnv, record: DecisionRecord): Promise<DecisionRecord> {
  const signed = await signDecision(env.deps.decisionSigner!, record);
  await writeJson(env.s3, BUCKET, layout.decision(record.sweepId), signed);
  return signed;
}
