import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { isAccessDenied } from '../core/aws-errors.ts';
import { layout } from '../core/layout.ts';
import type { Log } from '../core/log.ts';
import { readJsonObject, writeJsonObject } from '../core/s3-json.ts';
import { attempt, failed, type Failed } from './attempt.ts';
import { configReader, type ConfigReader } from './idle.ts';
import { GONE, type Gone } from './inventory.ts';
import type { DescribedConfig, DescribedEndpoint } from './model.ts';

/**
 * What each endpoint was deployed with (its endpoint config, and whether its models serve many
 * models), kept across sweeps in the archive bucket, one file per account-region, so that a repeat
 * scan reads nothing again for an endpoint that has not changed.
 *
 * Why it is sound. What an endpoint runs is fixed when it is created or updated, and both set its
 * LastModifiedTime. Configs and models cannot be modified: SageMaker has no UpdateEndpointConfig
 * ("To update an endpoint, you must create a new EndpointConfig",
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html) and no
 * UpdateModel; a name comes to mean something else only by deleting it and creating it again, which
 * gives it a new CreationTime. So a config (or model) read after the endpoint's last modification and
 * created at or before it is what the endpoint was deployed with, and it stays so while
 * DescribeEndpoint (which the scan makes anyway) shows the same LastModifiedTime and config name.
 * An entry records exactly that, and is used only when both still match; anything else (no entry, a
 * changed endpoint, an unreadable or foreign file) reads the config as without a cache. No listing
 * call is needed to validate it.
 *
 * "Read after the last modification" is judged by the scanner's clock: an entry is recorded only for
 * endpoints last modified at least SETTLED_MS before the scan, a margin wider than the 15 minutes
 * of skew SigV4 tolerates. Endpoints changed more recently are read again next time.
 *
 * What a wrong entry could do, were that ever defeated: the config gives instance types, so cost,
 * and whether the region's inference components are listed; the model gives the multi-model label.
 * A wrong instance type misprices a finding; it changes no verdict. Entries are only ever SageMaker's
 * own answers, read by the scan role from the archive bucket, validated by schema; the cache never
 * decides a deletion, which people approve and the delete step re-verifies against the live endpoint.
 */
export const SETTLED_MS = 30 * 60_000;

const CachedConfigSchema = z.object({
  endpointConfigName: z.string().min(1),
  creationTime: z.string().min(1),
  variants: z.array(
    z.object({
      variantName: z.string(),
      modelName: z.string().optional(),
      instanceType: z.string().optional(),
      serverless: z.object({ memorySizeInMB: z.number(), maxConcurrency: z.number(), provisionedConcurrency: z.number().optional() }).optional(),
      shadow: z.boolean(),
    }),
  ),
  isAsync: z.boolean(),
  executionRoleArn: z.string().optional(),
});

const DeploymentSchema = z.object({
  endpointName: z.string().min(1),
  lastModifiedTime: z.string().min(1),
  endpointConfigName: z.string().min(1),
  configCreationTime: z.string().min(1),
  /** Absent until some scan needed it (only zombies are told apart). */
  multiModel: z.boolean().optional(),
});

export const ConfigCacheFileSchema = z.object({
  version: z.literal(2),
  accountId: z.string(),
  region: z.string(),
  configs: z.array(CachedConfigSchema),
  deployments: z.array(DeploymentSchema),
});
export type ConfigCacheFile = z.infer<typeof ConfigCacheFileSchema>;
type CachedConfig = z.infer<typeof CachedConfigSchema>;
type Deployment = z.infer<typeof DeploymentSchema>;
type Vouched = { config: CachedConfig; deployment: Deployment };

/** Where the cache lives: the archive bucket (s3ConfigCache), or anything else with the same two calls. */
export interface ConfigCacheStore {
  load(accountId: string, region: string): Promise<ConfigCacheFile | undefined>;
  save(file: ConfigCacheFile): Promise<void>;
}

export function s3ConfigCache(s3: S3Client, bucket: string, kmsKeyId?: string): ConfigCacheStore {
  return {
    load: async (accountId, region) => {
      try {
        return (await readJsonObject(s3, bucket, layout.configCache(accountId, region), ConfigCacheFileSchema))?.value;
      } catch (error) {
        // S3 answers a missing key with 403 to a caller without s3:ListBucket (the scan role has none):
        // that is the first sweep of a target. A real permission problem shows when the file is saved.
        if (isAccessDenied(error)) return undefined;
        throw error;
      }
    },
    save: async (file) => {
      await writeJsonObject(s3, bucket, layout.configCache(file.accountId, file.region), file, kmsKeyId ? { kmsKeyId } : {});
    },
  };
}

export interface CachingConfigReader extends ConfigReader {
  /** Writes back the deployments of `endpoints` when they differ from what was loaded (never fails the scan). */
  persist(endpoints: readonly DescribedEndpoint[]): Promise<void>;
}

/**
 * A ConfigReader that answers from the cache for endpoints unchanged since their entry was recorded,
 * and otherwise reads as the plain reader does (once per config or model name) and records an entry
 * for the next sweep.
 */
export function cachingConfigReader(
  sagemaker: SageMakerClient,
  store: ConfigCacheStore,
  target: { accountId: string; region: string; now: Date },
  log: Log,
): CachingConfigReader {
  const plain = configReader(sagemaker);
  const where = { accountId: target.accountId, region: target.region };
  const loaded = attempt(() => store.load(target.accountId, target.region));
  void loaded.then((file) => failed(file) && log.warn('config cache unreadable; configs are described', { ...where, error: file.failed }));
  const previous = loaded.then((file) => indexFile(failed(file) ? undefined : file));
  const used = new Map<string, Vouched>();
  const known = new Map<string, DescribedConfig>();

  const read = async (endpoint: DescribedEndpoint): Promise<DescribedConfig | Gone | Failed> => {
    const prior = vouch(await previous, endpoint);
    if (prior) {
      used.set(endpoint.endpointName, { config: prior.config, deployment: { ...prior.deployment } });
      known.set(endpoint.endpointName, prior.config);
      return prior.config;
    }
    const config = await plain.read(endpoint);
    if (config === GONE || failed(config)) return config;
    known.set(endpoint.endpointName, config);
    const entry = deployedWith(endpoint, config, target.now);
    if (entry) used.set(endpoint.endpointName, entry);
    return config;
  };

  const multiModel = async (endpoint: DescribedEndpoint, config: DescribedConfig): Promise<boolean> => {
    const entry = used.get(endpoint.endpointName);
    if (entry?.deployment.multiModel !== undefined) return entry.deployment.multiModel;
    const modes = await plain.modelModes(config);
    if (entry && modes.complete && modes.latestCreation !== undefined && modes.latestCreation <= endpoint.lastModifiedTime.getTime())
      entry.deployment.multiModel = modes.multiModel;
    return modes.multiModel;
  };

  return {
    read,
    known: (endpoint) => known.get(endpoint.endpointName),
    multiModel,
    persist: async (endpoints) => {
      const before = await previous;
      // An endpoint this scan did not need keeps its entry while it is unchanged (a zombies-only scan keeps the rest).
      const kept = endpoints.flatMap((e) => used.get(e.endpointName) ?? vouch(before, e) ?? []);
      const file = cacheFile(where, kept);
      if (JSON.stringify(file) === JSON.stringify(before.file)) return;
      const saved = await attempt(() => store.save(file));
      if (failed(saved)) log.warn('config cache not saved', { ...where, error: saved.failed });
    },
  };
}

interface CacheIndex {
  file: ConfigCacheFile | undefined;
  deployments: Map<string, Deployment>;
  configs: Map<string, CachedConfig>;
}

function indexFile(file: ConfigCacheFile | undefined): CacheIndex {
  return {
    file,
    deployments: new Map((file?.deployments ?? []).map((d) => [d.endpointName, d])),
    configs: new Map((file?.configs ?? []).map((c) => [configKey(c.endpointConfigName, c.creationTime), c])),
  };
}

/** The entry for an endpoint when DescribeEndpoint shows it unchanged since the entry was recorded. */
function vouch(index: CacheIndex, endpoint: DescribedEndpoint): Vouched | undefined {
  const deployment = index.deployments.get(endpoint.endpointName);
  if (!deployment || deployment.endpointConfigName !== endpoint.endpointConfigName) return undefined;
  if (deployment.lastModifiedTime !== endpoint.lastModifiedTime.toISOString()) return undefined;
  const config = index.configs.get(configKey(deployment.endpointConfigName, deployment.configCreationTime));
  return config ? { config, deployment } : undefined;
}

/** An entry only when the config read is provably the one deployed (see the module comment). */
function deployedWith(endpoint: DescribedEndpoint, config: DescribedConfig, now: Date): Vouched | undefined {
  const modified = endpoint.lastModifiedTime.getTime();
  const { creationTime } = config;
  if (!creationTime || !endpoint.endpointConfigName) return undefined;
  if (Date.parse(creationTime) > modified || modified > now.getTime() - SETTLED_MS) return undefined;
  return {
    config: { ...config, creationTime },
    deployment: {
      endpointName: endpoint.endpointName,
      lastModifiedTime: endpoint.lastModifiedTime.toISOString(),
      endpointConfigName: endpoint.endpointConfigName,
      configCreationTime: creationTime,
    },
  };
}

function cacheFile(target: { accountId: string; region: string }, entries: readonly Vouched[]): ConfigCacheFile {
  const configs = new Map(entries.map((e) => [configKey(e.config.endpointConfigName, e.config.creationTime), e.config]));
  // Sorted, so an unchanged target writes nothing whatever order its endpoints were listed in.
  return {
    version: 2,
    accountId: target.accountId,
    region: target.region,
    configs: [...configs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, config]) => config),
    deployments: entries.map((e) => e.deployment).sort((a, b) => a.endpointName.localeCompare(b.endpointName)),
  };
}

function configKey(name: string, creationTime: string): string {
  return `${name}\n${creationTime}`;
}
