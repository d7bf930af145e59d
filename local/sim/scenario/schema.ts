import { z } from 'zod';
import { AccountIdSchema, DEFAULT_MEMBER_ROLE, ExternalIdSchema, OuIdSchema, RegionSchema, RoleNameSchema, VerdictSchema } from '../../../src/core/schemas.ts';
import { ENDPOINT_STATUSES, NAME_PATTERN, INFERENCE_COMPONENT_NAME_PATTERN } from '../services/sagemaker/model.ts';
import { checkScenario } from './checks.ts';

/**
 * The declarative description of a simulated organization (see docs/simulator/scenarios.md). Plain
 * JSON-compatible data: scenario files are JSON, built-in scenarios are TS objects of the same shape.
 * Times are relative ("created 90 days ago") so a scenario means the same thing whenever it is built.
 */

const Name = z.string().regex(NAME_PATTERN, 'must be a SageMaker name: letters, digits and hyphens, up to 63, starting and ending with a letter or digit');
/** Metric history reaches back 455 days (CloudWatch retention); resources may be older. */
const DaysAgo = z.number().int().min(0).max(455);
const AgeDays = z.number().int().min(0).max(3650);

/** Invocations per day over a range of days back from now: `{ daysAgo: [40, 40], perDay: 12 }` is 12 calls 40 days ago. */
export const HistoryEntrySchema = z
  .object({
    daysAgo: z.union([DaysAgo, z.tuple([DaysAgo, DaysAgo])]),
    perDay: z.number().int().min(0),
  })
  .strict();
export const HistorySchema = z.array(HistoryEntrySchema);

const S3Uri = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+/, 'must be an s3://bucket/key URI');

/**
 * A model artifact, created in S3 when the world is built (its bucket too, owned by the endpoint's
 * account, unless declared in `buckets`). A URI ending in "/" is a prefix holding `files` objects.
 * Sizes above 64 KiB become synthetic content (multi-GB objects cost no memory).
 */
export const ArtifactSchema = z
  .object({
    uri: S3Uri,
    /** How the model refers to it: ModelDataUrl (tar.gz or, for multi-model, a prefix) or ModelDataSource.S3DataSource. */
    as: z.enum(['ModelDataUrl', 'S3Object', 'S3Prefix']).default('ModelDataUrl'),
    /** Size of a single object, or of each generated file under a prefix. */
    size: z
      .number()
      .int()
      .min(0)
      .max(5 * 1024 ** 4)
      .default(4096),
    /** Objects under a prefix URI: a count (named part-00000.bin...) or explicit keys relative to the prefix. */
    files: z
      .union([z.number().int().min(1).max(20_000), z.array(z.object({ key: z.string().min(1), size: z.number().int().min(0) }).strict()).min(1)])
      .optional(),
    /** false: the model points at an artifact that does not exist (snapshot failure cases). */
    exists: z.boolean().default(true),
  })
  .strict();

export const ContainerSchema = z
  .object({
    image: z.string().min(1).default('763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-gpu-py310'),
    artifact: ArtifactSchema.optional(),
    additional: z.array(z.object({ channel: z.string().min(1), artifact: ArtifactSchema }).strict()).optional(),
    modelPackageName: z.string().optional(),
    environment: z.record(z.string(), z.string()).optional(),
    mode: z.enum(['SingleModel', 'MultiModel']).optional(),
  })
  .strict();

export const ModelSchema = ContainerSchema.extend({
  /** Default `<endpoint>-<variant>` (or `<component>` for inference components). The same name shares one model. */
  name: Name.optional(),
  /** An inference pipeline (CreateModel Containers[]) instead of a single PrimaryContainer. */
  containers: z.array(ContainerSchema).min(1).max(15).optional(),
}).strict();

export const VariantSchema = z
  .object({
    name: z.string().regex(NAME_PATTERN).default('AllTraffic'),
    model: ModelSchema.optional(),
    instanceType: z
      .string()
      .regex(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be an ml.* instance type')
      .optional(),
    instanceCount: z.number().int().min(1).max(1000).default(1),
    /** Instances running now when auto scaling has moved it off instanceCount. */
    currentInstanceCount: z.number().int().min(0).optional(),
    weight: z.number().min(0).default(1),
    serverless: z
      .object({
        memoryMb: z.union([z.literal(1024), z.literal(2048), z.literal(3072), z.literal(4096), z.literal(5120), z.literal(6144)]),
        maxConcurrency: z.number().int().min(1).max(200),
        provisionedConcurrency: z.number().int().min(1).max(200).optional(),
      })
      .strict()
      .optional(),
    autoscaling: z
      .object({ min: z.number().int().min(0), max: z.number().int().min(1), targetInvocationsPerInstance: z.number().positive().optional() })
      .strict()
      .optional(),
    /** Daily `Invocations` published under {EndpointName, VariantName}. */
    invocations: HistorySchema.optional(),
  })
  .strict();

export const InferenceComponentSchema = z
  .object({
    name: z.string().regex(INFERENCE_COMPONENT_NAME_PATTERN).max(63),
    variant: z.string().optional(),
    /** Either a model (Specification.ModelName) or a container with an artifact (Specification.Container.ArtifactUrl). */
    model: ModelSchema.optional(),
    container: z
      .object({
        image: z.string().min(1).default('763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124'),
        artifact: ArtifactSchema,
      })
      .strict()
      .optional(),
    copies: z.number().int().min(0).default(1),
    memoryMb: z.number().int().min(128).default(4096),
    acceleratorDevices: z.number().min(0).optional(),
    createdDaysAgo: AgeDays.optional(),
    /** Daily `Invocations` published under {InferenceComponentName} only. */
    invocations: HistorySchema.optional(),
  })
  .strict();

export const EndpointSchema = z
  .object({
    account: AccountIdSchema,
    region: RegionSchema,
    name: Name,
    type: z.enum(['real-time', 'multi-model', 'async', 'serverless', 'inference-components']).default('real-time'),
    createdDaysAgo: AgeDays.default(90),
    /** LastModifiedTime; default a few minutes after creation (the time it took to come InService). */
    updatedDaysAgo: AgeDays.optional(),
    status: z.enum(ENDPOINT_STATUSES as [string, ...string[]]).default('InService'),
    configName: Name.optional(),
    tags: z.record(z.string(), z.string()).default({}),
    variants: z.array(VariantSchema).min(1).max(10),
    async: z
      .object({
        outputPath: S3Uri.optional(),
        /** Daily `InvocationsProcessed` published under {EndpointName, VariantName} of the first variant. */
        invocationsProcessed: HistorySchema.optional(),
      })
      .strict()
      .optional(),
    inferenceComponents: z.array(InferenceComponentSchema).default([]),
    /** What detection should conclude; ignored by the simulator, read by tests and the demo. */
    expect: z.object({ verdict: VerdictSchema }).catchall(z.unknown()).optional(),
  })
  .strict();

export const AccountSchema = z
  .object({
    id: AccountIdSchema,
    name: z.string().min(1).max(50),
    email: z.email().optional(),
    status: z.enum(['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE']).default('ACTIVE'),
    /** OU id, or omitted for the root. */
    ou: OuIdSchema.optional(),
    /** Enabled regions; default the home region. */
    regions: z.array(RegionSchema).min(1).optional(),
    /** The member role: present (default), absent (false), or with an external id or a different name. */
    memberRole: z.union([z.boolean(), z.object({ name: RoleNameSchema.optional(), externalId: ExternalIdSchema.optional() }).strict()]).default(true),
    otherRoles: z.array(z.object({ name: RoleNameSchema, externalId: ExternalIdSchema.optional() }).strict()).default([]),
    joinedDaysAgo: z.number().int().min(0).default(700),
  })
  .strict();

export const BucketSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
    account: AccountIdSchema,
    region: RegionSchema,
    objectLock: z.boolean().default(false),
    objects: z.array(z.object({ key: z.string().min(1), size: z.number().int().min(0).default(1024), content: z.string().optional() }).strict()).default([]),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    organization: z
      .object({
        id: z.string().regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization id like o-a1b2c3d4e5'),
        rootId: z.string().regex(/^r-[0-9a-z]{4,32}$/, 'must be a root id like r-a1b2'),
        managementAccountId: AccountIdSchema,
        homeRegion: RegionSchema.default('us-east-1'),
      })
      .strict(),
    memberRoleName: RoleNameSchema.default(DEFAULT_MEMBER_ROLE),
    ous: z.array(z.object({ id: OuIdSchema, name: z.string().min(1), parent: z.string().optional() }).strict()).default([]),
    accounts: z.array(AccountSchema).min(1),
    buckets: z.array(BucketSchema).default([]),
    endpoints: z.array(EndpointSchema).default([]),
    settings: z
      .object({
        /** SageMaker Creating -> InService and Deleting -> gone, in ms. */
        transitionDelayMs: z.number().int().min(0).max(600_000).default(300),
        latencyMs: z.number().int().min(0).max(60_000).default(0),
        throttling: z.boolean().default(false),
      })
      .strict()
      .default({ transitionDelayMs: 300, latencyMs: 0, throttling: false }),
  })
  .strict()
  .superRefine(checkScenario);

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type EndpointSpec = z.output<typeof EndpointSchema>;
export type VariantSpec = z.output<typeof VariantSchema>;
export type ModelSpec = z.output<typeof ModelSchema>;
export type ContainerSpec = z.output<typeof ContainerSchema>;
export type ArtifactSpec = z.output<typeof ArtifactSchema>;
export type InferenceComponentSpec = z.output<typeof InferenceComponentSchema>;
export type HistoryEntry = z.output<typeof HistoryEntrySchema>;
