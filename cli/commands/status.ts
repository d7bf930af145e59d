import { S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { InputValidationError, ZombieSweepError, errorMessage, errorName } from '../../src/core/errors.ts';
import { layout } from '../../src/core/layout.ts';
import { SweepIdSchema } from '../../src/core/schemas.ts';
import { describeEvent, executionArnFor, historySince, resolveStateMachineArn } from '../../src/sweep/deployed.ts';
import { SWEEP_FILES, type SweepReport } from '../../src/sweep/model.ts';
import { readReportIfAny } from '../../src/sweep/report-store.ts';
import { readJsonObject } from '../../src/core/s3-json.ts';
import { money } from '../../src/sweep/text.ts';
import { checkArchiveBucket, validateBucket, withArchiveBucket } from '../shared/bucket.ts';
import { callerIdentity, cliClientFactory } from '../shared/credentials.ts';
import { addGlobalOptions, type GlobalFlags } from '../shared/globals.ts';

/**
 * `zombie-sweep status SWEEP`: where a sweep is. The execution (state, current step) from the
 * deployed state machine, and, with --archive-bucket, what the sweep has written so far.
 */
export interface StatusFlags extends GlobalFlags {
  archiveBucket?: string;
  stateMachineArn?: string;
  stackName?: string;
  output: 'table' | 'text' | 'json';
}

export interface SweepStatus {
  sweepId: string;
  execution?: { executionArn: string; status: string; startDate?: string; stopDate?: string; currentStep?: string; error?: string; cause?: string };
  report?: {
    status: SweepReport['status'];
    mode: string;
    zombies: number;
    zombieMonthlyCostUsd: number;
    tagged: number;
    deleted: number;
    savedMonthlyCostUsd: number;
    reportUri: string;
  };
  /** Why the execution could not be read, when it could not. */
  executionLookup?: string;
}

export function registerStatus(program: Command): void {
  const command = program
    .command('status')
    .description('Show where a sweep is: its execution state and current step, and (with --archive-bucket) what it found and did so far.')
    .argument('<sweep>', 'sweep id (as printed by zombie-sweep start)')
    .option('--archive-bucket <bucket>', 'also read the sweep report from this archive bucket (what a `start --local` sweep leaves behind)')
    .option('--state-machine-arn <arn>', 'the sweep state machine (default: the StateMachineArn output of --stack-name)')
    .option('--stack-name <name>', 'the hub stack to read the state machine from', 'ZombieSweepHub');
  addGlobalOptions(command, ['table', 'text', 'json'], 'table');
  command.addHelpText(
    'after',
    `
After a local sweep (start --local), its execution ended with the process: status reads what the
sweep wrote to the archive bucket, so give --archive-bucket.

Examples:
  zombie-sweep status sweep-20250101-120000-ab12
  zombie-sweep status sweep-20250101-120000-ab12 --archive-bucket zombie-archive -o json`,
  );
  command.action(async (sweepId: string, flags: StatusFlags) => {
    await runStatus(sweepId, flags, { stdout: (t) => process.stdout.write(t), env: process.env });
  });
}

export async function runStatus(sweepId: string, flags: StatusFlags, io: { stdout: (text: string) => void; env: NodeJS.ProcessEnv }): Promise<SweepStatus> {
  if (!SweepIdSchema.safeParse(sweepId).success)
    throw new InputValidationError(`invalid sweep id ${JSON.stringify(sweepId)}: must be 3-80 letters, digits or hyphens`, 'sweep');
  const bucket = flags.archiveBucket === undefined ? undefined : validateBucket(flags.archiveBucket);
  const clients = cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-status' });
  await callerIdentity(clients, flags.profile);
  const status: SweepStatus = { sweepId };
  let claimedArn: string | undefined;
  if (bucket) {
    const s3 = clients.hub(S3Client);
    await checkArchiveBucket(s3, bucket);
    const { report, claim } = await withArchiveBucket(bucket, async () => ({
      report: await readReportIfAny(s3, bucket, sweepId),
      claim: (await readJsonObject(s3, bucket, layout.sweepFile(sweepId, SWEEP_FILES.claim)))?.value as { executionArn?: string } | undefined,
    }));
    claimedArn = claim?.executionArn;
    if (report) {
      const s = report.summary;
      status.report = {
        status: report.status,
        mode: report.mode,
        zombies: s.zombies,
        zombieMonthlyCostUsd: s.zombieMonthlyCostUsd,
        tagged: s.tagged,
        deleted: s.deleted,
        savedMonthlyCostUsd: s.savedMonthlyCostUsd,
        reportUri: `s3://${bucket}/${layout.report(sweepId)}`,
      };
    }
  }
  try {
    const executionArn = claimedArn ?? executionArnFor(await resolveStateMachineArn(clients, flags), sweepId);
    const sfn = clients.hub(SFNClient);
    const described: DescribeExecutionCommandOutput = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const entered = (await historySince(sfn, executionArn, 0)).filter((e) => describeEvent(e)?.startsWith('→'));
    status.execution = {
      executionArn,
      status: described.status ?? 'UNKNOWN',
      startDate: described.startDate?.toISOString(),
      stopDate: described.stopDate?.toISOString(),
      currentStep: described.status === 'RUNNING' ? entered.at(-1)?.stateEnteredEventDetails?.name : undefined,
      error: described.error,
      cause: described.cause,
    };
  } catch (error) {
    // A local run's execution lives only while its process runs; the archive still tells the story.
    if (!bucket)
      throw new ExecutionLookupError(
        `cannot read the execution of sweep ${sweepId}: ${errorName(error)}: ${errorMessage(error)}; a local sweep (start --local) ends with its process: pass --archive-bucket to read what it wrote`,
        { cause: error },
      );
    if (!status.report) throw error;
    status.executionLookup = `${errorName(error)}: ${(error as Error).message}`;
  }
  io.stdout(flags.output === 'json' ? `${JSON.stringify(status, null, 2)}\n` : statusText(status));
  return status;
}

/** The sweep's execution could not be read, and no archive bucket was given to read its report from. */
export class ExecutionLookupError extends ZombieSweepError {}

export function statusText(status: SweepStatus): string {
  const lines = [`Sweep ${status.sweepId}`];
  const e = status.execution;
  if (e) {
    lines.push(`  execution:  ${e.status}${e.currentStep ? ` (at ${e.currentStep})` : ''}`, `  arn:        ${e.executionArn}`);
    if (e.startDate) lines.push(`  started:    ${e.startDate}`);
    if (e.stopDate) lines.push(`  stopped:    ${e.stopDate}`);
    if (e.error) lines.push(`  error:      ${e.error}: ${e.cause ?? ''}`);
  } else if (status.executionLookup) lines.push(`  execution:  not reachable (a local sweep's execution ends with its process): ${status.executionLookup}`);
  const r = status.report;
  if (r) {
    lines.push(`  report:     ${r.status}, ${r.mode} mode, ${r.reportUri}`);
    lines.push(
      `  zombies:    ${r.zombies}, ${money(r.zombieMonthlyCostUsd)}/month; tagged ${r.tagged}; deleted ${r.deleted}, saving ${money(r.savedMonthlyCostUsd)}/month`,
    );
  }
  return `${lines.join('\n')}\n`;
}
