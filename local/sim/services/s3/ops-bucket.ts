import { createHash } from 'node:crypto';
import { header, receiveBody } from './body.ts';
import { bucketOf, emptyResponse, xmlResponse, type S3Call, type S3Handler } from './call.ts';
import { invalidArgument, malformedXml, s3Error } from './errors.ts';
import type { DefaultRetention } from './model.ts';
import { bucketNameProblem } from './store.ts';
import { child, childText, el, group, parseXmlBody, xmlDocument, type XmlElement } from './xml.ts';

/** Bucket-level operations: create, head, turning versioning on, and the Object Lock configuration. */

const MAX_CONFIG_BYTES = 64 * 1024;

async function xmlBody(call: S3Call, root: string, optional = false): Promise<XmlElement | undefined> {
  const body = await receiveBody(call.req, { maxSize: MAX_CONFIG_BYTES });
  if (body.data.length === 0) {
    if (optional) return undefined;
    throw s3Error('MissingRequestBodyError', 'Request Body is empty');
  }
  return parseXmlBody(body.data, root);
}

/** A stable stand-in for S3's canonical user id of an account. */
export function canonicalId(accountId: string): string {
  return createHash('sha256').update(`sim-canonical:${accountId}`).digest('hex');
}

const createBucket: S3Handler = async (call) => {
  const name = call.bucketName!;
  const problem = bucketNameProblem(name);
  if (problem) throw s3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
  const config = await xmlBody(call, 'CreateBucketConfiguration', true);
  const constraint = config ? (childText(config, 'LocationConstraint') ?? '') : '';
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html: us-east-1 takes no constraint, every other region its own.
  if (constraint === 'us-east-1')
    throw s3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', { LocationConstraint: constraint });
  const region = constraint === '' ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;
  if (region !== call.region) {
    throw s3Error(
      'IllegalLocationConstraintException',
      `The ${constraint === '' ? 'unspecified' : constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
    );
  }
  const existing = call.state.buckets.get(name);
  if (existing) {
    if (existing.ownerAccountId !== call.ctx.caller.accountId)
      throw s3Error(
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        { BucketName: name },
      );
    // Legacy us-east-1 behaviour: re-creating your own bucket there answers 200.
    if (existing.region === 'us-east-1' && region === 'us-east-1') return emptyResponse(200, { location: `/${name}` });
    throw s3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: name });
  }
  const lock = (header(call.req, 'x-amz-bucket-object-lock-enabled') ?? '').toLowerCase() === 'true';
  call.state.buckets.set(name, {
    name,
    ownerAccountId: call.ctx.caller.accountId,
    region,
    createdAt: call.now,
    versioning: lock ? 'Enabled' : 'Unversioned',
    objectLockEnabled: lock,
    encryption: { algorithm: 'AES256' },
    keys: new Map(),
    uploads: new Map(),
  });
  return emptyResponse(200, { location: `/${name}` });
};

const headBucket: S3Handler = (call) => {
  const bucket = bucketOf(call);
  return emptyResponse(200, { 'x-amz-bucket-region': bucket.region, 'x-amz-access-point-alias': 'false' });
};

const putBucketVersioning: S3Handler = async (call) => {
  const bucket = bucketOf(call);
  const config = (await xmlBody(call, 'VersioningConfiguration'))!;
  const status = childText(config, 'Status');
  if (status !== 'Enabled' && status !== 'Suspended') throw malformedXml();
  if (bucket.objectLockEnabled && status === 'Suspended')
    throw s3Error('InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.');
  bucket.versioning = status;
  return emptyResponse(200);
};

function parseDefaultRetention(config: XmlElement): DefaultRetention | undefined {
  const rule = child(config, 'Rule');
  if (!rule) return undefined;
  const retention = child(rule, 'DefaultRetention');
  if (!retention) throw malformedXml();
  const mode = childText(retention, 'Mode');
  if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') throw malformedXml();
  const days = childText(retention, 'Days');
  const years = childText(retention, 'Years');
  if ((days === undefined) === (years === undefined)) throw malformedXml();
  const value = Number(days ?? years);
  if (!Number.isInteger(value) || value <= 0)
    throw invalidArgument('Default retention period must be a positive integer value', days !== undefined ? 'Days' : 'Years', days ?? years);
  return days !== undefined ? { mode, days: value } : { mode, years: value };
}

const putObjectLockConfiguration: S3Handler = async (call) => {
  const bucket = bucketOf(call);
  const config = (await xmlBody(call, 'ObjectLockConfiguration'))!;
  if (childText(config, 'ObjectLockEnabled') !== 'Enabled') throw malformedXml();
  const rule = parseDefaultRetention(config);
  if (!bucket.objectLockEnabled) {
    // Object Lock can be turned on for an existing bucket only once versioning is enabled.
    if (bucket.versioning !== 'Enabled') throw s3Error('InvalidBucketState', "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration");
    bucket.objectLockEnabled = true;
  }
  bucket.defaultRetention = rule;
  return emptyResponse(200);
};

const getObjectLockConfiguration: S3Handler = (call) => {
  const bucket = bucketOf(call);
  if (!bucket.objectLockEnabled)
    throw s3Error('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', { BucketName: bucket.name });
  const r = bucket.defaultRetention;
  const rule = r ? group('Rule', group('DefaultRetention', el('Mode', r.mode), el('Days', r.days), el('Years', r.years))) : '';
  return xmlResponse(xmlDocument('ObjectLockConfiguration', el('ObjectLockEnabled', 'Enabled'), rule));
};

export const bucketHandlers: Record<string, S3Handler> = {
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  PutBucketVersioning: putBucketVersioning,
  PutObjectLockConfiguration: putObjectLockConfiguration,
  GetObjectLockConfiguration: getObjectLockConfiguration,
};
