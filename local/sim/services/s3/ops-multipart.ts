import { createHash, randomBytes } from 'node:crypto';
import { bytesContent, concatContents, contentCrc, contentEtagHex, sliceContent } from './blob.ts';
import { header, receiveBody } from './body.ts';
import { bucketOf, emptyResponse, keyOf, xmlResponse, type S3Call, type S3Handler } from './call.ts';
import {
  checksumHeader,
  checksumOfContent,
  checksumValueHeaders,
  checksumXmlName,
  combineFullObject,
  compositeChecksum,
  crc64Base64,
  multipartChecksumType,
  parseChecksumAlgorithm,
  type StoredChecksum,
} from './checksums.ts';
import { CRC64NVME, crcCombine } from './crc.ts';
import { invalidArgument, malformedXml, noSuchUpload, s3Error } from './errors.ts';
import { encryptionHeaders, objectAttributes, requestedEncryption, requestedLock, versionHeader } from './headers.ts';
import type { Bucket, MultipartUpload, UploadedPart } from './model.ts';
import { MAX_COPY_SOURCE, resolveCopySource } from './ops-copy.ts';
import { writeConditions } from './ops-write.ts';
import { commitVersion, unquote } from './versions.ts';
import { childrenNamed, childText, el, parseXmlBody, xmlDocument } from './xml.ts';

/** Multipart uploads. Limits: https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
export const MAX_PARTS = 10_000;

export function uploadOf(call: S3Call, bucket: Bucket): MultipartUpload {
  const uploadId = call.query.get('uploadId') ?? '';
  const upload = bucket.uploads.get(uploadId);
  if (!upload || upload.key !== keyOf(call)) throw noSuchUpload(uploadId);
  return upload;
}

function partNumberOf(value: string | null): number {
  const n = Number(value);
  if (value === null || !/^\d+$/.test(value) || n < 1 || n > MAX_PARTS)
    throw invalidArgument(`Part number must be an integer between 1 and ${MAX_PARTS}, inclusive`, 'partNumber', value ?? '');
  return n;
}

const createMultipartUpload: S3Handler = (call) => {
  const bucket = bucketOf(call);
  const key = keyOf(call);
  const algorithm = parseChecksumAlgorithm(header(call.req, 'x-amz-checksum-algorithm'), 'x-amz-checksum-algorithm');
  const requestedType = header(call.req, 'x-amz-checksum-type');
  if (requestedType !== undefined && !algorithm)
    throw s3Error('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
  const lock = requestedLock(call.req, bucket, call.now);
  const upload: MultipartUpload = {
    uploadId: randomBytes(48).toString('base64url'),
    key,
    initiated: call.now,
    initiatorArn: call.ctx.caller.principalArn,
    attributes: objectAttributes(call.req),
    encryption: requestedEncryption(call.req, bucket, bucket.region),
    retention: lock.retention,
    legalHold: lock.legalHold,
    checksumAlgorithm: algorithm,
    checksumType: algorithm ? multipartChecksumType(algorithm, requestedType) : undefined,
    parts: new Map(),
  };
  bucket.uploads.set(upload.uploadId, upload);
  const headers: Record<string, string> = { ...encryptionHeaders(upload.encryption) };
  if (upload.checksumAlgorithm) {
    headers['x-amz-checksum-algorithm'] = upload.checksumAlgorithm;
    headers['x-amz-checksum-type'] = upload.checksumType!;
  }
  return xmlResponse(xmlDocument('InitiateMultipartUploadResult', el('Bucket', bucket.name), el('Key', key), el('UploadId', upload.uploadId)), headers);
};

const uploadPart: S3Handler = async (call) => {
  const bucket = bucketOf(call);
  const upload = uploadOf(call, bucket);
  const partNumber = partNumberOf(call.query.get('partNumber'));
  const body = await receiveBody(call.req, { maxSize: MAX_PART_SIZE });
  const algorithm = upload.checksumAlgorithm;
  if (algorithm && body.declared && body.declared.algorithm !== algorithm) {
    throw s3Error(
      'InvalidRequest',
      `Checksum Type mismatch occurred, expected checksum Type: ${algorithm.toLowerCase()}, actual checksum Type: ${body.declared.algorithm.toLowerCase()}`,
    );
  }
  const content = bytesContent(body.data);
  const checksum = algorithm ? (body.declared?.raw ?? checksumOfContent(algorithm, content)) : undefined;
  const part: UploadedPart = { partNumber, content, etag: `"${body.md5.toString('hex')}"`, lastModified: call.ctx.world.now(), checksum, crc64: body.crc64 };
  upload.parts.set(partNumber, part);
  const headers: Record<string, string> = { etag: part.etag, ...encryptionHeaders(upload.encryption) };
  if (algorithm && checksum) headers[checksumHeader(algorithm)] = checksum.toString('base64');
  else if (body.declared) headers[checksumHeader(body.declared.algorithm)] = body.declared.raw.toString('base64');
  return emptyResponse(200, headers);
};

function parseCopyRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!match) {
    throw invalidArgument(
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      'x-amz-copy-source-range',
      value,
    );
  }
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start > end || end >= size) throw invalidArgument(`Range specified is not valid for source object of size: ${size}`, 'x-amz-copy-source-range', value);
  return { start, end: end + 1 };
}

/** Copies a byte range of another object into a part by reference: gigabytes cost O(segments). */
const uploadPartCopy: S3Handler = (call) => {
  const bucket = bucketOf(call);
  const upload = uploadOf(call, bucket);
  const partNumber = partNumberOf(call.query.get('partNumber'));
  const source = resolveCopySource(call);
  const size = source.version.content.size;
  const range = parseCopyRange(header(call.req, 'x-amz-copy-source-range'), size);
  if (!range && size > MAX_COPY_SOURCE)
    throw s3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE}`);
  if (range && range.end - range.start > MAX_PART_SIZE)
    throw s3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: range.end - range.start,
      MaxSizeAllowed: MAX_PART_SIZE,
    });
  const content = range ? sliceContent(source.version.content, range.start, range.end) : source.version.content;
  const crc64 = range ? contentCrc(CRC64NVME, content) : BigInt(`0x${Buffer.from(source.version.crc64nvme, 'base64').toString('hex')}`);
  const algorithm = upload.checksumAlgorithm;
  const checksum = algorithm ? checksumOfContent(algorithm, content) : undefined;
  const part: UploadedPart = { partNumber, content, etag: `"${contentEtagHex(content, crc64)}"`, lastModified: call.now, checksum, crc64 };
  upload.parts.set(partNumber, part);
  const result = [el('ETag', part.etag), el('LastModified', part.lastModified)];
  if (algorithm && checksum) result.push(el(checksumXmlName(algorithm), checksum.toString('base64')));
  return xmlResponse(xmlDocument('CopyPartResult', ...result), { ...source.headers, ...encryptionHeaders(upload.encryption) });
};

const completeMultipartUpload: S3Handler = async (call) => {
  const bucket = bucketOf(call);
  const upload = uploadOf(call, bucket);
  const body = await receiveBody(call.req, { maxSize: 8 * 1024 * 1024, checksumHeadersDescribeBody: false });
  const listed = childrenNamed(parseXmlBody(body.data, 'CompleteMultipartUpload'), 'Part');
  if (listed.length === 0 || listed.length > MAX_PARTS) throw malformedXml();
  const algorithm = upload.checksumAlgorithm;
  const parts: UploadedPart[] = [];
  let previous = 0;
  for (const element of listed) {
    const partNumber = partNumberOf(childText(element, 'PartNumber') ?? null);
    if (partNumber <= previous)
      throw s3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', { UploadId: upload.uploadId });
    previous = partNumber;
    const etag = childText(element, 'ETag') ?? '';
    const part = upload.parts.get(partNumber);
    const invalidPart = () =>
      s3Error(
        'InvalidPart',
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        {
          UploadId: upload.uploadId,
          PartNumber: partNumber,
          ETag: etag,
        },
      );
    if (!part || unquote(part.etag) !== unquote(etag)) throw invalidPart();
    if (algorithm && part.checksum) {
      const claimed = childText(element, checksumXmlName(algorithm));
      if (claimed === undefined && upload.checksumType === 'COMPOSITE') {
        throw s3Error(
          'InvalidRequest',
          `The upload was created using a ${algorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${partNumber} in the request.`,
        );
      }
      if (claimed !== undefined && claimed !== part.checksum.toString('base64')) throw invalidPart();
    }
    parts.push(part);
  }
  parts.forEach((part, i) => {
    if (i < parts.length - 1 && part.content.size < MIN_PART_SIZE) {
      throw s3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
        ProposedSize: part.content.size,
        MinSizeAllowed: MIN_PART_SIZE,
        PartNumber: part.partNumber,
        ETag: part.etag,
      });
    }
  });
  const content = concatContents(parts.map((p) => p.content));
  const declaredSize = header(call.req, 'x-amz-mp-object-size');
  if (declaredSize !== undefined && Number(declaredSize) !== content.size) {
    throw s3Error('InvalidRequest', `The provided 'x-amz-mp-object-size' header value ${declaredSize} does not match what was computed: ${content.size}`);
  }
  let crc64 = 0n;
  for (const part of parts) crc64 = crcCombine(CRC64NVME, crc64, part.crc64, part.content.size);
  let checksum: StoredChecksum | undefined;
  if (algorithm) {
    const raws = parts.map((p) => p.checksum!);
    const value =
      upload.checksumType === 'COMPOSITE'
        ? compositeChecksum(algorithm, raws)
        : combineFullObject(
            algorithm,
            parts.map((p, i) => ({ raw: raws[i]!, size: p.content.size })),
          ).toString('base64');
    checksum = { algorithm, value, type: upload.checksumType! };
  }
  verifyClaimedObjectChecksum(call, checksum, crc64Base64(crc64));
  const md5s = Buffer.concat(parts.map((p) => Buffer.from(unquote(p.etag), 'hex')));
  const version = commitVersion(
    bucket,
    {
      key: upload.key,
      deleteMarker: false,
      lastModified: call.ctx.world.now(),
      content,
      etag: `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`,
      crc64nvme: crc64Base64(crc64),
      checksum: checksum?.algorithm === 'CRC64NVME' ? undefined : checksum,
      attributes: upload.attributes,
      encryption: upload.encryption,
      retention: upload.retention,
      legalHold: upload.legalHold,
      parts: parts.map((p) => ({ size: p.content.size, checksum: p.checksum?.toString('base64') })),
    },
    writeConditions(call.req),
  );
  bucket.uploads.delete(upload.uploadId);
  const shown = checksum ?? { algorithm: 'CRC64NVME' as const, value: version.crc64nvme, type: 'FULL_OBJECT' as const };
  return xmlResponse(
    xmlDocument(
      'CompleteMultipartUploadResult',
      el('Location', `${call.req.url.origin}/${bucket.name}/${encodeURIComponent(upload.key).replace(/%2F/g, '/')}`),
      el('Bucket', bucket.name),
      el('Key', upload.key),
      el('ETag', version.etag),
      el(checksumXmlName(shown.algorithm), shown.value),
      el('ChecksumType', shown.type),
    ),
    { ...versionHeader(bucket, version.versionId), ...encryptionHeaders(version.encryption) },
  );
};

/** A whole-object checksum sent with CompleteMultipartUpload must match what the parts add up to. */
function verifyClaimedObjectChecksum(call: S3Call, checksum: StoredChecksum | undefined, crc64: string): void {
  const claimedType = header(call.req, 'x-amz-checksum-type');
  if (claimedType !== undefined && claimedType.toUpperCase() !== (checksum?.type ?? 'FULL_OBJECT')) {
    throw s3Error(
      'InvalidRequest',
      `The upload was created using the ${checksum?.type ?? 'FULL_OBJECT'} checksum mode. The complete request must use the same checksum mode.`,
    );
  }
  for (const claim of checksumValueHeaders(call.req.headers)) {
    const actual =
      claim.algorithm === 'CRC64NVME' && checksum?.algorithm !== 'CRC64NVME' ? crc64 : checksum?.algorithm === claim.algorithm ? checksum.value : undefined;
    if (actual === undefined) throw s3Error('InvalidRequest', `The upload was not created using the ${claim.algorithm.toLowerCase()} checksum algorithm.`);
    if (actual !== claim.value) throw s3Error('BadDigest', `The ${claim.algorithm} you specified did not match the calculated checksum.`);
  }
}

const abortMultipartUpload: S3Handler = (call) => {
  const bucket = bucketOf(call);
  bucket.uploads.delete(uploadOf(call, bucket).uploadId);
  return emptyResponse(204);
};

export const multipartHandlers: Record<string, S3Handler> = {
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
};
