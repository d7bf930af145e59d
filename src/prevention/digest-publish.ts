import type { Notifier } from '../core/notifier.ts';
import { digestText, type OwnerDigest } from './digest.ts';

/**
 * One message per owner through the sweep's Notifier (deployed: the notification topic), with
 * attributes `event=digest` and `owner=<key>=<value>` so each team subscribes with a filter policy to
 * its own digest only (docs/prevention.md "Weekly digest"). Approvers' subscriptions filter on
 * `approver` and never match.
 */
export async function publishDigests(notifier: Notifier, digests: readonly OwnerDigest[], sweepId: string): Promise<number> {
  let published = 0;
  for (const digest of digests) {
    const { subject, body } = digestText(digest, sweepId);
    await notifier.publish({ subject, body, attributes: { event: 'digest', owner: digest.owner ?? 'none' } });
    published++;
  }
  return published;
}
