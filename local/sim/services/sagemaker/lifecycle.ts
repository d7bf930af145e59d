import type { World } from '../../world.ts';
import type { EndpointRecord, InferenceComponentRecord, SageMakerState } from './model.ts';

/**
 * Creating -> InService and Deleting -> gone, applied lazily when a record is read (no timers keep a
 * process alive). Deadlines are wall-clock (Date.now) so they elapse even when a test fixes the
 * world's clock; reported times (LastModifiedTime) come from the world's clock.
 */
export function settleEndpoint(state: SageMakerState, world: World, record: EndpointRecord): EndpointRecord | undefined {
  if (record.transitionAt === undefined || Date.now() < record.transitionAt) return record;
  record.transitionAt = undefined;
  if (record.status === 'Creating') {
    record.status = 'InService';
    record.lastModifiedTime = world.now();
    for (const variant of record.variants) variant.currentInstanceCount = variant.desiredInstanceCount;
  } else if (record.status === 'Deleting') {
    state.endpoints.delete(record.name.toLowerCase());
    state.tags.delete(record.arn);
    return undefined;
  }
  return record;
}

export function settleComponent(state: SageMakerState, world: World, record: InferenceComponentRecord): InferenceComponentRecord | undefined {
  if (record.transitionAt === undefined || Date.now() < record.transitionAt) return record;
  record.transitionAt = undefined;
  if (record.status === 'Creating') {
    record.status = 'InService';
    record.currentCopyCount = record.desiredCopyCount;
    record.lastModifiedTime = world.now();
  } else if (record.status === 'Deleting') {
    state.inferenceComponents.delete(record.name.toLowerCase());
    state.tags.delete(record.arn);
    return undefined;
  }
  return record;
}
