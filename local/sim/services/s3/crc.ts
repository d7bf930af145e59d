import * as zlib from 'node:zlib';

/**
 * Reflected CRCs (CRC-32, CRC-32C, CRC-64/NVME) with the algebra that lets the simulator checksum
 * gigabytes it never materializes: crc(A||B) from crc(A), crc(B) and |B| (zlib's crc32_combine,
 * generalised to 64 bits), and crc of a block repeated k times by square-and-multiply.
 *
 * All three use init = xorout = all ones, so the combination works on final CRC values and
 * crc("") = 0. Values are bigints so one code path serves both widths; per-byte loops use
 * 32-bit halves for speed.
 */

export interface CrcSpec {
  name: 'CRC32' | 'CRC32C' | 'CRC64NVME';
  width: 32 | 64;
  /** Reflected polynomial. */
  poly: bigint;
}

// Node >= 20.15 has a native CRC-32 in zlib; the table code below is the fallback.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

export const CRC32: CrcSpec = { name: 'CRC32', width: 32, poly: 0xedb88320n };
export const CRC32C: CrcSpec = { name: 'CRC32C', width: 32, poly: 0x82f63b78n };
// CRC-64/NVME: poly 0xAD93D23594C93659, reflected (https://reveng.sourceforge.io/crc-catalogue, check 0xAE8B14860A799888).
export const CRC64NVME: CrcSpec = { name: 'CRC64NVME', width: 64, poly: 0x9a6c9329ac4bc9b5n };

interface Engine {
  /** Slicing-by-8 tables: entry k*256+b is the CRC of byte b followed by k zero bytes (low/high 32 bits). */
  lo: Int32Array;
  hi: Int32Array;
  /** x^(2^k) mod P, k = 0..66, in reflected form. */
  powers: bigint[];
}

const engines = new Map<string, Engine>();

function engine(spec: CrcSpec): Engine {
  let e = engines.get(spec.name);
  if (e) return e;
  const lo = new Int32Array(8 * 256);
  const hi = new Int32Array(8 * 256);
  const mask = (1n << BigInt(spec.width)) - 1n;
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ spec.poly : c >> 1n;
    c &= mask;
    lo[n] = Number(c & 0xffffffffn);
    hi[n] = Number(c >> 32n);
  }
  for (let t = 1; t < 8; t++) {
    for (let n = 0; n < 256; n++) {
      const pl = lo[(t - 1) * 256 + n]!;
      const ph = hi[(t - 1) * 256 + n]!;
      const idx = pl & 0xff;
      lo[t * 256 + n] = (((pl >>> 8) | (ph << 24)) ^ lo[idx]!) >>> 0;
      hi[t * 256 + n] = ((ph >>> 8) ^ hi[idx]!) >>> 0;
    }
  }
  const powers: bigint[] = [1n << BigInt(spec.width - 2)];
  for (let k = 1; k < 67; k++) powers.push(multModP(spec, powers[k - 1]!, powers[k - 1]!));
  e = { lo, hi, powers };
  engines.set(spec.name, e);
  return e;
}

/** a(x)·b(x) mod P(x) in the reflected representation (x^0 is the top bit). */
function multModP(spec: CrcSpec, a: bigint, b: bigint): bigint {
  let m = 1n << BigInt(spec.width - 1);
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    if (m === 0n) break;
    b = b & 1n ? (b >> 1n) ^ spec.poly : b >> 1n;
  }
  return p;
}

/** x^(8·bytes) mod P. */
function shiftFor(spec: CrcSpec, bytes: number): bigint {
  const { powers } = engine(spec);
  let p = 1n << BigInt(spec.width - 1);
  let k = 3;
  let n = BigInt(bytes);
  while (n > 0n) {
    if (n & 1n) p = multModP(spec, powers[k]!, p);
    n >>= 1n;
    k++;
  }
  return p;
}

/** Incremental CRC over bytes. */
export class Crc {
  private lo: number;
  private hi: number;
  private readonly e: Engine;
  constructor(readonly spec: CrcSpec) {
    this.e = engine(spec);
    this.lo = 0xffffffff;
    this.hi = spec.width === 64 ? 0xffffffff : 0;
  }

  update(data: Uint8Array): this {
    if (this.spec === CRC32 && nativeCrc32) {
      // zlib's crc32 continues from a final value, so convert from the running (inverted) register.
      this.lo = ~nativeCrc32(data, ~this.lo >>> 0) >>> 0;
      return this;
    }
    const { lo: t, hi: u } = this.e;
    let lo = this.lo;
    let hi = this.hi;
    let i = 0;
    const end8 = data.length - (data.length % 8);
    // Slicing-by-8: eight table lookups per 8 bytes instead of one per byte.
    for (; i < end8; i += 8) {
      const a = lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      const b = hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24));
      const i7 = 1792 + (a & 0xff),
        i6 = 1536 + ((a >>> 8) & 0xff),
        i5 = 1280 + ((a >>> 16) & 0xff),
        i4 = 1024 + (a >>> 24);
      const i3 = 768 + (b & 0xff),
        i2 = 512 + ((b >>> 8) & 0xff),
        i1 = 256 + ((b >>> 16) & 0xff),
        i0 = b >>> 24;
      lo = t[i7]! ^ t[i6]! ^ t[i5]! ^ t[i4]! ^ t[i3]! ^ t[i2]! ^ t[i1]! ^ t[i0]!;
      hi = u[i7]! ^ u[i6]! ^ u[i5]! ^ u[i4]! ^ u[i3]! ^ u[i2]! ^ u[i1]! ^ u[i0]!;
    }
    for (; i < data.length; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ t[idx]!;
      hi = (hi >>> 8) ^ u[idx]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  value(): bigint {
    const lo = BigInt((~this.lo >>> 0) >>> 0);
    if (this.spec.width === 32) return lo;
    return (BigInt((~this.hi >>> 0) >>> 0) << 32n) | lo;
  }
}

export function crcOf(spec: CrcSpec, data: Uint8Array): bigint {
  return new Crc(spec).update(data).value();
}

/** crc(A || B) from crc(A), crc(B) and |B|. */
export function crcCombine(spec: CrcSpec, crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA;
  return multModP(spec, shiftFor(spec, lengthB), crcA) ^ crcB;
}

/** crc(X^count) for a block X of `length` bytes with crc(X) = `crc`, in O(log count) combinations. */
export function crcRepeat(spec: CrcSpec, crc: bigint, length: number, count: number): bigint {
  let acc = 0n;
  let base = crc;
  let baseLength = length;
  let n = count;
  while (n > 0) {
    if (n % 2 === 1) acc = crcCombine(spec, acc, base, baseLength);
    n = Math.floor(n / 2);
    if (n > 0) {
      base = crcCombine(spec, base, base, baseLength);
      baseLength *= 2;
    }
  }
  return acc;
}

/**
 * crc(S[a..b)) for a stream S whose prefixes have CRC F: F(b) = F(a)·x^(8(b−a)) ⊕ crc(S[a..b)),
 * so a range's CRC follows from two prefix CRCs.
 */
export function crcOfRange(spec: CrcSpec, prefixA: bigint, prefixB: bigint, length: number): bigint {
  if (length === 0) return 0n;
  return prefixB ^ multModP(spec, shiftFor(spec, length), prefixA);
}

/** Big-endian bytes of a CRC value, as S3 base64-encodes them. */
export function crcBytes(spec: CrcSpec, value: bigint): Buffer {
  const out = Buffer.alloc(spec.width / 8);
  if (spec.width === 32) out.writeUInt32BE(Number(value));
  else out.writeBigUInt64BE(value);
  return out;
}

export function crcFromBytes(spec: CrcSpec, bytes: Buffer): bigint | undefined {
  if (bytes.length !== spec.width / 8) return undefined;
  return spec.width === 32 ? BigInt(bytes.readUInt32BE()) : bytes.readBigUInt64BE();
}
