import '../../src/core/polyfills.ts';
import { scaleToZeroOffer } from '../../src/cleanup/scale-to-zero.ts';
import { randomUUID } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { z } from 'zod';
import type { AuditWriter } from '../../src/audit/events.ts';
import type { ClientFactoryOptions } from '../../src/core/clients.ts';
import { approvalUrl, kmsMacSigner, signLink, type MacSigner } from '../../src/cleanup/approval/links.ts';
import { normalizeCandidates } from '../../src/cleanup/approval/request.ts';
import { signDecision } from '../../src/cleanup/approval/signature.ts';
import { readApprovalRecord, readDecisionRecord, readJson, taskOutput, writeJson, type DecisionRecord } from '../../src/cleanup/approval/store.ts';
import { signVetoLink, vetoUrl } from '../../src/cleanup/notice/links.ts';
import { readNoticeRecord } from '../../src/cleanup/notice/store.ts';
import { layout } from '../../src/core/layout.ts';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { WORKFLOW_FUNCTIONS, functionArnPlaceholder, type WorkflowFunction } from '../../src/core/functions.ts';
import { silentLog, type Log } from '../../src/core/log.ts';
import { notifierFor } from '../../src/core/notifier.ts';
import { SweepInputSchema, parseOrThrow, type SweepInput } from '../../src/core/schemas.ts';
import type { SweepReport } from '../../src/sweep/model.ts';
import { readReportIfAny } from '../../src/sweep/report-store.ts';
import { sweepIdFromExecutionName } from '../../src/sweep/input.ts';
import { DEFAULT_SETTINGS, SETTING_PLACEHOLDERS, readSweepAsl, substitutePlaceholders } from '../../statemachine/placeholders.ts';
import type { CallbackInfo, ExecutionRecord, ExecutionStatus, LocalMachineOptions } from './engine.ts';
import { localApprovalPages, localFunctionName, localFunctions, type LocalFunction, type LocalFunctionDeps } from './functions.ts';
import type { ApiCallCounter } from '../../src/core/api-calls.ts';
import type { LocalHost } from './host.ts';
import { localFunctionArn } from './lambda.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { processMacSigner, type LocalNotification } from './local-clients.ts';

/**
 * Runs a sweep on this machine: the real statemachine/sweep.asl.json, each Lambda task in-process,
 * against whatever the credentials and AWS_ENDPOINT_URL point to (AWS, or the simulator). The
 * approval waits for a decision made on the approval page the host serves, unless the input says
 * `approval.autoApprove` (recorded as `auto-approve` in the decision and the audit trail).
 */

export const LOCAL_STATE_MACHINE_NAME = 'zombie-sweep-local';

export interface LocalSweepOptions {
  input: SweepInput;
  archiveBucket: string;
  /** Account id used in the local ARNs (the hub account). */
  accountId: string;
  hubRegion: string;
  host: LocalHost;
  /** Base credentials; default: the SDK's default chain. */
  credentials?: AwsCredentialIdentityProvider;
  /** Path-style S3 (behind AWS_ENDPOINT_URL). */
  s3ForcePathStyle?: boolean;
  /** Every AWS client's endpoint (an in-process simulator); default: the SDK's own (AWS_ENDPOINT_URL or AWS). */
  endpoint?: string;
  /** Every AWS client's HTTP handler (benchmarks: local/sim/in-process.ts); default: the process-wide pool. */
  httpHandler?: ClientFactoryOptions['httpHandler'];
  /** SDK attempts per call (default 8); throttling beyond them reaches the state machine's Retry as RetryableAwsError. */
  maxAttempts?: number;
  /** SNS topic for approval links and reports; without it they are kept locally (see `notifications`). */
  topicArn?: string;
  /** With `approval.autoApprove`: choose scale to zero instead of deletion wherever it is offered (the demo's --scale-to-zero). */
  autoApproveScaleToZero?: boolean;
  /** KMS HMAC key for approval links; without it a secret that lives only in this process signs them. */
  approvalKeyId?: string;
  /** KMS HMAC key for decision records, as deployed (a key of its own); default: the approval key. */
  decisionKeyId?: string;
  /** A counter per hub function, given every SDK call that function makes (the permission test records them). */
  counterFor?: (fn: LocalFunction) => ApiCallCounter | undefined;
  archiveKmsKeyId?: string;
  auditRetention?: AuditWriter['retention'];
  clock?: Clock;
  log?: Log;
  /** The execution name (default: the input's sweep id, else a UUID). */
  executionName?: string;
  /** Values for the settings placeholders (defaults in statemachine/placeholders.ts). */
  settings?: Partial<Record<keyof typeof SETTING_PLACEHOLDERS, string>>;
  /** Shorter approval wait than the input's timeoutSeconds (tests). */
  approvalTimeoutMs?: number;
  /** Every Retry interval in ms (tests: no backoff sleeps). */
  retryIntervalMs?: number;
  /**
   * Per Wait state name, a shorter wait in ms than the definition's (tests: `{ DeleteRecheckWait: 10 }`).
   * Against a loopback endpoint (the simulator) DeleteRecheckWait defaults to 200 ms: its SageMaker
   * deletes in well under a second, and the definition's 30 s is paced for AWS.
   */
  waitTimeOverridesMs?: Record<string, number>;
  /** Memory per workflow function in MB, for the Lambda GB-seconds the execution reports (default 1024 each). */
  lambdaMemoryMb?: Partial<Record<WorkflowFunction, number>>;
  /** Told when the approvers' links exist (the CLI and the demo print them). */
  onApprovalRequested?: (request: ApprovalRequested) => void;
  /** Told when owners were sent their notices (the CLI and the demo print the veto links). */
  onOwnersNotified?: (notice: OwnersNotified) => void;
  /** Fault injection (the chaos harness): may throw to fail an invocation after its handler did its work. */
  afterHandlerReturned?: LocalMachineOptions['afterHandlerReturned'];
}

export interface ApprovalRequested {
  sweepId: string;
  expiresAt: string;
  /** One per approver, or with approver groups one per group approver (`group` set). */
  links: { approver: string; group?: string; url: string }[];
}

/** The owners told by NotifyOwners, each with the endpoints of theirs and their veto link. */
export interface OwnersNotified {
  sweepId: string;
  vetoUntil: string;
  links: { owner: string; endpoints: string[]; url: string }[];
}

export interface LocalSweepResult {
  executionArn: string;
  sweepId?: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  /** The sweep report as written to the archive bucket (absent when the sweep failed before Collect). */
  report?: SweepReport;
  /** Notifications kept locally because no topic was given. */
  notifications: LocalNotification[];
}

export interface LocalSweep {
  executionArn: string;
  /** Settles when the execution ends (never rejects for a failed sweep: see `status`). */
  done: Promise<LocalSweepResult>;
  /** Resolves when the approval request is out (or never, when the sweep does not reach it). */
  approvalRequested: Promise<ApprovalRequested>;
}

const SIMULATOR_WAITS_MS: Record<string, number> = { DeleteRecheckWait: 200 };

/** True for an endpoint override on this machine (the simulator); false for none (real AWS) or any other host. */
export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  try {
    const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

export function runSweepLocally(options: LocalSweepOptions): Promise<LocalSweepResult> {
  return startSweepLocally(options).done;
}

export function startSweepLocally(options: LocalSweepOptions): LocalSweep {
  // Invalid input still starts the execution: ValidateInput is where it fails, naming the field, as on AWS.
  const autoApproveRequested = SweepInputSchema.safeParse(options.input).data?.approval.autoApprove === true;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLog;
  const factoryOptions = {
    credentials: options.credentials,
    hubRegion: options.hubRegion,
    sessionName: 'zombie-sweep-local',
    s3ForcePathStyle: options.s3ForcePathStyle,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.httpHandler ? { httpHandler: options.httpHandler } : {}),
  };
  // Step Functions calls (the approval page's SendTaskSuccess) reach the runner executing this sweep, by configuration.
  const local = { ...factoryOptions, serviceEndpoints: { SFN: options.host.url } };
  const clients = new ClientFactory(local);
  const functionClients = new Map<LocalFunction, ClientFactory>();
  const clientsFor = (fn: LocalFunction): ClientFactory => {
    if (!functionClients.has(fn))
      functionClients.set(fn, new ClientFactory({ ...local, sessionName: `zombie-sweep-${fn}`, counter: options.counterFor?.(fn) }));
    return functionClients.get(fn)!;
  };
  const notifications: LocalNotification[] = [];
  const processSigner = processMacSigner();
  const kmsSigner = (fn: LocalFunction | undefined, keyId: string | undefined) =>
    keyId ? kmsMacSigner((fn ? clientsFor(fn) : clients).hub(KMSClient), keyId) : processSigner;
  // The runner's own signer (auto-approve, the links it announces) and each function's, over the same key.
  const signer = kmsSigner(undefined, options.approvalKeyId);
  const decisionSigner = kmsSigner(undefined, options.decisionKeyId ?? options.approvalKeyId);
  const deps: LocalFunctionDeps = {
    factoryOptions,
    clientsFor,
    ...(options.counterFor ? { counterFor: options.counterFor } : {}),
    archiveBucket: options.archiveBucket,
    archiveKmsKeyId: options.archiveKmsKeyId,
    hubRegion: options.hubRegion,
    clock,
    log,
    auditRetention: options.auditRetention,
    notifierFor: (fn) =>
      notifierFor(options.topicArn !== undefined ? { kind: 'sns', topicArn: options.topicArn } : { kind: 'local', kept: notifications }, clientsFor(fn)),
    linkSignerFor: (fn) => kmsSigner(fn, options.approvalKeyId),
    decisionSignerFor: (fn) => kmsSigner(fn, options.decisionKeyId ?? options.approvalKeyId),
    approvalBaseUrl: options.host.url,
  };
  options.host.serveApprovals(localApprovalPages(deps));

  let announce!: (request: ApprovalRequested) => void;
  const approvalRequested = new Promise<ApprovalRequested>((resolve) => (announce = resolve));
  approvalRequested.catch(() => undefined);
  const stateMachineArn = options.host.engine.createStateMachine(LOCAL_STATE_MACHINE_NAME, substitutePlaceholders(readSweepAsl(), placeholderValues(options)), {
    s3: clients.hub(S3Client),
    functions: localFunctions(deps),
    ...(options.approvalTimeoutMs !== undefined ? { taskTimeoutOverridesMs: { RequestApproval: options.approvalTimeoutMs } } : {}),
    retryIntervalMs: options.retryIntervalMs,
    waitTimeOverridesMs: { ...(isLoopbackEndpoint(options.endpoint) ? SIMULATOR_WAITS_MS : {}), ...options.waitTimeOverridesMs },
    ...(options.afterHandlerReturned || options.onOwnersNotified ? { afterHandlerReturned: afterHandler(options, clients, signer) } : {}),
    roleArn: `arn:aws:iam::${options.accountId}:role/zombie-sweep-local`,
    ...(options.lambdaMemoryMb ? { lambdaMemoryMb: memoryByLocalName(options.lambdaMemoryMb) } : {}),
    callbacks: {
      // --auto-approve: nobody is asked; every tagged endpoint is approved, as `auto-approve`.
      before: async (info) =>
        autoApproveRequested
          ? (await autoApprove(clients, options.archiveBucket, clock, decisionSigner, info, options.autoApproveScaleToZero === true), true)
          : false,
      after: async (info) => {
        const request = await approvalLinks(clients, options.archiveBucket, options.host.url, signer, info);
        announce(request);
        options.onApprovalRequested?.(request);
      },
    },
  });

  const name = options.executionName ?? options.input.sweepId ?? randomUUID();
  const { record } = options.host.engine.start(stateMachineArn, JSON.stringify(options.input), name);
  const done = record.done.then((finished) => result(finished, clients, options, name, notifications));
  return { executionArn: record.executionArn, done, approvalRequested };
}

/** The ASL's placeholders: the archive bucket, each local function's ARN, and the settings (given or default). */
function placeholderValues(options: LocalSweepOptions): Record<string, string> {
  const values: Record<string, string> = { [SETTING_PLACEHOLDERS.ArchiveBucket]: options.archiveBucket };
  for (const name of WORKFLOW_FUNCTIONS) values[functionArnPlaceholder(name)] = localFunctionArn(options.hubRegion, options.accountId, localFunctionName(name));
  for (const [key, fallback] of Object.entries(DEFAULT_SETTINGS)) {
    const value = options.settings?.[key as keyof typeof SETTING_PLACEHOLDERS] ?? fallback;
    if (value !== undefined && key !== SETTING_PLACEHOLDERS.ArchiveBucket) values[key] = value;
  }
  return values;
}

/** The caller's hook, then the owner notice announcement once NotifyOwners has returned. */
function afterHandler(options: LocalSweepOptions, clients: ClientFactory, signer: MacSigner): NonNullable<LocalMachineOptions['afterHandlerReturned']> {
  return async (functionName, event) => {
    await options.afterHandlerReturned?.(functionName, event);
    const step = event as { step?: unknown; sweepId?: unknown };
    if (!options.onOwnersNotified || step.step !== 'notify-owners' || typeof step.sweepId !== 'string') return;
    // Only an announcement: failing to read the notice back must not fail the step that sent it.
    const notice = await ownerLinks(clients, options.archiveBucket, options.host.url, signer, step.sweepId).catch(() => undefined);
    if (notice) options.onOwnersNotified(notice);
  };
}

function memoryByLocalName(sizes: Partial<Record<WorkflowFunction, number>>): (functionName: string) => number {
  const byName = new Map(WORKFLOW_FUNCTIONS.map((name) => [localFunctionName(name), sizes[name]]));
  return (functionName) => byName.get(functionName) ?? 1024;
}

async function result(
  record: ExecutionRecord,
  clients: ClientFactory,
  options: LocalSweepOptions,
  name: string,
  notifications: LocalNotification[],
): Promise<LocalSweepResult> {
  const output = record.output === undefined ? undefined : (JSON.parse(record.output) as { sweepId?: string });
  const sweepId = output?.sweepId ?? (options.input as { sweepId?: string }).sweepId ?? sweepIdFromExecutionName(name);
  const report = sweepId ? await readReportIfAny(clients.hub(S3Client), options.archiveBucket, sweepId).catch(() => undefined) : undefined;
  return {
    executionArn: record.executionArn,
    sweepId,
    status: record.status,
    output,
    error: record.error,
    cause: record.cause,
    report,
    notifications,
  };
}

const PayloadSchema = z.object({ sweepId: z.string(), candidatesKey: z.string(), approvers: z.array(z.string()).optional() });

/**
 * Approves every tagged candidate: records a decision signed with the run's key and marked
 * `auto-approve`, then completes the task with a reference to it through the Step Functions API,
 * exactly as the approval page does.
 */
async function autoApprove(clients: ClientFactory, bucket: string, clock: Clock, signer: MacSigner, info: CallbackInfo, scaleToZero = false): Promise<void> {
  const payload = parseOrThrow(PayloadSchema, info.payload, 'approval request');
  const s3 = clients.hub(S3Client);
  const file = await readJson(s3, bucket, payload.candidatesKey, z.unknown());
  const candidates = normalizeCandidates(file?.value ?? [], bucket, 'candidatesKey');
  const decidedAt = clock.now().toISOString();
  const unsigned: DecisionRecord = {
    version: 1,
    sweepId: payload.sweepId,
    approver: 'auto-approve',
    decidedAt,
    action: candidates.length > 0 ? 'approve' : 'reject-all',
    approved: candidates.map((c) => c.endpointArn),
    rejected: [],
    ...(scaleToZero ? { scaleToZero: candidates.filter((c) => scaleToZeroOffer(c.endpointType).offered).map((c) => c.endpointArn) } : {}),
    status: 'pending',
    source: 'auto-approve',
  };
  const decision = await signDecision(signer, unsigned);
  // A retried request finds the decision it recorded before: decided once.
  const written = await writeJson(s3, bucket, layout.decision(payload.sweepId), decision, { ifNoneMatch: '*' });
  const recorded = written.written ? decision : (await readDecisionRecord(s3, bucket, payload.sweepId))?.value;
  if (!recorded) throw new Error(`the decision record of ${payload.sweepId} could not be written or read`);
  await clients.hub(SFNClient).send(new SendTaskSuccessCommand({ taskToken: info.token, output: JSON.stringify(taskOutput(recorded)) }));
}

/** The links the approvers were sent, for printing (each is signed for its approver). */
async function approvalLinks(clients: ClientFactory, bucket: string, baseUrl: string, signer: MacSigner, info: CallbackInfo): Promise<ApprovalRequested> {
  const payload = parseOrThrow(PayloadSchema, info.payload, 'approval request');
  const record = await readApprovalRecord(clients.hub(S3Client), bucket, payload.sweepId);
  if (!record) return { sweepId: payload.sweepId, expiresAt: '', links: [] };
  const expires = Math.floor(Date.parse(record.value.expiresAt) / 1000);
  // With approver groups each link is signed for its group (as RequestApproval mails them).
  const who = record.value.groups
    ? record.value.groups.flatMap((g) => g.approvers.map((approver) => ({ approver, group: g.name })))
    : record.value.approvers.map((approver) => ({ approver, group: undefined }));
  const links = await Promise.all(
    who.map(async ({ approver, group }) => ({
      approver,
      ...(group ? { group } : {}),
      url: approvalUrl(baseUrl, payload.sweepId, await signLink(signer, payload.sweepId, approver, expires, group)),
    })),
  );
  return { sweepId: payload.sweepId, expiresAt: record.value.expiresAt, links };
}

/** Each owner's veto link, as NotifyOwners mailed it (the same signature over the same fields). */
async function ownerLinks(clients: ClientFactory, bucket: string, baseUrl: string, signer: MacSigner, sweepId: string): Promise<OwnersNotified> {
  const record = await readNoticeRecord(clients.hub(S3Client), bucket, sweepId);
  if (!record) return { sweepId, vetoUntil: '', links: [] };
  const expires = Math.floor(Date.parse(record.value.vetoUntil) / 1000);
  const names = new Map(record.value.candidates.map((c) => [c.endpointArn, c.endpointName]));
  const links = await Promise.all(
    Object.entries(record.value.owners).map(async ([owner, arns]) => ({
      owner,
      endpoints: arns.map((a) => names.get(a) ?? a),
      url: vetoUrl(baseUrl, sweepId, await signVetoLink(signer, sweepId, owner, expires)),
    })),
  );
  return { sweepId, vetoUntil: record.value.vetoUntil, links };
}

export { attachToSimulator, startLocalHost, type LocalHost } from './host.ts';
