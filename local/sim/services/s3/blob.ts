import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Crc, crcCombine, crcOf, crcOfRange, crcRepeat, type CrcSpec } from './crc.ts';

/**
 * Object content as a list of segments, so that copies share storage and multi-gigabyte objects
 * cost almost nothing: a segment is either real bytes or a window onto a synthetic blob.
 *
 * A synthetic blob is the infinite periodic stream S(seed) = B(seed) B(seed) B(seed)…, where B is a
 * seeded pseudo-random block of SYNTHETIC_PERIOD bytes. The period is prime (just under 1 MiB), so
 * a range taken at a wrong offset (a part copied twice, parts swapped, an off-by-one-part window)
 * has different content and a different CRC: offsets that are multiples of part sizes never line up
 * with the period. CRCs of any window follow from prefix CRCs (crc.ts), in O(64 KiB + log n).
 */
export const SYNTHETIC_PERIOD = 1_048_573;
const CHECKPOINT = 64 * 1024;
const STREAM_CHUNK = 256 * 1024;

export type Segment =
  { readonly kind: 'bytes'; readonly data: Buffer } | { readonly kind: 'synthetic'; readonly seed: number; readonly offset: number; readonly length: number };

export interface Content {
  readonly segments: readonly Segment[];
  readonly size: number;
}

export const EMPTY_CONTENT: Content = { segments: [], size: 0 };

export function bytesContent(data: Buffer): Content {
  return data.length === 0 ? EMPTY_CONTENT : { segments: [{ kind: 'bytes', data }], size: data.length };
}

export function syntheticContent(seed: number, size: number): Content {
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`synthetic size must be a non-negative integer, got ${size}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`synthetic seed must be an integer, got ${seed}`);
  return size === 0 ? EMPTY_CONTENT : { segments: [{ kind: 'synthetic', seed: normalizeSeed(seed), offset: 0, length: size }], size };
}

/** True when every byte is held in memory (then MD5 ETags are real). */
export function isMaterialized(content: Content): boolean {
  return content.segments.every((s) => s.kind === 'bytes');
}

function segmentLength(segment: Segment): number {
  return segment.kind === 'bytes' ? segment.data.length : segment.length;
}

/** Bytes [start, end) as segment references; nothing is copied. */
export function sliceContent(content: Content, start: number, end: number): Content {
  if (start < 0 || end > content.size || start > end) throw new RangeError(`slice ${start}-${end} outside 0-${content.size}`);
  const out: Segment[] = [];
  let position = 0;
  for (const segment of content.segments) {
    const length = segmentLength(segment);
    const from = Math.max(start, position);
    const to = Math.min(end, position + length);
    if (from < to) {
      const a = from - position;
      const b = to - position;
      out.push(segment.kind === 'bytes' ? { kind: 'bytes', data: segment.data.subarray(a, b) } : { ...segment, offset: segment.offset + a, length: b - a });
    }
    position += length;
    if (position >= end) break;
  }
  return { segments: out, size: end - start };
}

export function concatContents(contents: readonly Content[]): Content {
  const segments = contents.flatMap((c) => c.segments);
  return { segments, size: contents.reduce((sum, c) => sum + c.size, 0) };
}

// ---- synthetic blocks -------------------------------------------------------------------------

interface SeedData {
  block: Buffer;
  crcs: Map<string, { block: bigint; checkpoints: bigint[] }>;
}

const seedCache = new Map<number, SeedData>();
const SEED_CACHE_LIMIT = 16;

function normalizeSeed(seed: number): number {
  return Number(BigInt.asUintN(32, BigInt(seed)));
}

function seedData(seed: number): SeedData {
  const cached = seedCache.get(seed);
  if (cached) {
    seedCache.delete(seed);
    seedCache.set(seed, cached);
    return cached;
  }
  // mulberry32: tiny, fast and deterministic across platforms.
  const block = Buffer.allocUnsafe(SYNTHETIC_PERIOD + 3);
  let state = seed ^ 0x9e3779b9;
  for (let i = 0; i < block.length; i += 4) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    block.writeUInt32LE((t ^ (t >>> 14)) >>> 0, i);
  }
  const data: SeedData = { block: block.subarray(0, SYNTHETIC_PERIOD), crcs: new Map() };
  seedCache.set(seed, data);
  if (seedCache.size > SEED_CACHE_LIMIT) seedCache.delete(seedCache.keys().next().value!);
  return data;
}

function seedCrc(spec: CrcSpec, seed: number): { block: bigint; checkpoints: bigint[] } {
  const data = seedData(seed);
  let entry = data.crcs.get(spec.name);
  if (!entry) {
    const crc = new Crc(spec);
    const checkpoints: bigint[] = [0n];
    for (let at = 0; at < SYNTHETIC_PERIOD; at += CHECKPOINT) {
      crc.update(data.block.subarray(at, Math.min(SYNTHETIC_PERIOD, at + CHECKPOINT)));
      checkpoints.push(crc.value());
    }
    entry = { block: crc.value(), checkpoints };
    data.crcs.set(spec.name, entry);
  }
  return entry;
}

/** CRC of the first n bytes of the synthetic stream of `seed`. */
function syntheticPrefixCrc(spec: CrcSpec, seed: number, n: number): bigint {
  const { block, checkpoints } = seedCrc(spec, seed);
  const whole = Math.floor(n / SYNTHETIC_PERIOD);
  const rest = n - whole * SYNTHETIC_PERIOD;
  const index = Math.floor(rest / CHECKPOINT);
  const checkpointEnd = index * CHECKPOINT;
  const tail = crcOf(spec, seedData(seed).block.subarray(checkpointEnd, rest));
  const partial = crcCombine(spec, checkpoints[index]!, tail, rest - checkpointEnd);
  return crcCombine(spec, crcRepeat(spec, block, SYNTHETIC_PERIOD, whole), partial, rest);
}

function segmentCrc(spec: CrcSpec, segment: Segment): bigint {
  if (segment.kind === 'bytes') return crcOf(spec, segment.data);
  const before = syntheticPrefixCrc(spec, segment.seed, segment.offset);
  const after = syntheticPrefixCrc(spec, segment.seed, segment.offset + segment.length);
  return crcOfRange(spec, before, after, segment.length);
}

/** CRC of the whole content without reading synthetic bytes. */
export function contentCrc(spec: CrcSpec, content: Content): bigint {
  let acc = 0n;
  for (const segment of content.segments) acc = crcCombine(spec, acc, segmentCrc(spec, segment), segmentLength(segment));
  return acc;
}

// ---- reading ----------------------------------------------------------------------------------

/** The content's bytes in chunks (synthetic chunks are views of the cached block, not copies). */
export function* contentChunks(content: Content): Generator<Buffer> {
  for (const segment of content.segments) {
    if (segment.kind === 'bytes') {
      for (let at = 0; at < segment.data.length; at += STREAM_CHUNK) yield segment.data.subarray(at, Math.min(segment.data.length, at + STREAM_CHUNK));
      continue;
    }
    const { block } = seedData(segment.seed);
    let position = segment.offset % SYNTHETIC_PERIOD;
    let remaining = segment.length;
    while (remaining > 0) {
      const take = Math.min(remaining, STREAM_CHUNK, SYNTHETIC_PERIOD - position);
      yield block.subarray(position, position + take);
      remaining -= take;
      position = (position + take) % SYNTHETIC_PERIOD;
    }
  }
}

export function contentStream(content: Content): Readable {
  return Readable.from(contentChunks(content), { objectMode: false });
}

export const MAX_MATERIALIZE_BYTES = 64 * 1024 * 1024;

export function contentBytes(content: Content, limit = MAX_MATERIALIZE_BYTES): Buffer {
  if (content.size > limit) throw new Error(`object of ${content.size} bytes is too large to read into memory (limit ${limit})`);
  if (content.segments.length === 1 && content.segments[0]!.kind === 'bytes') return content.segments[0]!.data;
  return Buffer.concat([...contentChunks(content)]);
}

/** A cryptographic digest of the content. Synthetic content is generated on the fly: O(size). */
export function contentDigest(algorithm: 'md5' | 'sha1' | 'sha256', content: Content): Buffer {
  const hash = createHash(algorithm);
  for (const chunk of contentChunks(content)) hash.update(chunk);
  return hash.digest();
}

/**
 * The ETag of single-part content: its MD5 when all bytes are real; for synthetic content (whose
 * MD5 would take a full read) a stable MD5-shaped digest of its size and CRC-64/NVME, so that
 * copies keep their source's ETag as on AWS.
 */
export function contentEtagHex(content: Content, crc64: bigint): string {
  if (isMaterialized(content)) return contentDigest('md5', content).toString('hex');
  return createHash('md5')
    .update(`synthetic:${content.size}:${crc64.toString(16)}`)
    .digest('hex');
}
