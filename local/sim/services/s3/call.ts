import type { CallContext, SimRequest, SimResponse } from '../../protocol.ts';
import { header } from './body.ts';
import { noSuchBucket, notImplemented, s3Error } from './errors.ts';
import type { Bucket, S3State } from './model.ts';
import { s3State } from './store.ts';

/** One S3 request as the handlers see it: path-style target, query, state, clock and caller region. */
export interface S3Call {
  req: SimRequest;
  ctx: CallContext;
  state: S3State;
  now: Date;
  bucketName?: string;
  key?: string;
  query: URLSearchParams;
  /** The SigV4 signing region: S3 serves a bucket only in its own region. */
  region: string;
}

export type S3Handler = (call: S3Call) => Promise<SimResponse> | SimResponse;

interface Target {
  bucket?: string;
  key?: string;
}

const targets = new WeakMap<SimRequest, Target>();

/** Path-style addressing: /bucket/key… Keys are taken from the raw request-target, dot segments and all. */
export function targetOf(req: SimRequest): Target {
  const cached = targets.get(req);
  if (cached) return cached;
  const raw = req.rawUrl ?? `${req.url.pathname}${req.url.search}`;
  const path = raw.startsWith('/') ? raw.split('?')[0]! : new URL(raw, 'http://sim').pathname;
  const slash = path.indexOf('/', 1);
  const bucketPart = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const keyPart = slash === -1 ? '' : path.slice(slash + 1);
  let target: Target;
  try {
    target = { bucket: bucketPart === '' ? undefined : decodeURIComponent(bucketPart), key: keyPart === '' ? undefined : decodeURIComponent(keyPart) };
  } catch {
    throw s3Error('InvalidURI', "Couldn't parse the specified URI.", { URI: raw.slice(0, 1024) });
  }
  if (target.key !== undefined && Buffer.byteLength(target.key, 'utf8') > 1024)
    throw s3Error('KeyTooLongError', 'Your key is too long', { Size: Buffer.byteLength(target.key, 'utf8'), MaxSizeAllowed: 1024 });
  targets.set(req, target);
  return target;
}

const has = (req: SimRequest, name: string) => req.url.searchParams.has(name);

/** Sub-resources the simulator does not model; S3 would answer them, so say so explicitly. */
const UNMODELED = [
  'acl',
  'policy',
  'cors',
  'lifecycle',
  'tagging',
  'website',
  'logging',
  'notification',
  'replication',
  'accelerate',
  'inventory',
  'analytics',
  'metrics',
  'ownershipControls',
  'publicAccessBlock',
  'legal-hold',
  'attributes',
  'restore',
  'select',
  'torrent',
  'requestPayment',
  'intelligent-tiering',
  'policyStatus',
  'renameObject',
];

/** The SDK command name (without "Command") of a request: the ledger, throttling and faults key on it. */
export function classify(req: SimRequest): string {
  const { bucket, key } = targetOf(req);
  const method = req.method.toUpperCase();
  for (const name of UNMODELED) if (has(req, name)) throw notImplemented(`?${name}`);
  if (!bucket) {
    if (method === 'GET') return 'ListBuckets';
    throw s3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: 'SERVICE' });
  }
  if (key === undefined) {
    switch (method) {
      case 'PUT':
        if (has(req, 'versioning')) return 'PutBucketVersioning';
        if (has(req, 'object-lock')) return 'PutObjectLockConfiguration';
        if (has(req, 'encryption')) return 'PutBucketEncryption';
        return 'CreateBucket';
      case 'GET':
        if (has(req, 'versioning')) return 'GetBucketVersioning';
        if (has(req, 'object-lock')) return 'GetObjectLockConfiguration';
        if (has(req, 'encryption')) return 'GetBucketEncryption';
        if (has(req, 'location')) return 'GetBucketLocation';
        if (has(req, 'versions')) return 'ListObjectVersions';
        if (has(req, 'uploads')) return 'ListMultipartUploads';
        if (req.url.searchParams.get('list-type') === '2') return 'ListObjectsV2';
        return 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'DELETE':
        if (has(req, 'encryption')) return 'DeleteBucketEncryption';
        return 'DeleteBucket';
      case 'POST':
        if (has(req, 'delete')) return 'DeleteObjects';
        break;
    }
    throw s3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: 'BUCKET' });
  }
  switch (method) {
    case 'PUT':
      if (has(req, 'retention')) return 'PutObjectRetention';
      if (has(req, 'partNumber') || has(req, 'uploadId')) return header(req, 'x-amz-copy-source') !== undefined ? 'UploadPartCopy' : 'UploadPart';
      return header(req, 'x-amz-copy-source') !== undefined ? 'CopyObject' : 'PutObject';
    case 'GET':
      if (has(req, 'retention')) return 'GetObjectRetention';
      if (has(req, 'uploadId')) return 'ListParts';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return has(req, 'uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (has(req, 'uploads')) return 'CreateMultipartUpload';
      if (has(req, 'uploadId')) return 'CompleteMultipartUpload';
      break;
  }
  throw s3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: 'OBJECT' });
}

export function makeCall(req: SimRequest, ctx: CallContext): S3Call {
  const { bucket, key } = targetOf(req);
  return { req, ctx, state: s3State(ctx.world), now: ctx.world.now(), bucketName: bucket, key, query: req.url.searchParams, region: ctx.caller.region };
}

/**
 * The bucket a call addresses. Like S3 behind a regional endpoint, a request signed for another
 * region is redirected (301 PermanentRedirect + x-amz-bucket-region, which the SDK's
 * followRegionRedirects understands); x-amz-expected-bucket-owner is enforced.
 */
export function bucketOf(call: S3Call, name = call.bucketName, opts: { anyRegion?: boolean } = {}): Bucket {
  if (name === undefined) throw s3Error('InvalidRequest', 'A bucket name is required');
  const bucket = call.state.buckets.get(name);
  if (!bucket) throw noSuchBucket(name);
  const expectedOwner = header(call.req, 'x-amz-expected-bucket-owner');
  if (expectedOwner !== undefined && expectedOwner !== bucket.ownerAccountId) throw s3Error('AccessDenied', 'Access Denied');
  if (!opts.anyRegion && bucket.region !== call.region) {
    throw s3Error(
      'PermanentRedirect',
      'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
      { Bucket: name, Endpoint: `s3.${bucket.region}.amazonaws.com` },
      { 'x-amz-bucket-region': bucket.region },
    );
  }
  return bucket;
}

export function keyOf(call: S3Call): string {
  if (call.key === undefined) throw s3Error('InvalidRequest', 'An object key is required');
  return call.key;
}

export function xmlResponse(body: string, headers: Record<string, string> = {}, status = 200): SimResponse {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { ...headers, 'content-length': '0' }, body: '' };
}
