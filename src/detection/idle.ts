import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mapLimit } from '../core/concurrency.ts';
import type { Log } from '../core/log.ts';
import { attempt, failed, once, type Failed } from './attempt.ts';
import type { FindingFacts } from './findings.ts';
import { describeEndpointConfig, describeModelMode, GONE, type Gone } from './inventory.ts';
import type { DescribedConfig, DescribedEndpoint, InferenceComponentRef, WindowUsage } from './model.ts';
import type { PriceTable } from './pricing.ts';
import { classifyEndpointType, isComponentConfig, judgeOwnerTags, type DetectionWindow } from './rules.ts';
import type { TagRead } from './tags.ts';
import { protectedByTags } from '../core/protected.ts';

/**
 * The last stage, for endpoints idle in the window, billable and old enough: their tags (read in batches
 * by the caller) decide between exempt and zombie; zombies get their endpoint config (instance types, cost) and, where
 * it names models, DescribeModel to tell multi-model endpoints apart. Their last-invoked history is
 * read by the caller (history.ts), in one batch with the other endpoints idle in the window.
 */
export interface IdleCandidate {
  endpoint: DescribedEndpoint;
  usage: WindowUsage;
  reason: string;
}

export interface IdleContext {
  sagemaker: SageMakerClient;
  tagging?: ResourceGroupsTaggingAPIClient;
  accountId: string;
  region: string;
  window: DetectionWindow;
  componentsOf: Map<string, InferenceComponentRef[]>;
  /** Set when ListInferenceComponents failed: component endpoints cannot be judged idle then. */
  componentsError?: string;
  configs: ConfigReader;
  concurrency: number;
  classifyMultiModel: boolean;
  prices?: PriceTable;
  log: Log;
}

/**
 * What an endpoint was deployed with: its config (instance types, cost) and whether its models serve
 * many models. Each distinct config and model is read once per scan; ./config-cache.ts adds reads
 * kept across sweeps.
 */
export interface ConfigReader {
  read(endpoint: DescribedEndpoint): Promise<DescribedConfig | Gone | Failed>;
  /** The endpoint's config if already read successfully (no call). */
  known(endpoint: DescribedEndpoint): DescribedConfig | undefined;
  /** True when one of the config's models has a multi-model container (DescribeModel per distinct model). */
  multiModel(endpoint: DescribedEndpoint, config: DescribedConfig): Promise<boolean>;
}

/** The reader without a cache, which also says what the cache needs to record a model read. */
export interface PlainConfigReader extends ConfigReader {
  modelModes(config: DescribedConfig): Promise<ModelModes>;
}

/** `complete`: every model was read; `latestCreation`: the newest model's CreationTime (ms). */
export interface ModelModes {
  multiModel: boolean;
  complete: boolean;
  latestCreation?: number;
}

export function configReader(sagemaker: SageMakerClient): PlainConfigReader {
  const read = new Map<string, DescribedConfig>();
  const describe = once(async (name) => {
    const config = await attempt(() => describeEndpointConfig(sagemaker, name));
    if (config !== GONE && !failed(config)) read.set(name, config);
    return config;
  });
  const describeModel = once((name) => attempt(() => describeModelMode(sagemaker, name)));
  const modelModes = async (config: DescribedConfig): Promise<ModelModes> => {
    const names = new Set(config.variants.flatMap((v) => (v.modelName && !v.serverless ? [v.modelName] : [])));
    const modes = await Promise.all([...names].map((name) => describeModel(name)));
    const readable = modes.flatMap((m) => (m === GONE || failed(m) ? [] : [m]));
    const times = readable.flatMap((m) => (m.creationTime ? [m.creationTime.getTime()] : []));
    return {
      multiModel: readable.some((m) => m.multiModel),
      complete: readable.length === modes.length && times.length === modes.length,
      ...(times.length > 0 ? { latestCreation: Math.max(...times) } : {}),
    };
  };
  return {
    read: (endpoint) => describe(endpoint.endpointConfigName ?? ''),
    known: (endpoint) => read.get(endpoint.endpointConfigName ?? ''),
    multiModel: async (_endpoint, config) => (await modelModes(config)).multiModel,
    modelModes,
  };
}

export type IdleFacts = FindingFacts;

/** `tagsOf`: every idle endpoint's tags by ARN, read in batches by the caller (readScanTags). */
export async function judgeIdle(ctx: IdleContext, idle: readonly IdleCandidate[], tagsOf: ReadonlyMap<string, TagRead>): Promise<IdleFacts[]> {
  if (idle.length === 0) return [];
  const { accountId, region, window } = ctx;

  return mapLimit(idle, ctx.concurrency, async ({ endpoint, usage, reason }): Promise<IdleFacts> => {
    const own = ctx.componentsOf.get(endpoint.endpointName) ?? [];
    // Read already when every billable endpoint is priced: exempt ones get their cost too.
    const read = ctx.configs.known(endpoint);
    const endpointType = classifyEndpointType(endpoint, read, own.length);
    const facts = { accountId, region, endpoint, usage, components: own, prices: ctx.prices, endpointType, ...(read ? { config: read } : {}) };
    const tags = tagsOf.get(endpoint.endpointArn)!;
    if (tags === GONE) return { ...facts, config: undefined, verdict: 'error', reason: 'endpoint was deleted while the scan read its tags' };
    if (failed(tags)) return { ...facts, verdict: 'error', reason: `cannot read tags to check exemptions: ${tags.failed}` };
    // Protection outranks every other tag: a protected endpoint is never a candidate, whatever else it carries.
    const shield = window.settings.protection?.account ?? protectedByTags(tags, window.settings.protection?.tags);
    if (shield) return { ...facts, tags, verdict: 'exempt', reason: `${shield}; ${reason}` };
    const owner = judgeOwnerTags(tags, window.now, { createdAt: endpoint.creationTime, maxDays: window.settings.autoDeleteMaxDays });
    if (owner.kind === 'exempt') return { ...facts, tags, verdict: 'exempt', reason: `${owner.reason}; ${reason}` };
    // A passed auto-delete-after is the owner's own deadline: reported as expired for the owner to act on,
    // not put to approval on the idle verdict's authority.
    if (owner.kind === 'expired') return { ...facts, tags, verdict: 'expired', reason: `${owner.reason}; ${reason}` };

    // Serverless endpoints host neither multi-model containers nor inference components, and
    // DescribeEndpoint carries their memory and provisioned concurrency: nothing in the config is needed
    // ("Feature exclusions", https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html).
    const serverlessOnly = endpoint.variants.every((v) => v.serverless !== undefined);
    const config = endpoint.endpointConfigName && !serverlessOnly ? await ctx.configs.read(endpoint) : undefined;
    const known = config && config !== GONE && !failed(config) ? config : undefined;
    // Without the component list, a component endpoint's traffic is invisible: never call it idle.
    if (ctx.componentsError && !serverlessOnly && (!known || isComponentConfig(known))) {
      const why = known ? 'hosts inference components' : 'may host inference components (its config is unreadable)';
      return { ...facts, tags, config: known, verdict: 'error', reason: `${why}, which could not be listed: ${ctx.componentsError}` };
    }
    let zombieReason = reason;
    if (config === GONE) zombieReason += `; endpoint config ${endpoint.endpointConfigName} no longer exists`;
    else if (failed(config)) zombieReason += `; cannot describe endpoint config: ${config.failed}`;
    const isMme = ctx.classifyMultiModel && known && !known.isAsync && !isComponentConfig(known) ? await ctx.configs.multiModel(endpoint, known) : false;
    return { ...facts, tags, config: known, verdict: 'zombie', reason: zombieReason, endpointType: classifyEndpointType(endpoint, known, own.length, isMme) };
  });
}
