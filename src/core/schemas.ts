import { z } from 'zod';
import { fromZodError } from './errors.ts';

/**
 * Shared data contracts. The CLI, the Lambda handlers, the state machine input and the local runner
 * all parse with these, so a value accepted in one place is accepted everywhere.
 */

export const AccountIdSchema = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id');
export const RegionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region name like us-east-1');
export const OuIdSchema = z.string().regex(/^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, 'must be an OU id (ou-xxxx-xxxxxxxx) or root id (r-xxxx)');
export const SweepIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{2,79}$/, 'must be 3-80 letters, digits or hyphens');
export const RoleNameSchema = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'must be a valid IAM role name');
export const ExternalIdSchema = z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be a valid STS external id');
export const EmailSchema = z.email('must be an email address');
export const EndpointNameSchema = z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be a SageMaker endpoint name');
export const EndpointArnSchema = z.string().regex(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:endpoint\/[a-zA-Z0-9-]+$/, 'must be a SageMaker endpoint ARN');

export const DEFAULT_MEMBER_ROLE = 'ZombieSweepMemberRole';

/** The protected list (src/core/protected.ts): accounts, OUs and endpoint tags never tagged, scaled or deleted in. */
export const ProtectedListSchema = z
  .object({
    accountIds: z.array(AccountIdSchema).max(1000).default([]),
    ouIds: z.array(OuIdSchema).max(1000).default([]),
    /** Endpoint tags (key → value, keys matched case-insensitively, values exactly) that protect an endpoint. */
    tags: z
      .record(
        z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, 'must be a tag key (1-128 characters)'),
        z.string().max(256, 'must be a tag value of at most 256 characters'),
      )
      .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags')
      .default({}),
  })
  .strict();
export type ProtectedList = z.output<typeof ProtectedListSchema>;

/** What the scan of one account needs to know, set by list-targets from the sweep's protected list: the protected tags, and why the whole account is protected, if it is. */
export const ScanProtectionSchema = z
  .object({
    tags: z.record(z.string(), z.string()).default({}),
    account: z.string().min(1).optional(),
  })
  .strict();
export type ScanProtection = z.output<typeof ScanProtectionSchema>;

/**
 * Detection settings as fields, without the cross-field rule: infra/config.ts builds the deployed
 * config's `detection` from these same fields (and the same rule), so one definition holds everywhere.
 */
export const DetectionSettingsFields = z.object({
  lookbackDays: z.number().int().min(1).max(455).default(30),
  /** An endpoint with invocations <= threshold over the window is idle. */
  thresholdInvocations: z.number().int().min(0).default(0),
  /**
   * Endpoints younger than this (created or updated within it) are `too-new`. Default: lookbackDays.
   * Never less: an endpoint must have existed for the whole lookback window to be a zombie (docs/design.md).
   */
  minAgeDays: z.number().int().min(1).max(455).optional(),
  /**
   * How far past an endpoint's creation an `auto-delete-after` tag can keep it: a date beyond the horizon
   * counts as creation + horizon, so a tag set to 2099 cannot exempt an endpoint forever.
   */
  autoDeleteMaxDays: z.number().int().min(1).max(3650).default(365),
  /**
   * What an `expired` endpoint (its `auto-delete-after` passed) goes through: `report` (listed, owner
   * notified by the report and digest) or `candidate` (snapshot, tag, approval and re-verification, like a zombie).
   */
  expiredAction: z.enum(['report', 'candidate']).default('report'),
});

/** The rule every detection settings object obeys, wherever it is parsed. */
export function checkDetectionSettings(s: { lookbackDays?: number; minAgeDays?: number | undefined }, ctx: z.RefinementCtx): void {
  if (s.minAgeDays !== undefined && s.minAgeDays < (s.lookbackDays ?? 30)) {
    ctx.addIssue({
      code: 'custom',
      path: ['minAgeDays'],
      message: 'must be at least lookbackDays: an endpoint must have existed for the whole lookback window to be judged idle',
    });
  }
}

export const DetectionSettingsSchema = DetectionSettingsFields.extend({
  /** Set by list-targets per account from the sweep's `protected` list: a protected endpoint's verdict is `exempt`. */
  protection: ScanProtectionSchema.optional(),
})
  .strict()
  .superRefine(checkDetectionSettings);
export type DetectionSettingsInput = z.input<typeof DetectionSettingsSchema>;
/** Resolved detection settings: `minAgeDays` filled in from `lookbackDays`. */
export type DetectionSettings = Omit<z.output<typeof DetectionSettingsSchema>, 'minAgeDays'> & { minAgeDays: number };
/** The detection settings a findings file and a report record: what the endpoints were judged with. */
export const AppliedDetectionSchema = z.object({ lookbackDays: z.number(), thresholdInvocations: z.number(), minAgeDays: z.number() });

export function resolveDetectionSettings(input: DetectionSettingsInput | undefined): DetectionSettings {
  const parsed = DetectionSettingsSchema.parse(input ?? {});
  return { ...parsed, minAgeDays: parsed.minAgeDays ?? parsed.lookbackDays };
}

export const TargetingSchema = z
  .object({
    /** Sweep every ACTIVE account of the organization (else only the caller's own account). */
    org: z.boolean().default(true),
    accounts: z.array(AccountIdSchema).optional(),
    excludeAccounts: z.array(AccountIdSchema).default([]),
    ous: z.array(OuIdSchema).optional(),
    /** Explicit regions, or 'all' = every region enabled for each account. */
    regions: z.union([z.literal('all'), z.array(RegionSchema).min(1)]).default('all'),
    roleName: RoleNameSchema.default(DEFAULT_MEMBER_ROLE),
    externalId: ExternalIdSchema.optional(),
  })
  .strict();
export type Targeting = z.output<typeof TargetingSchema>;

export const SweepModeSchema = z.enum(['report', 'tag', 'cleanup']);
export type SweepMode = z.infer<typeof SweepModeSchema>;

export const APPROVAL_GROUP_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** The group every endpoint no other group matches goes to: the sweep's own `approvers`. */
export const DEFAULT_GROUP = 'default';

/** Approvers for part of the organization: the first group matching an endpoint decides it, and only it. */
export const ApprovalGroupSchema = z
  .object({
    name: z
      .string()
      .regex(APPROVAL_GROUP_NAME, 'must be 1-40 lowercase letters, digits or hyphens')
      .refine((n) => n !== DEFAULT_GROUP, `"${DEFAULT_GROUP}" is the group of the sweep's own approvers`),
    approvers: z.array(EmailSchema).min(1, 'a group needs at least one approver'),
    /** Matches an endpoint by its account, its account's parent OU, or an owner tag value (or resolved owner), case-insensitively. */
    match: z
      .object({ accounts: z.array(AccountIdSchema).default([]), ous: z.array(OuIdSchema).default([]), owners: z.array(z.string().min(1).max(256)).default([]) })
      .strict()
      .refine((m) => m.accounts.length + m.ous.length + m.owners.length > 0, 'must name at least one account, OU or owner'),
    /** Distinct approvers who must approve an endpoint before it is deleted; one rejection keeps it. */
    requiredApprovals: z.number().int().min(1).max(10).default(1),
  })
  .strict()
  .refine((g) => g.requiredApprovals <= g.approvers.length, {
    path: ['requiredApprovals'],
    message: 'is more than the group has approvers: the group could never decide',
  });
export type ApprovalGroup = z.output<typeof ApprovalGroupSchema>;

/** Approval settings as fields; infra/config.ts derives the deployed config's `approval` from them. */
export const ApprovalSettingsFields = z.object({
  approvers: z.array(EmailSchema).default([]),
  /** How long the approval task waits; on timeout nothing is deleted. Default 72 h. */
  timeoutSeconds: z.number().int().min(60).max(31_536_000).default(259_200),
  /** Days a rejected endpoint stays exempt (`zombie-exempt-until`). */
  rejectExemptDays: z.number().int().min(1).max(3650).default(90),
  /** Set only by `start --local --auto-approve`; recorded as such in the audit trail. */
  autoApprove: z.boolean().default(false),
  /** Endpoint tags shown to approvers as the endpoint's owner (matched case-insensitively, first found per key). */
  ownerTagKeys: z.array(z.string().min(1).max(128)).max(20).default(['owner', 'team', 'created-by']),
  /** An account's owner, told about candidates whose owner tags name no address (else the account's Organizations tags are read). */
  accountOwners: z.record(AccountIdSchema, EmailSchema).default({}),
  /** Mail each owner a notice with a veto link before asking the approvers. */
  notifyOwners: z.boolean().default(false),
  /** How long owners have to veto before the approvers are asked (a Wait state). Default 72 h, as deployed: a notice nobody can act on is no notice. */
  noticeSeconds: z.number().int().min(0).max(2_592_000).default(259_200),
  /** Approver groups; endpoints no group matches go to `approvers` (the default group). None: one decision for the sweep. */
  groups: z.array(ApprovalGroupSchema).max(20).default([]),
  /** The default group's quorum: distinct approvers who must approve an endpoint (one rejection keeps it). */
  requiredApprovals: z.number().int().min(1).max(10).default(1),
});

/** The rules every approval settings object obeys, wherever it is parsed. */
export function checkApprovalSettings(
  a: { groups: readonly { name: string }[]; approvers?: readonly string[]; requiredApprovals: number },
  ctx: z.RefinementCtx,
): void {
  if (new Set(a.groups.map((g) => g.name)).size !== a.groups.length) ctx.addIssue({ code: 'custom', path: ['groups'], message: 'group names must be unique' });
  if (a.approvers && a.approvers.length > 0 && a.requiredApprovals > a.approvers.length) {
    ctx.addIssue({ code: 'custom', path: ['requiredApprovals'], message: 'is more than there are approvers: the sweep could never be decided' });
  }
}

export const ApprovalSettingsSchema = ApprovalSettingsFields.strict().superRefine(checkApprovalSettings);
export type ApprovalSettings = z.output<typeof ApprovalSettingsSchema>;

export const DeletionSettingsSchema = z
  .object({
    /** Endpoint configs and models are kept by default: they cost nothing and make restore trivial. */
    deleteEndpointConfig: z.boolean().default(false),
    deleteModels: z.boolean().default(false),
  })
  .strict();

/** The execution input of a sweep: what `zombie-sweep start` sends and what ValidateInput parses. */
export const SweepInputSchema = z
  .object({
    sweepId: SweepIdSchema.optional(),
    mode: SweepModeSchema.default('report'),
    targets: TargetingSchema.default(TargetingSchema.parse({})),
    detection: DetectionSettingsSchema.default(DetectionSettingsSchema.parse({})),
    approval: ApprovalSettingsSchema.default(ApprovalSettingsSchema.parse({})),
    deletion: DeletionSettingsSchema.default(DeletionSettingsSchema.parse({})),
    /** Accounts, OUs and endpoint tags never tagged, scaled or deleted in (docs/security.md). */
    protected: ProtectedListSchema.optional(),
    /** Principal that started the sweep (recorded in `zombie-confirmed-by` and the audit trail). */
    requestedBy: z.string().min(1).max(512).optional(),
    /** Publish one digest per owner when the sweep finishes (src/prevention/digest.ts); the weekly schedule sets it. */
    digest: z.boolean().optional(),
  })
  .strict();
export type SweepInput = z.input<typeof SweepInputSchema>;
export type ParsedSweepInput = z.output<typeof SweepInputSchema>;

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error, what);
  return result.data;
}

export const TargetSchema = z.object({
  accountId: AccountIdSchema,
  accountName: z.string().optional(),
  region: RegionSchema,
});
export type Target = z.infer<typeof TargetSchema>;

export const VerdictSchema = z.enum(['zombie', 'active', 'too-new', 'exempt', 'not-billable', 'expired', 'error']);
export type Verdict = z.infer<typeof VerdictSchema>;

export const EndpointTypeSchema = z.enum(['real-time', 'async', 'serverless', 'multi-model', 'inference-components']);
export type EndpointType = z.infer<typeof EndpointTypeSchema>;

/** One endpoint's verdict. The public JSON of `zombie-sweep scan --output json` is exactly these fields first. */
export const FindingSchema = z.object({
  accountId: AccountIdSchema,
  region: RegionSchema,
  endpointName: z.string(),
  endpointArn: z.string(),
  verdict: VerdictSchema,
  reason: z.string(),
  endpointType: EndpointTypeSchema.nullable(),
  /** e.g. "ml.g4dn.xlarge"; several types joined with "+"; null for serverless or unknown. */
  instanceType: z.string().nullable(),
  instanceCount: z.number().int().min(0),
  invocations: z.number().min(0).nullable(),
  /** ISO timestamp of the last day with invocations (up to 455 days back), or null for never / not looked up. */
  lastInvokedAt: z.string().nullable(),
  monthlyCostUsd: z.number().min(0).nullable(),
  // Detail beyond the public minimum, used by the workflow and the report.
  endpointConfigName: z.string().optional(),
  creationTime: z.string().optional(),
  lastModifiedTime: z.string().optional(),
  /** ISO date the endpoint became idle, or "never" (the `zombie-idle-since` tag). Zombies only. */
  idleSince: z.string().optional(),
  variants: z
    .array(
      z.object({
        variantName: z.string(),
        instanceType: z.string().nullable(),
        instanceCount: z.number().int().min(0),
        serverless: z.object({ memorySizeInMB: z.number(), maxConcurrency: z.number(), provisionedConcurrency: z.number().optional() }).optional(),
      }),
    )
    .optional(),
  inferenceComponents: z.array(z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** Zombies: who is told before approval (src/core/owners.ts), set by Collect. */
  owner: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const TargetStatusSchema = z.enum(['ok', 'unreachable', 'error']);

/** `sweeps/<id>/findings/<account>/<region>.json`, written by each scan child. */
export const FindingsFileSchema = z.object({
  sweepId: z.string(),
  accountId: AccountIdSchema,
  region: RegionSchema,
  status: TargetStatusSchema,
  error: z.string().optional(),
  scannedAt: z.string(),
  settings: AppliedDetectionSchema,
  findings: z.array(FindingSchema),
  stats: z.object({ endpoints: z.number(), apiCalls: z.object({ total: z.number(), attempts: z.number(), byOperation: z.record(z.string(), z.number()) }) }),
});
export type FindingsFile = z.infer<typeof FindingsFileSchema>;

/** What a scan child returns to the Map (small: the findings themselves stay in S3). */
export const ScanSummarySchema = z.object({
  accountId: AccountIdSchema,
  region: RegionSchema,
  status: TargetStatusSchema,
  reason: z.string().optional(),
  counts: z.record(VerdictSchema, z.number()),
  monthlyCostUsd: z.number(),
  findingsKey: z.string().optional(),
  apiCalls: z.number(),
});
export type ScanSummary = z.infer<typeof ScanSummarySchema>;

/** A zombie moving through Snapshot, Tag, Approval and Delete. */
export const CandidateSchema = z.object({
  sweepId: SweepIdSchema,
  accountId: AccountIdSchema,
  region: RegionSchema,
  endpointName: z.string(),
  endpointArn: z.string(),
  endpointType: EndpointTypeSchema.nullable(),
  instanceType: z.string().nullable(),
  instanceCount: z.number().int().min(0),
  monthlyCostUsd: z.number().nullable(),
  idleSince: z.string(),
  /** When detection saw the endpoint idle: re-verification counts invocations since this instant. */
  detectedAt: z.string(),
  /** What the approver needs to decide (absent on candidates recorded before they were carried). */
  lastInvokedAt: z.string().nullable().optional(),
  createdAt: z.string().optional(),
  /** The endpoint's tags named by `approval.ownerTagKeys`. */
  ownerTags: z.record(z.string(), z.string()).optional(),
  /** Who is told before approval: an owner tag naming an address, else the account's owner (src/core/owners.ts). */
  owner: z.string().optional(),
  ownerSource: z.enum(['tag', 'account']).optional(),
  /** The account's owner, when a tag names someone else: told in their place if the tag's address cannot be reached. */
  accountOwner: z.string().optional(),
  /** Set by ApplyVetoes when owners were told: who got this endpoint's notice, and whether it could reach them (shown to approvers). */
  ownerNotice: z.object({ to: z.string(), delivery: z.enum(['subscribed', 'no-subscription', 'unchecked']), forwardedFrom: z.string().optional() }).optional(),
  /** The account's parent OU, read only when an approver group matches by OU. */
  ouId: z.string().optional(),
  /** Every OU above the account, nearest first (the root left out): an approver group naming any of them matches. */
  ouPath: z.array(z.string()).optional(),
  /** Set when it is a candidate because its `auto-delete-after` passed (detection.expiredAction `candidate`): why. */
  expired: z.string().optional(),
  /** Set on an expired candidate invoked above the threshold in the window: how much (the page warns the approver). */
  stillInvoked: z.string().optional(),
  roleName: RoleNameSchema.optional(),
  externalId: ExternalIdSchema.optional(),
});
export type Candidate = z.infer<typeof CandidateSchema>;

/** The approval decision: the output of the `.waitForTaskToken` task, sent by the approval page. */
export const DecisionSchema = z.object({
  approver: z.string().min(1),
  decidedAt: z.string(),
  approved: z.array(z.string()),
  rejected: z.array(z.string()),
  /** True only for `start --local --auto-approve`. */
  autoApproved: z.boolean().optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;
