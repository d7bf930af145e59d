import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { isAccessDenied } from '../core/aws-errors.ts';
import { layout } from '../core/layout.ts';
import type { Log } from '../core/log.ts';
import { readJsonObject, writeJsonObject } from '../core/s3-json.ts';
import { attempt, failed, once, type Failed } from './attempt.ts';
import type { ConfigReader } from './idle.ts';
import { describeEndpointConfig, GONE, listEndpointConfigTimes, type Gone } from './inventory.ts';
import type { DescribedConfig } from './model.ts';

/**
 * DescribeEndpointConfig results kept across sweeps, one file per account-region in the archive
 * bucket, so that a repeat scan reads a config again only when it changed.
 *
 * Why it is sound: an endpoint config cannot be modified. SageMaker has no UpdateEndpointConfig;
 * "To update an endpoint, you must create a new EndpointConfig"
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html). The only way
 * for a name to mean different contents is to delete the config and create another under the same
 * name, which gives it a new CreationTime. So (name, CreationTime) identifies one immutable object,
 * and an entry is used only when ListEndpointConfigs (names and creation times, 100 a page) shows
 * the config now has the creation time the entry was read with. Any doubt (no listing, a config
 * missing from it, a different time, an unreadable or foreign cache file) falls back to
 * DescribeEndpointConfig, exactly as without a cache.
 *
 * What a wrong entry could do, were that ever defeated (it would take a different config under the
 * same name with the same creation time): the config gives instance types, so cost, and whether the
 * region's inference components are listed. A wrong instance type misprices a finding; it changes no
 * verdict. Entries are only ever DescribeEndpointConfig's own answers, read by the scan role from
 * the archive bucket, validated by schema; the cache never decides a deletion, which people approve
 * and the delete step re-verifies against the live endpoint before any destructive call.
 */

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

export const ConfigCacheFileSchema = z.object({
  version: z.literal(1),
  accountId: z.string(),
  region: z.string(),
  configs: z.array(CachedConfigSchema),
});
export type ConfigCacheFile = z.infer<typeof ConfigCacheFileSchema>;
type CachedConfig = z.infer<typeof CachedConfigSchema>;

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
  /** Calls saved: configs answered from the cache. */
  readonly hits: () => number;
  /** Writes back what this scan used, when it differs from what was loaded (never fails the scan). */
  persist(): Promise<void>;
}

/**
 * A ConfigReader that answers from the cache when the config's creation time still matches, and
 * otherwise describes it (once per name) and remembers it for the next sweep. The listing is read
 * only when there is a cached entry to validate, once per account-region.
 */
export function cachingConfigReader(
  sagemaker: SageMakerClient,
  store: ConfigCacheStore,
  target: { accountId: string; region: string },
  log: Log,
): CachingConfigReader {
  const loaded = attempt(() => store.load(target.accountId, target.region));
  const cached = loaded.then((file) => new Map<string, CachedConfig>(failed(file) || !file ? [] : file.configs.map((c) => [c.endpointConfigName, c])));
  void loaded.then((file) => failed(file) && log.warn('config cache unreadable; configs are described', { ...target, error: file.failed }));
  const times = onceValue(() => attempt(() => listEndpointConfigTimes(sagemaker)));
  const used = new Map<string, CachedConfig>();
  const known = new Map<string, DescribedConfig>();
  let hits = 0;

  const read = once(async (name): Promise<DescribedConfig | Gone | Failed> => {
    const entry = (await cached).get(name);
    if (entry) {
      const current = await times.get();
      if (!failed(current) && current.get(name) === entry.creationTime) {
        hits++;
        used.set(name, entry);
        known.set(name, entry);
        return entry;
      }
    }
    const config = await attempt(() => describeEndpointConfig(sagemaker, name));
    if (config === GONE || failed(config)) return config;
    known.set(name, config);
    if (config.creationTime) used.set(name, { ...config, creationTime: config.creationTime });
    return config;
  });

  return {
    read,
    known: (name) => known.get(name),
    hits: () => hits,
    persist: async () => {
      const before = await cached;
      const next = new Map(used);
      // Entries this scan did not need stay while the listing shows them unchanged (a zombies-only scan keeps the rest).
      const current = times.read();
      for (const [name, entry] of before) if (!next.has(name) && current && !failed(current) && current.get(name) === entry.creationTime) next.set(name, entry);
      if (next.size === before.size && [...next].every(([name, entry]) => before.get(name)?.creationTime === entry.creationTime)) return;
      const file: ConfigCacheFile = { version: 1, accountId: target.accountId, region: target.region, configs: [...next.values()] };
      const saved = await attempt(() => store.save(file));
      if (failed(saved)) log.warn('config cache not saved', { ...target, error: saved.failed });
    },
  };
}

/** A call made at most once, whose settled value can be read without waiting (undefined before). */
function onceValue<T>(call: () => Promise<T>): { get: () => Promise<T>; read: () => T | undefined } {
  let promise: Promise<T> | undefined;
  let value: T | undefined;
  return {
    get: () => (promise ??= call().then((v) => (value = v))),
    read: () => value,
  };
}
