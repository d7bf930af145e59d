import { CreateBucketCommand, GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AuditEvent } from '../../src/audit/events.ts';
import type { SweepInput } from '../../src/core/schemas.ts';
import { tagListToMap, type TagMap } from '../../src/core/tags.ts';
import { attachToSimulator, startSweepLocally, type LocalSweep, type LocalSweepOptions } from '../../local/runner/index.ts';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { kmsStore } from '../../local/sim/services/kms.ts';
import { sagemakerStore } from '../../local/sim/services/sagemaker/store.ts';
import { snsOutbox } from '../../local/sim/services/sns.ts';
import { buildWorld } from '../../local/sim/scenario/build.ts';
import type { ScenarioInput } from '../../local/sim/scenario/schema.ts';
import { notificationTopic } from '../../local/sim/notification-topic.ts';

/**
 * A small organization for the workflow tests, and the plumbing every test needs: the simulator with
 * an archive bucket, an approvals topic with one filtered subscription per approver, a KMS HMAC key,
 * and the local runner attached to it.
 */
export const MGMT = '111111111111';
export const TEAM = '222222222222';
export const NO_ROLE = '333333333333';
export const REGION = 'us-east-1';
export const BUCKET = 'zombie-archive';
export const APPROVERS = ['alice@example.com', 'bob@example.com'];

const small = (account: string, path: string, exists = true) => ({ uri: `s3://models-${account}/${path}/model.tar.gz`, size: 2048, exists });

/** Zombies: idle-a, idle-b, idle-c (TEAM). Busy: busy-api (TEAM). Too new: fresh-one (TEAM). NO_ROLE has one endpoint nobody can reach. */
export function workflowScenario(extra: Partial<Pick<ScenarioInput, 'endpoints'>> = {}): ScenarioInput {
  return {
    name: 'workflow',
    organization: { id: 'o-wf12345678', rootId: 'r-wf12', managementAccountId: MGMT, homeRegion: REGION },
    accounts: [
      { id: MGMT, name: 'management', regions: [REGION], memberRole: false },
      { id: TEAM, name: 'ml-team', regions: [REGION] },
      { id: NO_ROLE, name: 'no-role', regions: [REGION], memberRole: false },
    ],
    endpoints: [
      {
        account: TEAM,
        region: REGION,
        name: 'idle-a',
        createdDaysAgo: 200,
        variants: [{ instanceType: 'ml.m5.large', model: { artifact: small(TEAM, 'idle-a') } }],
      },
      {
        account: TEAM,
        region: REGION,
        name: 'idle-b',
        createdDaysAgo: 200,
        variants: [{ instanceType: 'ml.c5.xlarge', model: { artifact: small(TEAM, 'idle-b') }, invocations: [{ daysAgo: [90, 100], perDay: 5 }] }],
      },
      {
        account: TEAM,
        region: REGION,
        name: 'idle-c',
        createdDaysAgo: 150,
        variants: [{ instanceType: 'ml.g4dn.xlarge', model: { artifact: small(TEAM, 'idle-c') } }],
      },
      {
        account: TEAM,
        region: REGION,
        name: 'busy-api',
        createdDaysAgo: 200,
        variants: [{ instanceType: 'ml.m5.large', model: { artifact: small(TEAM, 'busy') }, invocations: [{ daysAgo: [0, 60], perDay: 100 }] }],
      },
      {
        account: TEAM,
        region: REGION,
        name: 'fresh-one',
        createdDaysAgo: 3,
        variants: [{ instanceType: 'ml.m5.large', model: { artifact: small(TEAM, 'fresh') } }],
      },
      {
        account: NO_ROLE,
        region: REGION,
        name: 'unreachable-idle',
        createdDaysAgo: 200,
        variants: [{ instanceType: 'ml.m5.large', model: { artifact: small(NO_ROLE, 'x') } }],
      },
      ...(extra.endpoints ?? []),
    ],
    settings: { transitionDelayMs: 20, latencyMs: 0, throttling: false },
  };
}

export const ZOMBIES = ['idle-a', 'idle-b', 'idle-c'];

export interface WorkflowEnv {
  sim: Simulator;
  topicArn: string;
  keyId: string;
  s3: S3Client;
  start(input: Partial<SweepInput> & { sweepId: string }, options?: Partial<LocalSweepOptions>): LocalSweep;
  stop(): Promise<void>;
}

export async function workflowEnv(scenario: ScenarioInput = workflowScenario()): Promise<WorkflowEnv> {
  const sim = await startSimulator({ world: buildWorld(scenario) });
  const config = sim.clientConfig();
  const s3 = new S3Client(config);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET, ObjectLockEnabledForBucket: true }));
  const topicArn = await notificationTopic(new SNSClient(config), { approvers: APPROVERS });
  const keyId = kmsStore(sim.world, MGMT, REGION).createHmacKey({ description: 'approval links' });
  const host = attachToSimulator(sim);
  return {
    sim,
    topicArn,
    keyId,
    s3,
    start: (input, options = {}) =>
      startSweepLocally({
        input: { targets: { org: true, regions: [REGION] }, approval: { approvers: APPROVERS }, ...input } as SweepInput,
        archiveBucket: BUCKET,
        accountId: MGMT,
        hubRegion: REGION,
        host,
        credentials: async () => config.credentials,
        s3ForcePathStyle: true,
        endpoint: sim.url,
        topicArn,
        approvalKeyId: keyId,
        retryIntervalMs: 5,
        waitTimeOverridesMs: { DeleteRecheckWait: 5 },
        ...options,
      }),
    stop: () => sim.stop(),
  };
}

/** The approval link SNS delivered to this approver for this sweep. */
export function approvalLink(sim: Simulator, approver: string, sweepId: string): string {
  const message = snsOutbox(sim.world)
    .to(approver)
    .find((m) => m.message.includes(`/approvals/${sweepId}?`));
  const url = message?.message.match(/https?:\/\/\S+\/approvals\/\S+/)?.[0];
  if (!url) throw new Error(`no approval link for ${approver} in sweep ${sweepId}`);
  return url;
}

/**
 * Decides on the approval page the way a browser submits its form: GET the page, keep its hidden
 * fields, tick the chosen endpoints, POST. Returns the response status and page text.
 */
export async function decideOnPage(url: string, choice: { keep?: string[]; rejectAll?: boolean }): Promise<{ status: number; text: string }> {
  const page = await (await fetch(url)).text();
  const form = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.append(name!, decode(value!));
  for (const [, value] of page.matchAll(/<input type="checkbox"[^>]*name="endpoint" value="([^"]+)"/g)) {
    const arn = decode(value!);
    if (!(choice.keep ?? []).some((name) => arn.endsWith(`/${name}`))) form.append('endpoint', arn);
  }
  form.append('action', choice.rejectAll ? 'reject-all' : 'approve');
  const response = await fetch(url.split('?')[0]!, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: response.status, text: await response.text() };
}

function decode(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** SageMaker as the member role in an account (what an owner sees). */
export async function sagemakerAs(sim: Simulator, accountId: string): Promise<SageMakerClient> {
  const sts = new STSClient(sim.clientConfig());
  const creds = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/ZombieSweepMemberRole`, RoleSessionName: 'test' })))
    .Credentials!;
  return new SageMakerClient({
    ...sim.clientConfig(),
    credentials: { accessKeyId: creds.AccessKeyId!, secretAccessKey: creds.SecretAccessKey!, sessionToken: creds.SessionToken },
  });
}

export function endpointArn(accountId: string, name: string): string {
  return `arn:aws:sagemaker:${REGION}:${accountId}:endpoint/${name}`;
}

/** Endpoint names still present in the account (gone and Deleting ones excluded). */
export function liveEndpoints(sim: Simulator, accountId: string): string[] {
  return sagemakerStore(sim.world, accountId, REGION)
    .listEndpoints()
    .filter((e) => e.status !== 'Deleting')
    .map((e) => e.name)
    .sort();
}

export async function tagsOf(sagemaker: SageMakerClient, accountId: string, name: string): Promise<TagMap> {
  return tagListToMap((await sagemaker.send(new ListTagsCommand({ ResourceArn: endpointArn(accountId, name) }))).Tags);
}

export async function keys(s3: S3Client, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: BUCKET, Prefix: prefix })) for (const o of page.Contents ?? []) out.push(o.Key!);
  return out.sort();
}

export async function json<T>(s3: S3Client, key: string): Promise<T> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return JSON.parse(await object.Body!.transformToString()) as T;
}

/** Every audit event of an endpoint, oldest first. */
export async function endpointEvents(s3: S3Client, accountId: string, name: string): Promise<AuditEvent[]> {
  const found = await keys(s3, `audit/endpoints/${accountId}/${REGION}/${name}/`);
  return Promise.all(found.map((key) => json<AuditEvent>(s3, key)));
}

export async function sweepEvents(s3: S3Client, sweepId: string): Promise<AuditEvent[]> {
  const found = await keys(s3, `audit/sweeps/${sweepId}/`);
  return Promise.all(found.map((key) => json<AuditEvent>(s3, key)));
}

export const types = (events: AuditEvent[]) => events.map((e) => e.type);
