import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { silentLog } from '../src/core/log.ts';
import { createHandler } from '../functions/auto-tagger/handler.ts';
import { AUTO_TAGGED_EVENTS, type AutoTagOutcome } from '../src/prevention/auto-tag.ts';
import { cloudTrailBus } from './sim/cloudtrail.ts';
import type { Simulator } from './sim/server.ts';
import { issueRoleCredentials } from './sim/services/sts.ts';

/**
 * The member-account auto-tagger running against the simulator as it runs in AWS: the simulator
 * publishes each SageMaker create call as a CloudTrail event, and the real handler, acting with the
 * auto-tagger's own role in that account, tags the new resource. What the StackSet deploys per account
 * and region, in-process.
 */
export const AUTO_TAGGER_ROLE = 'ZombieSweepAutoTagger';

export interface LocalAutoTagger {
  outcomes: AutoTagOutcome[];
  /** Waits for every event delivered so far to be handled. */
  settle(): Promise<void>;
  stop(): void;
}

export function attachAutoTagger(sim: Simulator, options: { autoDeleteAfterDays?: number } = {}): LocalAutoTagger {
  const outcomes: AutoTagOutcome[] = [];
  const handlers = new Map<string, (event: unknown) => Promise<AutoTagOutcome>>();
  const handlerFor = (accountId: string, region: string) => {
    const key = `${accountId}:${region}`;
    let handler = handlers.get(key);
    if (!handler) {
      const session = issueRoleCredentials(sim.world, accountId, AUTO_TAGGER_ROLE, 'auto-tagger');
      const sagemaker = new SageMakerClient({
        region,
        endpoint: sim.url,
        credentials: { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken },
      });
      handler = createHandler({ sagemaker, settings: { autoDeleteAfterDays: options.autoDeleteAfterDays ?? 90 }, log: silentLog });
      handlers.set(key, handler);
    }
    return handler;
  };
  const bus = cloudTrailBus(sim.world);
  const unsubscribe = bus.subscribe(async (event) => {
    // The EventBridge rule's pattern: source aws.sagemaker, the create calls the tagger handles.
    if (event.source !== 'aws.sagemaker' || !(AUTO_TAGGED_EVENTS as readonly string[]).includes(event.detail.eventName)) return;
    outcomes.push(await handlerFor(event.account, event.region)(event));
  });
  return { outcomes, settle: () => bus.drain(), stop: unsubscribe };
}
