import type { Finding } from '../core/schemas.ts';
import { LAST_INVOKED_UNKNOWN } from '../detection/history.ts';
import type { EndpointAction } from './model.ts';

/**
 * One wording per fact, for every output that shows it (CLI tables, CSV, JSON, reports): the same
 * endpoint must read the same in `scan`, `report` and the HTML page.
 */

type InstanceFacts = Pick<Finding, 'endpointType' | 'instanceType' | 'instanceCount'> & { variants?: Finding['variants'] };

/** `ml.g5.2xlarge × 1`; `serverless`; `× 2` when the type was not read; `-` when nothing was. */
export function instancesText(f: InstanceFacts): string {
  if (f.endpointType === 'serverless') return 'serverless';
  if (f.instanceType) return `${f.instanceType} × ${f.instanceCount}`;
  if (f.instanceCount > 0) return `× ${f.instanceCount}`;
  return f.variants === undefined && f.endpointType === null ? '-' : '× 0';
}

export const NEVER_INVOKED = 'never';

/**
 * When the endpoint was last invoked: its ISO timestamp, `never` (checked over the 455 days
 * CloudWatch keeps), or null where it was not looked up: active endpoints (invoked inside the
 * window), errors, and histories that could not be read. JSON and CSV carry this value.
 */
export function lastInvokedValue(f: Pick<Finding, 'lastInvokedAt' | 'verdict' | 'reason'>): string | null {
  if (f.lastInvokedAt) return f.lastInvokedAt;
  if (f.verdict === 'error' || f.verdict === 'active' || f.reason.includes(LAST_INVOKED_UNKNOWN)) return null;
  return NEVER_INVOKED;
}

/** The date alone (YYYY-MM-DD), `never`, or `-` (not looked up), for tables. */
export function lastInvokedText(f: Pick<Finding, 'lastInvokedAt' | 'verdict' | 'reason'>): string {
  const value = lastInvokedValue(f);
  if (value === null) return '-';
  return value === NEVER_INVOKED ? NEVER_INVOKED : value.slice(0, 10);
}

/** What the sweep did to an endpoint, in order: `archived → tagged → approved → deleted`. */
export function actionChain(a: Pick<EndpointAction, 'snapshot' | 'tagged' | 'decision' | 'deletion'> | undefined): string {
  if (!a) return '';
  const parts = [
    a.snapshot === 'archived' ? 'archived' : a.snapshot === 'failed' ? 'snapshot failed' : undefined,
    a.tagged ? 'tagged' : undefined,
    a.decision,
    a.deletion,
  ].filter(Boolean);
  return parts.join(' → ');
}
