import { z } from 'zod';
import { appendAuditEvent } from '../audit/events.ts';
import { errorMessage, errorName } from '../core/errors.ts';
import { SweepIdSchema, parseOrThrow } from '../core/schemas.ts';
import { auditWriterOf, hubS3, type SweepDeps } from './deps.ts';
import { sweepIdFromExecutionName } from './input.ts';
import { releaseLock } from './lock.ts';
import { causeMessage } from './map-results.ts';
import { SweepContextSchema, type SweepReport } from './model.ts';
import { notify } from './notify.ts';
import { readReportIfAny, writeReport } from './report-store.ts';
import { summarize } from './summary.ts';
import { reportText } from './text.ts';

/**
 * RecordFailure, the one failure path: every state's Catch leads here. It records `sweep-failed`
 * (with the error), marks the report failed, releases the lock if this execution holds it, and
 * notifies. Each part is best effort so one broken part (say, S3) does not hide the others.
 */
export const RecordFailureInputSchema = z.object({
  state: z.looseObject({
    sweep: z.unknown().optional(),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  }),
  execution: z.object({ arn: z.string(), name: z.string(), input: z.unknown().optional() }),
});

export interface RecordFailureResult {
  sweepId?: string;
  error: string;
  cause: string;
  recorded: boolean;
  lockReleased: boolean;
  notified: boolean;
  problems: string[];
}

export async function recordFailure(deps: SweepDeps, raw: unknown): Promise<RecordFailureResult> {
  const input = parseOrThrow(RecordFailureInputSchema, raw, 'record-failure input');
  const error = input.state.error?.Error ?? 'States.Runtime';
  const cause = causeMessage(input.state.error?.Cause) || 'no cause given';
  const sweep = SweepContextSchema.safeParse(input.state.sweep);
  // Before ValidateInput succeeded there is no sweep object: name it as ValidateInput would have.
  const requested = (input.execution.input as { sweepId?: unknown } | undefined)?.sweepId;
  const sweepId = sweep.success
    ? sweep.data.sweepId
    : SweepIdSchema.safeParse(requested).success
      ? (requested as string)
      : sweepIdFromExecutionName(input.execution.name);
  const result: RecordFailureResult = { sweepId, error, cause, recorded: false, lockReleased: false, notified: false, problems: [] };
  const log = deps.log.child({ sweepId });
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      result.problems.push(`${what}: ${errorName(e)}: ${errorMessage(e)}`);
      log.error(`record-failure could not ${what}`, { error: errorName(e), detail: errorMessage(e) });
    }
  };
  const s3 = hubS3(deps);
  const now = deps.clock.now().toISOString();

  await attempt('write the audit event', async () => {
    await appendAuditEvent(auditWriterOf(deps), {
      type: 'sweep-failed',
      actor: sweep.success ? sweep.data.requestedBy : 'zombie-sweep',
      ...(sweepId ? { sweepId } : {}),
      reason: `${error}: ${cause}`,
      details: { executionArn: input.execution.arn, error, cause },
    });
    result.recorded = true;
  });
  let report: SweepReport | undefined;
  if (sweepId) {
    await attempt('mark the report failed', async () => {
      const existing = await readReportIfAny(s3, deps.archiveBucket, sweepId);
      // A report of another execution (a reused sweep id was the failure) is not ours to mark. Without a
      // validated sweep this execution never claimed the id, so an existing report is someone else's even
      // when the execution ARN is the same (a local run names its execution after the sweep id).
      if (existing && ((existing.executionArn !== undefined && existing.executionArn !== input.execution.arn) || !sweep.success)) return;
      if (!existing && !sweep.success) return;
      report = existing
        ? { ...existing, status: 'failed', updatedAt: now, finishedAt: now, failure: { error, cause, failedAt: now } }
        : failedReport(deps, sweep.data!, error, cause, now);
      await writeReport(s3, deps.archiveBucket, report);
    });
  }
  if (sweep.success && sweep.data.lock) {
    await attempt('release the lock', async () => {
      result.lockReleased = await releaseLock(s3, deps.archiveBucket, sweep.data.lock!.scope, input.execution.arn);
    });
  }
  await attempt('notify', async () => {
    const subject = `zombie-sweep ${sweepId ?? input.execution.name} FAILED: ${error}`;
    const body = report ? reportText(report).body : `Sweep ${sweepId ?? input.execution.name} (execution ${input.execution.arn}) failed.\n\n${error}: ${cause}`;
    result.notified = await notify(deps, { subject, body, approvers: sweep.success ? sweep.data.approval.approvers : [], event: 'sweep-failed' });
  });
  log.error('sweep failed', { error, cause });
  return result;
}

function failedReport(deps: SweepDeps, sweep: z.infer<typeof SweepContextSchema>, error: string, cause: string, now: string): SweepReport {
  return {
    version: 1,
    sweepId: sweep.sweepId,
    mode: sweep.mode,
    status: 'failed',
    requestedBy: sweep.requestedBy,
    executionArn: sweep.executionArn,
    startedAt: sweep.startedAt,
    updatedAt: now,
    finishedAt: now,
    archiveBucket: deps.archiveBucket,
    detection: {
      lookbackDays: sweep.detection.lookbackDays,
      thresholdInvocations: sweep.detection.thresholdInvocations,
      minAgeDays: sweep.detection.minAgeDays ?? sweep.detection.lookbackDays,
    },
    targets: [],
    findings: [],
    actions: [],
    summary: summarize([], [], []),
    failure: { error, cause, failedAt: now },
  };
}
