import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../core/concurrency.ts';
import { errorMessage } from '../core/errors.ts';
import { layout } from '../core/layout.ts';
import { AuditEventSchema, type AuditEvent, type AuditEventType } from './events.ts';
import { endpointScope, matchesQuery, sortEvents, startAfterFor, type AuditQuery } from './query.ts';

/**
 * Reads audit events from the archive bucket with as few LIST calls as the query allows:
 * - one endpoint (ARN, or name with --account and --region): its own prefix, starting after --since;
 * - a bare endpoint name: the account and region "folders" are listed with a delimiter first;
 * - a sweep: the sweep's own events plus the endpoints in the sweep index (audit/sweep-index/<id>/);
 * - an account (and region): that subtree; nothing: the whole audit/ tree.
 */
export interface AuditReadResult {
  events: AuditEvent[];
  /** Objects under audit/ that are not valid events (reported, never silently dropped). */
  warnings: string[];
}

interface Listing {
  prefix: string;
  /** Only for prefixes whose keys start with the event time. */
  startAfter?: string;
}

export async function readAuditEvents(s3: S3Client, bucket: string, query: AuditQuery, concurrency = 16): Promise<AuditReadResult> {
  const listings = await plan(s3, bucket, query);
  const keys: string[] = [];
  for (const listing of listings) keys.push(...(await listKeys(s3, bucket, listing.prefix, listing.startAfter)));
  const { events, warnings } = await loadEvents(s3, bucket, [...new Set(keys)], concurrency);
  return { events: sortEvents(events.filter((event) => matchesQuery(event, query))), warnings };
}

async function plan(s3: S3Client, bucket: string, query: AuditQuery): Promise<Listing[]> {
  const scope = endpointScope(query);
  if (query.endpoint) {
    const name = query.endpoint.name;
    const accounts = scope.accountId ? [scope.accountId] : await listChildren(s3, bucket, 'audit/endpoints/');
    const listings: Listing[] = [];
    for (const accountId of accounts) {
      const regions = scope.region ? [scope.region] : await listChildren(s3, bucket, `audit/endpoints/${accountId}/`);
      for (const region of regions) {
        const prefix = layout.endpointAuditPrefix(accountId, region, name);
        listings.push({ prefix, startAfter: startAfterFor(prefix, query.since) });
      }
    }
    return listings;
  }
  if (query.sweepId) {
    const sweepPrefix = layout.sweepAuditPrefix(query.sweepId);
    const listings: Listing[] = [{ prefix: sweepPrefix, startAfter: startAfterFor(sweepPrefix, query.since) }];
    const indexPrefix = layout.sweepIndexPrefix(query.sweepId);
    for (const key of await listKeys(s3, bucket, indexPrefix)) {
      const [accountId, region, file] = key.slice(indexPrefix.length).split('/');
      if (!accountId || !region || !file?.endsWith('.json')) continue;
      if ((scope.accountId && accountId !== scope.accountId) || (scope.region && region !== scope.region)) continue;
      const prefix = layout.endpointAuditPrefix(accountId, region, file.slice(0, -'.json'.length));
      listings.push({ prefix, startAfter: startAfterFor(prefix, query.since) });
    }
    return listings;
  }
  if (scope.accountId) return [{ prefix: scope.region ? `audit/endpoints/${scope.accountId}/${scope.region}/` : `audit/endpoints/${scope.accountId}/` }];
  if (scope.region) {
    const accounts = await listChildren(s3, bucket, 'audit/endpoints/');
    return accounts.map((accountId) => ({ prefix: `audit/endpoints/${accountId}/${scope.region}/` }));
  }
  return [{ prefix: 'audit/endpoints/' }, { prefix: 'audit/sweeps/' }];
}

/** The "folder" names directly under a prefix (ListObjectsV2 with a delimiter). */
async function listChildren(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
    for (const common of page.CommonPrefixes ?? []) if (common.Prefix) names.push(common.Prefix.slice(prefix.length).replace(/\/$/, ''));
  }
  return names;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string, startAfter?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix, StartAfter: startAfter })) {
    for (const object of page.Contents ?? []) if (object.Key?.endsWith('.json')) keys.push(object.Key);
  }
  return keys;
}

async function loadEvents(s3: S3Client, bucket: string, keys: string[], concurrency: number): Promise<AuditReadResult> {
  const warnings: string[] = [];
  const loaded = await mapLimit(keys, concurrency, async (key) => {
    const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = await output.Body!.transformToString('utf8');
    try {
      const parsed = AuditEventSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
      warnings.push(`s3://${bucket}/${key} is not a valid audit event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    } catch (error) {
      warnings.push(`s3://${bucket}/${key} is not JSON: ${errorMessage(error)}`);
    }
    return undefined;
  });
  return { events: loaded.filter((e): e is AuditEvent => e !== undefined), warnings };
}

export type EndpointEventQuery = { accountId: string; region: string; endpointName: string; sweepId: string; type: AuditEventType };

/** An endpoint's events of `type` for `sweepId`, oldest first (keys sort by time). Re-run steps use it to neither lose nor double an event. */
export async function endpointEventsOf(s3: S3Client, bucket: string, where: EndpointEventQuery): Promise<AuditEvent[]> {
  const prefix = layout.endpointAuditPrefix(where.accountId, where.region, where.endpointName);
  const keys = (await listKeys(s3, bucket, prefix)).filter((key) => key.includes(`-${where.type}-`));
  const { events } = await loadEvents(s3, bucket, keys, 8);
  return events.filter((event) => event.type === where.type && event.sweepId === where.sweepId);
}

/** Whether an endpoint already has an event of `type` for `sweepId` (keeps re-run steps from logging twice). */
export async function hasAuditEvent(s3: S3Client, bucket: string, where: EndpointEventQuery): Promise<boolean> {
  return (await endpointEventsOf(s3, bucket, where)).length > 0;
}
