import { SimError } from '../../protocol.ts';
import type { World } from '../../world.ts';
import { clone } from './input.ts';
import { settleComponent, settleEndpoint } from './lifecycle.ts';
import type { SageMakerState, Tag } from './model.ts';
import { validateTags } from './rules.ts';

/**
 * Tags of one account-region's SageMaker resources, keyed by lower-cased ARN (AWS lower-cases names in
 * ARNs, and an ARN written with the original case names the same resource).
 */
export function tagging(state: SageMakerState, world: World, accountId: string, region: string) {
  function resourceExists(resourceArn: string): boolean {
    const lower = resourceArn.toLowerCase();
    const prefix = `arn:aws:sagemaker:${region}:${accountId}:`;
    if (!lower.startsWith(prefix)) return false;
    const [kind, ...rest] = lower.slice(prefix.length).split('/');
    const name = rest.join('/');
    switch (kind) {
      case 'model':
        return state.models.has(name);
      case 'endpoint-config':
        return state.endpointConfigs.has(name);
      case 'endpoint': {
        const record = state.endpoints.get(name);
        return record !== undefined && settleEndpoint(state, world, record) !== undefined;
      }
      case 'inference-component': {
        const record = state.inferenceComponents.get(name);
        return record !== undefined && settleComponent(state, world, record) !== undefined;
      }
      default:
        return false;
    }
  }
  const requireResource = (resourceArn: string) => {
    if (!resourceExists(resourceArn)) throw new SimError('ValidationException', `Resource "${resourceArn}" does not exist.`);
  };

  return {
    resourceExists,
    /** The Tags of a Create* call: replaces whatever an earlier resource of the same ARN left. */
    setInitialTags(resourceArn: string, tags: Tag[] | undefined): void {
      state.tags.delete(resourceArn.toLowerCase());
      if (!tags || tags.length === 0) return;
      validateTags(tags, 0);
      state.tags.set(resourceArn.toLowerCase(), new Map(tags.map((t) => [t.Key, t.Value])));
    },
    /** AddTags: overwrites values of existing keys; at most 50 tags per resource. */
    addTags(resourceArn: string, tags: Tag[]): Tag[] {
      requireResource(resourceArn);
      const current = state.tags.get(resourceArn.toLowerCase()) ?? new Map<string, string>();
      validateTags(tags, [...current.keys()].filter((k) => !tags.some((t) => t.Key === k)).length);
      for (const tag of tags) current.set(tag.Key, tag.Value);
      state.tags.set(resourceArn.toLowerCase(), current);
      return clone(tags);
    },
    deleteTags(resourceArn: string, keys: string[]): void {
      requireResource(resourceArn);
      const current = state.tags.get(resourceArn.toLowerCase());
      for (const k of keys) current?.delete(k);
    },
    listTags(resourceArn: string): Tag[] {
      requireResource(resourceArn);
      return [...(state.tags.get(resourceArn.toLowerCase()) ?? new Map<string, string>())].map(([Key, Value]) => ({ Key, Value }));
    },
    /** Tags as a plain record, for tests and seeding ({} when none or the resource is gone). */
    tagsOf(resourceArn: string): Record<string, string> {
      return Object.fromEntries(state.tags.get(resourceArn.toLowerCase()) ?? []);
    },
  };
}
