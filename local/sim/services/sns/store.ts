import type { World } from '../../world.ts';
import type { FilterScope } from './filter-policy.ts';

export interface SnsTopic {
  arn: string;
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  /** subscription ARN → subscription, in subscription order */
  subscriptions: Map<string, SnsSubscription>;
  createdAt: Date;
}

export interface SnsSubscription {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  owner: string;
  attributes: Record<string, string>;
  /** Waiting for the recipient to click the confirmation link; set by tests (Subscribe confirms at once). */
  pendingConfirmation?: boolean;
  /** The parsed FilterPolicy, when the subscription has one. */
  filter?: { policy: Record<string, unknown>; scope: FilterScope };
}

export interface SnsState {
  topics: Map<string, SnsTopic>;
  subscriptions: Map<string, SnsSubscription>;
}

export function snsState(world: World, accountId: string, region: string): SnsState {
  return world.regional<SnsState>('sns', accountId, region, () => ({ topics: new Map(), subscriptions: new Map() }));
}

/** Read access for tests and the index page. */
export function snsStore(world: World, accountId: string, region: string) {
  const state = snsState(world, accountId, region);
  return {
    topics: (): SnsTopic[] => [...state.topics.values()],
    topic: (arn: string): SnsTopic | undefined => state.topics.get(arn),
    subscriptions: (): SnsSubscription[] => [...state.subscriptions.values()],
  };
}
