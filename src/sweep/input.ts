import { z } from 'zod';
import { appendAuditEvent } from '../audit/events.ts';
import { InputValidationError, fromZodError } from '../core/errors.ts';
import { layout } from '../core/layout.ts';
import { SweepIdSchema, SweepInputSchema, parseOrThrow, type ParsedSweepInput, type ProtectedList } from '../core/schemas.ts';
import { auditWriterOf, hubS3, type SweepDeps } from './deps.ts';
import { ACTIONS_LOCK_SCOPE, acquireLock } from './lock.ts';
import { SWEEP_FILES, type SweepContext, type SweepSettings } from './model.ts';
import { readJsonObject, listKeys, putJson } from '../core/s3-json.ts';

/**
 * ValidateInput: the first state. Parses the execution input with the schema the CLI uses (errors
 * name the field), fixes the sweep id, claims it (a sweep id is used by one execution only), takes
 * the actions lock in tag and cleanup modes, and returns the `sweep` object later states read.
 */

const intSetting = (min: number, max: number) => z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

/** The state machine's `${...}` settings arrive as strings (placeholders live inside JSON strings). */
export const SettingsInputSchema = z.object({
  scanMaxConcurrency: intSetting(0, 10_000),
  actionMaxConcurrency: intSetting(1, 1_000),
  scanToleratedFailurePercentage: intSetting(0, 100),
});

export const ValidateInputEventSchema = z.object({
  input: z.unknown(),
  execution: z.object({
    arn: z.string().min(1),
    name: z.string().min(1),
    startTime: z.string().min(1),
    roleArn: z.string().optional(),
  }),
  settings: z.unknown(),
});

/** Execution names allow `_`; sweep ids (S3 key segments, tag values) do not. */
export function sweepIdFromExecutionName(name: string): string | undefined {
  const candidate = name
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/^-+/, '')
    .slice(0, 80);
  return SweepIdSchema.safeParse(candidate).success ? candidate : undefined;
}

/** The longest a destructive sweep can hold the lock: the approval wait plus a day of work around it. */
export function lockTtlMs(input: ParsedSweepInput): number {
  return (input.approval.timeoutSeconds + 86_400) * 1000;
}

export function checkModeRules(input: ParsedSweepInput, allowAutoApprove: boolean, allowOwnAccountOnly = true): void {
  if (!input.targets.org && !allowOwnAccountOnly) {
    throw new InputValidationError(
      'targets.org: a deployed sweep reaches accounts through the member role; set targets.org to true (use targets.accounts to narrow it), or run `zombie-sweep start --local` to sweep only your own account',
      'targets.org',
    );
  }
  if (input.approval.autoApprove && !allowAutoApprove) {
    throw new InputValidationError(
      'approval.autoApprove: only `zombie-sweep start --local --auto-approve` may skip the human decision',
      'approval.autoApprove',
    );
  }
  if (input.mode === 'cleanup' && input.approval.approvers.length === 0 && input.approval.groups.length === 0 && !input.approval.autoApprove) {
    throw new InputValidationError('approval.approvers: cleanup mode needs at least one approver', 'approval.approvers');
  }
}

/** The claim a sweep's first step writes, once: who started it, when. */
const SweepClaimSchema = z.looseObject({ executionArn: z.string().optional(), startedAt: z.string().optional() });

/** Writes the sweep's claim once; only a retry of the execution that wrote it passes, so a sweep id is never reused. */
async function claimSweepId(
  deps: SweepDeps,
  sweepId: string,
  execution: { arn: string; startTime: string },
  by: { mode: string; requestedBy: string },
): Promise<void> {
  const s3 = hubS3(deps);
  const claimKey = layout.sweepFile(sweepId, SWEEP_FILES.claim);
  const claim = { sweepId, executionArn: execution.arn, startedAt: execution.startTime, ...by };
  if (await putJson(s3, deps.archiveBucket, claimKey, claim, { condition: { ifNoneMatch: '*' } })) return;
  const existing = (await readJsonObject(s3, deps.archiveBucket, claimKey, SweepClaimSchema))?.value;
  // Only a retry of this very execution may pass: local runs in separate processes reuse the execution ARN, never its start time.
  if (existing?.executionArn !== execution.arn || existing.startedAt !== execution.startTime) {
    throw new InputValidationError(
      `sweepId: sweep ${sweepId} already exists (started ${existing?.startedAt ?? 'earlier'} by ${existing?.executionArn ?? 'another execution'}); sweep ids are never reused, choose a new one`,
      'sweepId',
    );
  }
}

export async function validateSweep(deps: SweepDeps, raw: unknown): Promise<{ sweep: SweepContext }> {
  const event = parseOrThrow(ValidateInputEventSchema, raw, 'ValidateInput event');
  const input = parseOrThrow(SweepInputSchema, event.input ?? {}, 'sweep input');
  const settingsResult = SettingsInputSchema.safeParse(event.settings);
  if (!settingsResult.success) throw fromZodError(settingsResult.error, 'state machine settings');
  const settings: SweepSettings = settingsResult.data;
  checkModeRules(input, deps.allowAutoApprove === true, deps.allowOwnAccountOnly === true);

  const sweepId = input.sweepId ?? sweepIdFromExecutionName(event.execution.name);
  if (!sweepId)
    throw new InputValidationError(`sweepId: give one; the execution name ${JSON.stringify(event.execution.name)} cannot serve as a sweep id`, 'sweepId');
  const requestedBy = input.requestedBy ?? event.execution.roleArn ?? 'zombie-sweep';
  const s3 = hubS3(deps);
  const now = deps.clock.now();
  const log = deps.log.child({ sweepId });

  await claimSweepId(deps, sweepId, event.execution, { mode: input.mode, requestedBy });

  let lock: SweepContext['lock'];
  if (input.mode !== 'report') {
    const held = await acquireLock({
      s3,
      bucket: deps.archiveBucket,
      scope: ACTIONS_LOCK_SCOPE,
      sweepId,
      executionArn: event.execution.arn,
      now,
      ttlMs: lockTtlMs(input),
    });
    lock = { scope: ACTIONS_LOCK_SCOPE, key: held.key };
  }

  const sweep: SweepContext = {
    sweepId,
    mode: input.mode,
    targets: input.targets,
    detection: input.detection,
    approval: input.approval,
    deletion: input.deletion,
    ...protectedOf(deps.protectedList, input.protected),
    requestedBy,
    executionArn: event.execution.arn,
    startedAt: event.execution.startTime,
    settings,
    resultPrefixes: {
      scan: `${layout.sweepPrefix(sweepId)}map-results/scan`,
      snapshot: `${layout.sweepPrefix(sweepId)}map-results/snapshot`,
      delete: `${layout.sweepPrefix(sweepId)}map-results/delete`,
    },
    ...(lock ? { lock } : {}),
    ...(input.digest ? { digest: true } : {}),
  };

  await recordSweepStarted(deps, sweep, input);
  log.info('sweep started', { mode: input.mode, lock: lock?.key });
  return { sweep };
}

/** `sweep-started`, once: a retried step finds its event already there. */
async function recordSweepStarted(deps: SweepDeps, sweep: SweepContext, input: z.output<typeof SweepInputSchema>): Promise<void> {
  const started = await listKeys(hubS3(deps), deps.archiveBucket, layout.sweepAuditPrefix(sweep.sweepId));
  if (started.some((key) => key.includes('-sweep-started-'))) return;
  await appendAuditEvent(auditWriterOf(deps), {
    type: 'sweep-started',
    actor: sweep.requestedBy,
    sweepId: sweep.sweepId,
    details: {
      mode: input.mode,
      executionArn: sweep.executionArn,
      targets: input.targets,
      detection: input.detection,
      approvers: input.approval.approvers,
      autoApprove: input.approval.autoApprove,
    },
  });
}

/** The deployment's protected list and the sweep's own, joined: a sweep can add protection, never remove it. */
function protectedOf(deployed: ProtectedList | undefined, own: ProtectedList | undefined): { protected?: ProtectedList } {
  if (!deployed && !own) return {};
  const union = (a: readonly string[] = [], b: readonly string[] = []) => [...new Set([...a, ...b])];
  return {
    protected: {
      accountIds: union(deployed?.accountIds, own?.accountIds),
      ouIds: union(deployed?.ouIds, own?.ouIds),
      tags: { ...own?.tags, ...deployed?.tags },
    },
  };
}
