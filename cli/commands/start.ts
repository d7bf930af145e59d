import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { STSClient } from '@aws-sdk/client-sts';
import { S3Client } from '@aws-sdk/client-s3';
import { appendAuditEvent, type AuditWriter } from '../../src/audit/events.ts';
import { localAuditRetention } from '../shared/audit-retention.ts';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { fromIni } from '@aws-sdk/credential-providers';
import { Option, type Command } from 'commander';
import { pollUntil, systemClock, systemSleeper, type Clock, type Sleeper } from '../../src/core/clock.ts';
import { InputValidationError, ZombieSweepError } from '../../src/core/errors.ts';
import { silentLog, streamLog } from '../../src/core/log.ts';
import { SweepInputSchema, parseOrThrow, type SweepInput } from '../../src/core/schemas.ts';
import { describeEvent, executionArnFor, historySince, newSweepId, resolveStateMachineArn } from '../../src/sweep/deployed.ts';
import { ACTIONS_LOCK_SCOPE, releaseLock } from '../../src/sweep/lock.ts';
import { causeMessage } from '../../src/sweep/map-results.ts';
import { reportText } from '../../src/sweep/text.ts';
import { startLocalHost } from '../../local/runner/host.ts';
import { startSweepLocally, type LocalSweepResult } from '../../local/runner/index.ts';
import { checkArchiveBucket, validateBucket, withArchiveBucket } from '../shared/bucket.ts';
import { confirmAccount, interlockNeeded, requireConfirmationFlag } from '../shared/interlock.ts';
import { listAccountAlias, type AliasLookup } from '../shared/account-alias.ts';
import { callerIdentity, cliClientFactory, endpointOverridden, homeRegion } from '../shared/credentials.ts';
import { addGlobalOptions, showsProgress, type GlobalFlags } from '../shared/globals.ts';
import { validateRegionNames } from '../shared/targets.ts';
import { addDetectionOptions, addTargetingOptions, parseDetection, parseTargeting, type DetectionFlags, type TargetingFlags } from '../shared/options.ts';

/**
 * `zombie-sweep start`: a sweep on the deployed state machine (prints the sweep id; `--wait` follows
 * it), or with `--local` the same workflow in this process against whatever the credentials and
 * AWS_ENDPOINT_URL point to, serving the approval page on loopback until someone decides.
 */
export interface StartFlags extends TargetingFlags, DetectionFlags, GlobalFlags {
  mode: string;
  sweepId?: string;
  approver: string[];
  approvalTimeout: string;
  rejectExemptDays?: string;
  deleteEndpointConfig?: boolean;
  deleteModels?: boolean;
  stateMachineArn?: string;
  stackName?: string;
  wait?: boolean;
  local?: boolean;
  archiveBucket?: string;
  topicArn?: string;
  approvalKeyId?: string;
  archiveKmsKeyId?: string;
  autoApprove?: boolean;
  notifyOwners?: boolean;
  noticePeriod?: string;
  confirmAccount?: string;
  port?: string;
  output: 'table' | 'text' | 'json';
  verbose?: boolean;
}

export interface StartIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Paces --wait's polling of the execution; the system's by default. */
  sleeper?: Sleeper;
  /** stdin and stderr are a terminal (the interlock may then ask for the account id). */
  interactive?: boolean;
  /** Asks the operator a question on the terminal. */
  ask?: (question: string) => Promise<string>;
  /** The account's alias for the interlock; iam:ListAccountAliases by default. */
  accountAlias?: (clients: ReturnType<typeof cliClientFactory>) => Promise<AliasLookup>;
}

class SweepFailedError extends ZombieSweepError {}

const LOCAL_ONLY = ['archiveBucket', 'topicArn', 'approvalKeyId', 'archiveKmsKeyId', 'autoApprove', 'port', 'confirmAccount'] as const;
const FLAG: Record<(typeof LOCAL_ONLY)[number], string> = {
  archiveBucket: '--archive-bucket',
  topicArn: '--topic-arn',
  approvalKeyId: '--approval-key-id',
  archiveKmsKeyId: '--archive-kms-key-id',
  autoApprove: '--auto-approve',
  port: '--port',
  confirmAccount: '--confirm-account',
};

export function registerStart(program: Command): void {
  const command = program.command('start').description('Start a sweep: on the deployed state machine, or in this process with --local.');
  command
    .addOption(
      new Option('--mode <mode>', 'report: find and report; tag: also snapshot and tag zombies; cleanup: also ask approvers and delete')
        .choices(['report', 'tag', 'cleanup'])
        .default('report'),
    )
    .option('--sweep-id <id>', 'sweep id (default: sweep-<UTC timestamp>-<random>); also the execution name')
    .option('--approver <email>', 'approver email (repeat for several); cleanup mode needs at least one unless --auto-approve', collect, [])
    .option('--approval-timeout <duration>', 'how long approvers have, e.g. 72h, 3d, 90m or seconds; nothing is deleted after it', '72h')
    .option('--reject-exempt-days <days>', 'days an endpoint kept by an approver stays exempt from later sweeps (default 90)')
    .option('--delete-endpoint-config', 'also delete the endpoint config of deleted endpoints (default: kept, restore needs nothing else)')
    .option('--delete-models', 'also delete the models of deleted endpoints (default: kept)')
    .option(
      '--notify-owners',
      "tell each endpoint's owner first, with a veto link (owners from the endpoint's owner tags or the account's Organizations tags); --local prints the links",
    )
    .option('--notice-period <duration>', 'with --notify-owners: how long owners have to veto before approvers are asked, e.g. 3d, 12h or 0 (default 72h)');
  addTargetingOptions(command);
  addDetectionOptions(command);
  addGlobalOptions(command, ['table', 'text', 'json'], 'table', 'output format of the final report (local) or the started sweep (deployed)');
  command
    .option('--state-machine-arn <arn>', 'deployed: the sweep state machine (default: the StateMachineArn output of --stack-name)')
    .option('--stack-name <name>', 'deployed: the hub stack to read the state machine from', 'ZombieSweepHub')
    .option('--wait', 'deployed: follow the sweep until it ends, printing its progress; exit 1 if it fails')
    .option('--local', 'run the workflow in this process (no deployment); the approval page is served on 127.0.0.1')
    .option('--archive-bucket <bucket>', 'local: the archive bucket (must exist)')
    .option('--topic-arn <arn>', 'local: SNS topic for approval links and the report (default: links printed here, nothing published)')
    .option('--approval-key-id <key>', 'local: KMS HMAC key for approval links (default: a secret that lives only in this process)')
    .option('--archive-kms-key-id <key>', 'local: KMS key for the archived copies (SSE-KMS)')
    .option('--auto-approve', 'local, --mode cleanup: approve every tagged zombie without asking (recorded as auto-approve in the audit trail)')
    .option('--port <port>', 'local: port for the approval page and the Step Functions API (default: any free port)')
    .option(
      '--confirm-account <id>',
      'local, tag or cleanup mode against AWS (not the simulator): the account id the sweep may act in; refused if the credentials belong to another',
    )
    .option('--verbose', 'log every step as JSON lines on stderr')
    .addHelpText(
      'after',
      `
Examples:
  zombie-sweep start --org --regions all --mode report --wait
  zombie-sweep start --org --mode cleanup --approver alice@example.com --approval-timeout 48h
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 zombie-sweep start --local --org --mode cleanup \\
      --archive-bucket zombie-archive --approver alice@example.com
  zombie-sweep start --local --org --mode cleanup --archive-bucket zombie-archive --auto-approve --output json`,
    )
    .action(async (flags: StartFlags) => {
      process.exitCode = await runStart(flags, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        env: process.env,
        clock: systemClock,
        interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
      });
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `72h`, `3d`, `90m`, `600s` or `600` seconds. */
export function parseDuration(value: string, flag = '--approval-timeout'): number {
  const match = /^\s*(\d+)\s*([smhd]?)\s*$/.exec(value);
  if (!match) throw new InputValidationError(`invalid ${flag}: use e.g. 72h, 3d, 90m or a number of seconds (got ${JSON.stringify(value)})`, flag);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

export function sweepInputFromFlags(flags: StartFlags, requestedBy: string, now: Date): SweepInput {
  if (!flags.local) {
    for (const key of LOCAL_ONLY) if (flags[key] !== undefined) throw new InputValidationError(`invalid ${FLAG[key]}: only applies with --local`, FLAG[key]);
    // Deployed functions reach accounts only through the member role (src/sweep/input.ts refuses org = false there too).
    if (flags.org !== true)
      throw new InputValidationError(
        'invalid --org: a deployed sweep targets the organization; add --org (narrow it with --accounts or --ous), or use --local to sweep only your own account',
        '--org',
      );
  } else if (!flags.archiveBucket) {
    throw new InputValidationError('invalid --archive-bucket: required with --local', '--archive-bucket');
  }
  if (flags.autoApprove && flags.mode !== 'cleanup') {
    // Nothing asks for approval in report or tag mode: accepting the flag there would hide a mistaken --mode.
    throw new InputValidationError(`invalid --auto-approve: only applies with --mode cleanup (got --mode ${flags.mode})`, '--auto-approve');
  }
  if (flags.mode === 'cleanup' && flags.approver.length === 0 && !flags.autoApprove) {
    throw new InputValidationError('invalid --approver: cleanup mode needs at least one approver (or, with --local, --auto-approve)', '--approver');
  }
  const days = flags.rejectExemptDays === undefined ? undefined : Number(flags.rejectExemptDays);
  const input = {
    sweepId: flags.sweepId ?? newSweepId(now, randomBytes(4).toString('hex')),
    mode: flags.mode,
    targets: parseTargeting(flags),
    detection: parseDetection(flags),
    approval: {
      approvers: flags.approver,
      timeoutSeconds: parseDuration(flags.approvalTimeout),
      ...(days !== undefined ? { rejectExemptDays: days } : {}),
      autoApprove: flags.autoApprove === true,
      ...(flags.notifyOwners ? { notifyOwners: true } : {}),
      ...(flags.noticePeriod !== undefined ? { noticeSeconds: parseDuration(flags.noticePeriod, '--notice-period') } : {}),
    },
    deletion: { deleteEndpointConfig: flags.deleteEndpointConfig === true, deleteModels: flags.deleteModels === true },
    requestedBy,
  };
  const flagOf: Record<string, string> = {
    sweepId: '--sweep-id',
    'approval.approvers': '--approver',
    'approval.timeoutSeconds': '--approval-timeout',
    'approval.rejectExemptDays': '--reject-exempt-days',
    'approval.noticeSeconds': '--notice-period',
  };
  try {
    parseOrThrow(SweepInputSchema, input, 'sweep input');
  } catch (error) {
    if (error instanceof InputValidationError && error.field) {
      const flag = Object.entries(flagOf).find(([field]) => error.field!.startsWith(field))?.[1];
      if (flag) throw new InputValidationError(`invalid ${flag}: ${error.message}`, flag);
    }
    throw error;
  }
  return input as SweepInput;
}

export async function runStart(flags: StartFlags, io: StartIo): Promise<number> {
  // Names and regions are checked before any call, so a typo costs nothing.
  if (flags.archiveBucket !== undefined) validateBucket(flags.archiveBucket);
  validateRegionNames(parseTargeting(flags));
  const interlock = { local: flags.local === true, mode: flags.mode, env: io.env, confirmAccount: flags.confirmAccount, interactive: io.interactive === true };
  requireConfirmationFlag(interlock);
  const clients = cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-start' });
  const caller = await callerIdentity(clients, flags.profile);
  if (interlockNeeded(interlock)) {
    const alias = await (io.accountAlias ?? ((c) => accountAliasOf(c, io.env)))(clients);
    const ask = io.ask ?? askOnTerminal;
    const confirmed = await confirmAccount(interlock, caller, alias, { say: io.stderr, ask });
    if (confirmed) io.stderr(`${confirmed}\n`);
  }
  const input = sweepInputFromFlags(flags, caller.arn, io.clock.now());
  if (!flags.local) return runDeployed(flags, io, input, clients);
  const bucket = flags.archiveBucket!;
  await checkArchiveBucket(clients.hub(S3Client), bucket);
  const audit = await localAuditRetention(clients.hub(S3Client), bucket, io.env);
  if (showsProgress(flags))
    io.stderr(`audit events: ${audit.retention ? `${audit.retention.mode} retention for ${audit.retention.days} days` : 'no retention'} (${audit.source})\n`);
  return withArchiveBucket(bucket, () => runLocal(flags, io, input, caller.accountId, audit.retention));
}

async function runDeployed(flags: StartFlags, io: StartIo, input: SweepInput, clients: ReturnType<typeof cliClientFactory>): Promise<number> {
  const stateMachineArn = await resolveStateMachineArn(clients, flags);
  const sfn = clients.hub(SFNClient);
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: input.sweepId, input: JSON.stringify(input) }));
  const executionArn = started.executionArn ?? executionArnFor(stateMachineArn, input.sweepId!);
  if (flags.output === 'json') io.stdout(`${JSON.stringify({ sweepId: input.sweepId, executionArn, mode: input.mode }, null, 2)}\n`);
  else io.stdout(`${input.sweepId}\n`);
  if (showsProgress(flags)) io.stderr(`sweep ${input.sweepId} started (${input.mode} mode): ${executionArn}\n`);
  if (!flags.wait) return 0;
  let seen = 0;
  const finished = await pollUntil({ clock: io.clock, sleeper: io.sleeper ?? systemSleeper, intervalMs: 3000 }, async () => {
    for (const event of await historySince(sfn, executionArn, seen)) {
      seen = Math.max(seen, event.id ?? 0);
      const line = describeEvent(event);
      if (line && showsProgress(flags)) io.stderr(`${line}\n`);
    }
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return described.status === 'RUNNING' ? undefined : described;
  });
  if (!finished.done) return 1;
  const described = finished.value;
  if (described.status === 'SUCCEEDED') {
    io.stderr(`sweep ${input.sweepId} succeeded; zombie-sweep report ${input.sweepId} --archive-bucket <bucket> shows the report\n`);
    return 0;
  }
  io.stderr(`sweep ${input.sweepId} ${described.status}: ${described.error ?? ''} ${described.cause ?? ''}\n`);
  return 1;
}

/** What a local run prints for people to act on: each owner's veto link, then each approver's link. */
function linkAnnouncements(io: StartIo): Pick<Parameters<typeof startSweepLocally>[0], 'onApprovalRequested' | 'onOwnersNotified'> {
  return {
    onOwnersNotified: (notice) => {
      if (notice.links.length === 0) return;
      io.stderr(`\nOwners were told first (sweep ${notice.sweepId}). Each owner's veto link keeps their endpoints (valid until ${notice.vetoUntil}):\n`);
      for (const link of notice.links) io.stderr(`  ${link.owner} (${link.endpoints.join(', ')}): ${link.url}\n`);
    },
    onApprovalRequested: (request) => {
      io.stderr(`\nApproval needed for sweep ${request.sweepId} (until ${request.expiresAt}). Open a link in a browser and decide:\n`);
      for (const link of request.links) io.stderr(`  ${link.approver}${link.group ? ` (group ${link.group})` : ''}: ${link.url}\n`);
      io.stderr('Waiting for the decision (Ctrl-C stops the sweep; nothing is deleted without a decision)...\n\n');
    },
  };
}

async function runLocal(flags: StartFlags, io: StartIo, input: SweepInput, accountId: string, auditRetention: AuditWriter['retention']): Promise<number> {
  const hubRegion = homeRegion(io.env);
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InputValidationError(`invalid --port: must be 0-65535 (got ${JSON.stringify(flags.port)})`, '--port');
  const host = await startLocalHost({ region: hubRegion, accountId, port });
  const log = flags.verbose ? streamLog(io.stderr, 'debug') : silentLog;
  const info = showsProgress(flags) ? io.stderr : () => undefined;
  try {
    const sweep = startSweepLocally({
      input,
      archiveBucket: flags.archiveBucket!,
      accountId,
      hubRegion,
      host,
      ...(flags.profile ? { credentials: fromIni({ profile: flags.profile }) } : {}),
      s3ForcePathStyle: endpointOverridden(io.env),
      topicArn: flags.topicArn,
      approvalKeyId: flags.approvalKeyId,
      archiveKmsKeyId: flags.archiveKmsKeyId,
      auditRetention,
      log,
      ...linkAnnouncements(io),
    });
    info(`sweep ${input.sweepId} running locally (${input.mode} mode); approval page and Step Functions API on ${host.url}\n`);
    const progress = followLocal(host, sweep.executionArn, info);
    // Ctrl-C stops the execution and frees the lock at once (a deployed sweep's lock would otherwise wait for its expiry).
    const interrupt = () => {
      host.engine.stop(sweep.executionArn, 'Interrupted', 'stopped from the terminal');
      io.stderr(`\nstopping sweep ${input.sweepId}: nothing more will be tagged or deleted\n`);
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    const result = await sweep.done.finally(() => {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    });
    clearInterval(progress);
    if (result.status === 'ABORTED') await recordTerminalStop(flags, io, input, result, auditRetention);
    for (const line of linesOf(host, sweep.executionArn)) info(`${line}\n`);
    return printLocalResult(flags, io, input, result);
  } finally {
    await host.stop();
  }
}

/** A sweep stopped with Ctrl-C frees the actions lock at once and leaves the stop in the audit trail. */
async function recordTerminalStop(
  flags: StartFlags,
  io: StartIo,
  input: SweepInput,
  result: LocalSweepResult,
  auditRetention: AuditWriter['retention'],
): Promise<void> {
  const s3 = cliClientFactory({ profile: flags.profile, env: io.env }).hub(S3Client);
  if (input.mode !== 'report') await releaseLock(s3, flags.archiveBucket!, ACTIONS_LOCK_SCOPE, result.executionArn);
  await appendAuditEvent(
    { s3, bucket: flags.archiveBucket!, clock: io.clock, retention: auditRetention },
    {
      type: 'sweep-failed',
      actor: input.requestedBy ?? 'zombie-sweep',
      sweepId: input.sweepId,
      reason: 'stopped from the terminal (Ctrl-C); nothing more was tagged or deleted',
      details: { executionArn: result.executionArn },
    },
  );
}

/** Prints the result (JSON or the report's text) and returns the exit code; text output fails loudly. */
function printLocalResult(flags: StartFlags, io: StartIo, input: SweepInput, result: LocalSweepResult): number {
  if (flags.output === 'json') {
    io.stdout(
      `${JSON.stringify({ sweepId: result.sweepId, executionArn: result.executionArn, status: result.status, error: result.error, cause: result.cause, output: result.output, report: result.report }, null, 2)}\n`,
    );
  } else if (result.report) {
    io.stdout(`${reportText(result.report).body}\n`);
  }
  if (result.status !== 'SUCCEEDED') {
    if (flags.output !== 'json')
      throw new SweepFailedError(`sweep ${result.sweepId ?? input.sweepId} ${result.status}: ${result.error ?? ''}: ${causeMessage(result.cause)}`);
    return 1;
  }
  return 0;
}

const printed = new Map<string, number>();

/** Prints the local execution's new history events every half second (stderr). */
function followLocal(host: Awaited<ReturnType<typeof startLocalHost>>, executionArn: string, write: (text: string) => void): NodeJS.Timeout {
  const timer = setInterval(() => {
    for (const line of linesOf(host, executionArn)) write(`${line}\n`);
  }, 500);
  timer.unref();
  return timer;
}

function linesOf(host: Awaited<ReturnType<typeof startLocalHost>>, executionArn: string): string[] {
  const history = host.engine.describe(executionArn)?.history ?? [];
  const from = printed.get(executionArn) ?? 0;
  printed.set(executionArn, history.length);
  return history.slice(from).flatMap((event) => {
    const line = describeEvent(event as never);
    return line ? [line] : [];
  });
}

/** The alias of the account the CLI's credentials act in (IAM is global: one endpoint, or AWS_ENDPOINT_URL_IAM). */
function accountAliasOf(clients: ReturnType<typeof cliClientFactory>, env: NodeJS.ProcessEnv): Promise<AliasLookup> {
  const sts = clients.hub(STSClient);
  return listAccountAlias(() => sts.config.credentials(), env.AWS_ENDPOINT_URL_IAM);
}

async function askOnTerminal(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}
