import { bucketOf, xmlResponse, type S3Handler } from './call.ts';
import { checksumXmlName } from './checksums.ts';
import { invalidArgument } from './errors.ts';
import { canonicalId } from './ops-bucket.ts';
import { uploadOf } from './ops-multipart.ts';
import { el, group, xmlDocument } from './xml.ts';

/** ListParts and ListMultipartUploads: what an unfinished multipart upload holds. */

const listParts: S3Handler = (call) => {
  const bucket = bucketOf(call);
  const upload = uploadOf(call, bucket);
  const marker = Number(call.query.get('part-number-marker') ?? '0');
  const maxRaw = call.query.get('max-parts') ?? '1000';
  const max = Math.min(1000, Number(maxRaw));
  if (!Number.isInteger(max) || max < 0) throw invalidArgument('Provided max-parts not an integer or within integer range', 'max-parts', maxRaw);
  if (!Number.isInteger(marker) || marker < 0) throw invalidArgument('Provided part-number-marker not an integer or within integer range', 'part-number-marker', String(marker));
  const all = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, max);
  const truncated = all.length > page.length;
  const algorithm = upload.checksumAlgorithm;
  return xmlResponse(
    xmlDocument(
      'ListPartsResult',
      el('Bucket', bucket.name),
      el('Key', upload.key),
      el('UploadId', upload.uploadId),
      el('PartNumberMarker', marker),
      el('NextPartNumberMarker', page.length > 0 ? page[page.length - 1]!.partNumber : marker),
      el('MaxParts', max),
      el('IsTruncated', truncated),
      ...page.map((p) =>
        group(
          'Part',
          el('PartNumber', p.partNumber),
          el('LastModified', p.lastModified),
          el('ETag', p.etag),
          el('Size', p.content.size),
          algorithm && p.checksum ? el(checksumXmlName(algorithm), p.checksum.toString('base64')) : '',
        ),
      ),
      group('Initiator', el('ID', upload.initiatorArn)),
      group('Owner', el('ID', canonicalId(bucket.ownerAccountId))),
      el('StorageClass', upload.attributes.storageClass),
      el('ChecksumAlgorithm', algorithm),
      el('ChecksumType', upload.checksumType),
    ),
  );
};

const listMultipartUploads: S3Handler = (call) => {
  const bucket = bucketOf(call);
  const prefix = call.query.get('prefix') ?? '';
  const keyMarker = call.query.get('key-marker') ?? '';
  const idMarker = call.query.get('upload-id-marker') ?? '';
  const max = Math.min(1000, Number(call.query.get('max-uploads') ?? '1000'));
  if (!Number.isInteger(max) || max < 0) throw invalidArgument('max-uploads must be an integer between 0 and 1000', 'max-uploads', String(max));
  const all = [...bucket.uploads.values()]
    .filter((u) => u.key.startsWith(prefix) && (u.key > keyMarker || (u.key === keyMarker && idMarker !== '' && u.uploadId > idMarker)))
    .sort((a, b) => (a.key === b.key ? (a.uploadId < b.uploadId ? -1 : 1) : a.key < b.key ? -1 : 1));
  const page = all.slice(0, max);
  const last = page[page.length - 1];
  const truncated = all.length > page.length;
  return xmlResponse(
    xmlDocument(
      'ListMultipartUploadsResult',
      el('Bucket', bucket.name),
      el('KeyMarker', keyMarker),
      el('UploadIdMarker', idMarker),
      el('NextKeyMarker', truncated ? last?.key : undefined),
      el('NextUploadIdMarker', truncated ? last?.uploadId : undefined),
      el('Prefix', call.query.get('prefix') ?? undefined),
      el('MaxUploads', max),
      el('IsTruncated', truncated),
      ...page.map((u) =>
        group('Upload', el('Key', u.key), el('UploadId', u.uploadId), group('Initiator', el('ID', u.initiatorArn)), el('StorageClass', u.attributes.storageClass), el('Initiated', u.initiated), el('ChecksumAlgorithm', u.checksumAlgorithm), el('ChecksumType', u.checksumType)),
      ),
    ),
  );
};

export const uploadListHandlers: Record<string, S3Handler> = {
  ListParts: listParts,
  ListMultipartUploads: listMultipartUploads,
};
