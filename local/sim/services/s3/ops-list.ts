import { decodeToken, encodeToken } from '../../protocol.ts';
import { bucketOf, xmlResponse, type S3Call, type S3Handler } from './call.ts';
import { invalidArgument } from './errors.ts';
import type { Bucket, ObjectVersion } from './model.ts';
import { canonicalId } from './ops-bucket.ts';
import { sortedKeys, utf8Compare } from './versions.ts';
import { el, group, xmlDocument } from './xml.ts';

/**
 * Listings: ListObjectsV2.
 * Keys come in UTF-8 binary order; with a delimiter, keys sharing a prefix up to it collapse into one
 * CommonPrefixes entry that counts toward max-keys, as on S3.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */

interface ListParams {
  prefix: string;
  delimiter?: string;
  /** Resume after this key (at it, when `inclusive`). */
  after?: string;
  inclusive?: boolean;
  /** A common prefix already returned on an earlier page: keys under it are skipped. */
  skipUnder?: string;
  /** Only keys whose latest version is not a delete marker (object listings, not version listings). */
  currentOnly?: boolean;
  max: number;
}

type Item = { kind: 'key'; key: string; version: ObjectVersion } | { kind: 'prefix'; prefix: string };

/** Index of the first sorted key greater than `bound` (or equal to it, when `inclusive`), by binary search. */
function firstIndex(keys: readonly string[], bound: string, inclusive: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = utf8Compare(keys[mid]!, bound);
    if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keys under `prefix` in order from the resume point, collapsing delimited groups into prefix items. */
function* walk(bucket: Bucket, params: ListParams): Generator<Item> {
  const keys = sortedKeys(bucket);
  const resume = params.after !== undefined && utf8Compare(params.after, params.prefix) >= 0;
  let lastPrefix = params.skipUnder;
  for (let i = resume ? firstIndex(keys, params.after!, params.inclusive ?? false) : firstIndex(keys, params.prefix, true); i < keys.length; i++) {
    const key = keys[i]!;
    // Keys sharing a prefix are contiguous in byte order: the first one without it ends the range.
    if (!key.startsWith(params.prefix)) return;
    if (lastPrefix !== undefined && key.startsWith(lastPrefix)) continue;
    const versions = bucket.keys.get(key);
    if (!versions || versions.length === 0 || (params.currentOnly && versions[0]!.deleteMarker)) continue;
    if (params.delimiter) {
      const at = key.indexOf(params.delimiter, params.prefix.length);
      if (at >= 0) {
        lastPrefix = key.slice(0, at + params.delimiter.length);
        yield { kind: 'prefix', prefix: lastPrefix };
        continue;
      }
    }
    yield { kind: 'key', key, version: versions[0]! };
  }
}

function page(bucket: Bucket, params: ListParams): { items: Item[]; truncated: boolean } {
  const items: Item[] = [];
  for (const item of walk(bucket, params)) {
    if (items.length === params.max) return { items, truncated: true };
    items.push(item);
  }
  return { items, truncated: false };
}

function maxKeys(call: S3Call, name = 'max-keys'): number {
  const raw = call.query.get(name);
  if (raw === null) return 1000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw invalidArgument('Provided max-keys not an integer or within integer range', name, raw);
  return Math.min(n, 1000);
}

function encoder(call: S3Call): (value: string | undefined) => string | undefined {
  const type = call.query.get('encoding-type');
  if (type === null) return (v) => v;
  if (type !== 'url') throw invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', type);
  return (v) => (v === undefined ? undefined : encodeURIComponent(v).replace(/%2F/g, '/'));
}

function contents(version: ObjectVersion, encode: (v: string) => string | undefined, owner: string | undefined): string {
  const algorithms = [...(version.checksum ? [version.checksum.algorithm] : []), 'CRC64NVME'].filter((a, i, all) => all.indexOf(a) === i);
  return group(
    'Contents',
    el('Key', encode(version.key)),
    el('LastModified', version.lastModified),
    el('ETag', version.etag),
    ...algorithms.map((a) => el('ChecksumAlgorithm', a)),
    el('ChecksumType', version.checksum?.type ?? 'FULL_OBJECT'),
    el('Size', version.content.size),
    el('StorageClass', version.attributes.storageClass),
    owner ? group('Owner', el('ID', owner)) : '',
  );
}

const commonPrefixes = (items: Item[], encode: (v: string) => string | undefined) =>
  items.filter((i): i is Extract<Item, { kind: 'prefix' }> => i.kind === 'prefix').map((i) => group('CommonPrefixes', el('Prefix', encode(i.prefix))));

const listObjectsV2: S3Handler = (call) => {
  const bucket = bucketOf(call);
  const encode = encoder(call);
  const prefix = call.query.get('prefix') ?? '';
  const delimiter = call.query.get('delimiter') || undefined;
  const token = call.query.get('continuation-token');
  const resume = token === null ? undefined : decodeToken<{ after?: unknown; prefix?: unknown }>(token, 'InvalidArgument');
  if (resume !== undefined && (resume === null || typeof resume !== 'object' || typeof resume.after !== 'string'))
    throw invalidArgument('The continuation token provided is incorrect', 'continuation-token', token ?? '');
  const startAfter = call.query.get('start-after') ?? undefined;
  const max = maxKeys(call);
  const { items, truncated } = page(bucket, {
    prefix,
    delimiter,
    after: (resume?.after as string | undefined) ?? startAfter,
    skipUnder: resume?.prefix === true ? (resume.after as string) : undefined,
    currentOnly: true,
    max,
  });
  const last = items[items.length - 1];
  const next = truncated && last ? encodeToken(last.kind === 'key' ? { after: last.key } : { after: last.prefix, prefix: true }) : undefined;
  const owner = call.query.get('fetch-owner') === 'true' ? canonicalId(bucket.ownerAccountId) : undefined;
  return xmlResponse(
    xmlDocument(
      'ListBucketResult',
      el('Name', bucket.name),
      el('Prefix', encode(prefix)),
      el('Delimiter', encode(delimiter)),
      el('MaxKeys', max),
      el('KeyCount', items.length),
      el('IsTruncated', truncated),
      el('EncodingType', call.query.get('encoding-type')),
      el('ContinuationToken', token),
      el('NextContinuationToken', next),
      el('StartAfter', encode(startAfter)),
      ...items.filter((i) => i.kind === 'key').map((i) => contents(i.version, (v) => encode(v), owner)),
      ...commonPrefixes(items, encode),
    ),
  );
};

export const listHandlers: Record<string, S3Handler> = {
  ListObjectsV2: listObjectsV2,
};
