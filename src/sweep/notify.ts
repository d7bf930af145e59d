import type { SweepDeps } from './deps.ts';

/**
 * Sweep notifications through the configured Notifier (deployed: the approvals/reports topic). The `approver` attribute is a String.Array of
 * the sweep's approvers, so each approver's filtered subscription (`{"approver": ["a@x"]}`) matches
 * once and unfiltered subscribers (an ops list) get a single copy.
 * https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html
 */
export async function notify(deps: SweepDeps, message: { subject: string; body: string; approvers: readonly string[]; event: string }): Promise<boolean> {
  const notifier = deps.notifier;
  if (!notifier) return false;
  const attributes: Record<string, string | readonly string[]> = { event: message.event };
  if (message.approvers.length > 0) attributes.approver = message.approvers;
  await notifier.publish({ subject: message.subject, body: message.body, attributes });
  return true;
}
