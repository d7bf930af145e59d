import { SimError } from '../../protocol.ts';

/**
 * S3 errors: the wire code, S3's HTTP status for it, extra `<Error>` children (BucketName, Key,
 * ActualObjectSize…) and, rarely, response headers (x-amz-bucket-region on redirects).
 * Statuses follow https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export class S3Error extends SimError {
  constructor(
    code: string,
    message: string,
    status: number,
    extra: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code, message, status, status >= 500 ? 'Receiver' : 'Sender', extra);
  }
}

const STATUS: Record<string, number> = {
  PermanentRedirect: 301,
  NotModified: 304,
  AccessDenied: 403,
  InvalidObjectState: 403,
  InvalidChunkSizeError: 403,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NotFound: 404,
  ObjectLockConfigurationNotFoundError: 404,
  NoSuchObjectLockConfiguration: 404,
  MethodNotAllowed: 405,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  InvalidBucketState: 409,
  MissingContentLength: 411,
  PreconditionFailed: 412,
  InvalidRange: 416,
  InvalidPartNumber: 416,
  InternalError: 500,
  NotImplemented: 501,
  SlowDown: 503,
};

export function s3Error(code: string, message: string, extra: Record<string, string | number> = {}, headers: Record<string, string> = {}): S3Error {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(extra)) fields[key] = String(value);
  return new S3Error(code, message, STATUS[code] ?? 400, fields, headers);
}

export const noSuchBucket = (bucket: string) => s3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
export const noSuchKey = (key: string, headers: Record<string, string> = {}) =>
  s3Error('NoSuchKey', 'The specified key does not exist.', { Key: key }, headers);
export const noSuchUpload = (uploadId: string) =>
  s3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', {
    UploadId: uploadId,
  });
export const preconditionFailed = (condition: string) =>
  s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
export const malformedXml = () => s3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
export const invalidArgument = (message: string, name?: string, value?: string) =>
  s3Error('InvalidArgument', message, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' });
export const notImplemented = (what: string) =>
  s3Error('NotImplemented', `A header or query you provided implies functionality that is not implemented: ${what}`);
