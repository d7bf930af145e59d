import { appendAuditEvent, type AuditWriter, type NewAuditEvent } from '../audit/events.ts';
import type { TagMap } from '../core/tags.ts';

/** What a tag-changing step is about to write: the keys it sets and the keys it removes. */
export interface TagChange {
  /** The step making the calls (tag, reject, approve, veto, scale-to-zero). */
  step: string;
  /** ARNs of every resource whose tags may change. */
  resources: readonly string[];
  set?: TagMap;
  remove?: readonly string[];
}

type Where = Omit<NewAuditEvent, 'type' | 'details' | 'reason'>;

/**
 * Write-ahead audit for tag changes. Returns a guard to await before each AddTags/DeleteTags call:
 * the first call durably writes one `change-tags` intent naming every resource the step may change,
 * later calls do nothing. A step that finds nothing to change never calls it, so no intent is left
 * without the outcome event (tagged, approved, rejected, vetoed, scaled-to-zero, skipped) that settles it.
 */
export function tagChangeGuard(audit: AuditWriter, where: Where, change: TagChange): () => Promise<void> {
  let written = false;
  return async () => {
    if (written) return;
    await appendAuditEvent(audit, {
      ...where,
      type: 'intent',
      reason: `about to change tags (${change.step})`,
      details: {
        action: 'change-tags',
        step: change.step,
        resources: [...change.resources],
        ...(change.set ? { set: change.set } : {}),
        ...(change.remove ? { remove: [...change.remove] } : {}),
      },
    });
    written = true;
  };
}
