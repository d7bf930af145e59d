import { randomBytes } from 'node:crypto';
import { escapeXml, type SimResponse, type SimService } from '../../protocol.ts';
import { classify, makeCall, type S3Handler } from './call.ts';
import { S3Error, s3Error } from './errors.ts';
import { bucketHandlers } from './ops-bucket.ts';
import { copyHandlers } from './ops-copy.ts';
import { listHandlers } from './ops-list.ts';
import { multipartHandlers } from './ops-multipart.ts';
import { readHandlers } from './ops-read.ts';
import { writeHandlers } from './ops-write.ts';

/**
 * Amazon S3 over REST-XML with path-style addressing (http://host/bucket/key), selected by the
 * SigV4 signing name `s3`. Operation names are the SDK command names without "Command", so the
 * ledger, throttling and `traffic.inject({ service: 's3', operation: 'UploadPartCopy' })` use them.
 * See docs/simulator/s3.md for what is modelled and every known difference from AWS.
 */
const HANDLERS: Record<string, S3Handler> = {
  ...bucketHandlers,
  ...readHandlers,
  ...writeHandlers,
  ...copyHandlers,
  ...multipartHandlers,
  ...listHandlers,
};

/** Errors raised by the shared simulator core, spelled the way S3 spells them. */
const S3_CODES: Record<string, string> = { InternalFailure: 'InternalError', ExpiredTokenException: 'ExpiredToken' };

/** Operations whose errors S3 sends without a body (HEAD responses have none). */
const BODILESS = new Set(['HeadObject', 'HeadBucket']);

function hostId(): string {
  return randomBytes(32).toString('base64');
}

export function s3Service(): SimService {
  return {
    signingName: 's3',
    async operationOf(req) {
      const operation = classify(req);
      if (!Object.hasOwn(HANDLERS, operation)) throw s3Error('NotImplemented', `${operation} is not implemented by the simulator`);
      return operation;
    },
    async handle(req, ctx) {
      const response: SimResponse = await HANDLERS[ctx.operation]!(makeCall(req, ctx));
      return { ...response, headers: { 'x-amz-request-id': ctx.requestId, 'x-amz-id-2': hostId(), server: 'AmazonS3', ...(response.headers ?? {}) } };
    },
    renderError(error, ctx) {
      const headers: Record<string, string> = {
        'x-amz-request-id': ctx.requestId,
        'x-amz-id-2': hostId(),
        server: 'AmazonS3',
        ...(error instanceof S3Error ? error.headers : {}),
      };
      if (BODILESS.has(ctx.operation) || error.status === 304) return { status: error.status, headers: { ...headers, 'content-length': '0' }, body: '' };
      const extra = Object.entries(error.extra)
        .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
        .join('');
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${escapeXml(S3_CODES[error.code] ?? error.code)}</Code><Message>${escapeXml(error.message)}</Message>${extra}<RequestId>${ctx.requestId}</RequestId><HostId>${headers['x-amz-id-2']}</HostId></Error>`;
      return { status: error.status, headers: { ...headers, 'content-type': 'application/xml' }, body };
    },
    throttlingError() {
      return s3Error('SlowDown', 'Please reduce your request rate.');
    },
  };
}
