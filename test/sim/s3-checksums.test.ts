import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_PERIOD, concatContents, contentBytes, contentCrc, sliceContent, syntheticContent, bytesContent } from '../../local/sim/services/s3/blob.ts';
import { AwsChunkedDecoder } from '../../local/sim/services/s3/chunked.ts';
import { combineFullObject, compositeChecksum } from '../../local/sim/services/s3/checksums.ts';
import { CRC32, CRC32C, CRC64NVME, crcBytes, crcCombine, crcOf, crcRepeat } from '../../local/sim/services/s3/crc.ts';
import { parseXml } from '../../local/sim/services/s3/xml.ts';

describe('CRC engines', () => {
  it('match the catalogue check values for "123456789"', () => {
    const check = Buffer.from('123456789');
    expect(crcOf(CRC32, check)).toBe(0xcbf43926n);
    expect(crcOf(CRC32C, check)).toBe(0xe3069283n);
    expect(crcOf(CRC64NVME, check)).toBe(0xae8b14860a799888n);
  });

  it('agree with zlib on CRC-32 and with the iSCSI vectors on CRC-32C', () => {
    const data = randomBytes(300);
    for (let n = 0; n <= data.length; n += 13) expect(crcOf(CRC32, data.subarray(0, n))).toBe(BigInt(crc32(data.subarray(0, n))));
    // RFC 3720 B.4
    expect(crcOf(CRC32C, Buffer.alloc(32, 0))).toBe(0x8a9136aan);
    expect(crcOf(CRC32C, Buffer.alloc(32, 0xff))).toBe(0x62a8ab43n);
  });

  it('compute the same 8-bytes-at-a-time as byte by byte', () => {
    const data = randomBytes(203);
    for (const spec of [CRC32C, CRC64NVME]) {
      let byteWise = 0n;
      for (const byte of data) byteWise = crcCombine(spec, byteWise, crcOf(spec, Buffer.from([byte])), 1);
      expect(crcOf(spec, data)).toBe(byteWise);
    }
  });

  it('combine and repeat without reading the data again', () => {
    const a = randomBytes(1001);
    const b = randomBytes(4099);
    for (const spec of [CRC32, CRC32C, CRC64NVME]) {
      expect(crcCombine(spec, crcOf(spec, a), crcOf(spec, b), b.length)).toBe(crcOf(spec, Buffer.concat([a, b])));
      expect(crcRepeat(spec, crcOf(spec, a), a.length, 13)).toBe(crcOf(spec, Buffer.concat(Array(13).fill(a))));
      expect(crcRepeat(spec, crcOf(spec, a), a.length, 0)).toBe(0n);
    }
  });
});

describe('synthetic content', () => {
  const size = 3 * SYNTHETIC_PERIOD + 12_345;
  const content = syntheticContent(77, size);
  const bytes = contentBytes(content);

  it('is deterministic per seed and different across seeds', () => {
    expect(contentBytes(syntheticContent(77, 4096)).equals(bytes.subarray(0, 4096))).toBe(true);
    expect(contentBytes(syntheticContent(78, 4096)).equals(bytes.subarray(0, 4096))).toBe(false);
  });

  it('has range CRCs equal to the CRCs of the materialized bytes, across period boundaries', () => {
    const ranges = [
      [0, size],
      [1, 2],
      [SYNTHETIC_PERIOD - 5, SYNTHETIC_PERIOD + 5],
      [123_456, 2 * SYNTHETIC_PERIOD + 99],
      [SYNTHETIC_PERIOD, 3 * SYNTHETIC_PERIOD],
      [size - 10, size],
    ] as const;
    for (const [start, end] of ranges) {
      const slice = sliceContent(content, start, end);
      for (const spec of [CRC32, CRC64NVME]) expect(contentCrc(spec, slice)).toBe(crcOf(spec, bytes.subarray(start, end)));
    }
  });

  it('keeps CRCs of mixed byte/synthetic concatenations exact', () => {
    const mixed = concatContents([bytesContent(Buffer.from('header')), sliceContent(content, 10, 70_000), bytesContent(Buffer.from('trailer'))]);
    expect(contentCrc(CRC64NVME, mixed)).toBe(crcOf(CRC64NVME, contentBytes(mixed)));
  });

  it('differs when a part-sized window is taken at the wrong offset (the period is prime)', () => {
    const big = syntheticContent(5, 64 * 1024 * 1024);
    const part = 5 * 1024 * 1024;
    const first = contentCrc(CRC64NVME, sliceContent(big, 0, part));
    for (let k = 1; k < 12; k++) expect(contentCrc(CRC64NVME, sliceContent(big, k * part, (k + 1) * part))).not.toBe(first);
  });

  it('checksums a terabyte-scale object in milliseconds', () => {
    const started = Date.now();
    const huge = syntheticContent(11, 2 ** 40 + 17);
    const whole = contentCrc(CRC64NVME, huge);
    const split = crcCombine(
      CRC64NVME,
      contentCrc(CRC64NVME, sliceContent(huge, 0, 2 ** 39)),
      contentCrc(CRC64NVME, sliceContent(huge, 2 ** 39, 2 ** 40 + 17)),
      2 ** 39 + 17,
    );
    expect(split).toBe(whole);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('multipart checksum arithmetic', () => {
  it('builds FULL_OBJECT from part CRCs and COMPOSITE from the concatenated part checksums', () => {
    const p1 = randomBytes(1000);
    const p2 = randomBytes(333);
    const raw = (d: Buffer) => crcBytes(CRC32, crcOf(CRC32, d));
    expect(
      combineFullObject('CRC32', [
        { raw: raw(p1), size: p1.length },
        { raw: raw(p2), size: p2.length },
      ]).equals(raw(Buffer.concat([p1, p2]))),
    ).toBe(true);
    expect(compositeChecksum('CRC32', [raw(p1), raw(p2)])).toBe(`${raw(Buffer.concat([raw(p1), raw(p2)])).toString('base64')}-2`);
  });
});

describe('aws-chunked decoder', () => {
  it('decodes the same bytes however the stream is split', () => {
    const data = randomBytes(20_000);
    const encoded = Buffer.from(`${(9000).toString(16)};chunk-signature=${'a'.repeat(64)}\r\n`);
    const body = Buffer.concat([
      encoded,
      data.subarray(0, 9000),
      Buffer.from(`\r\n${(11000).toString(16)}\r\n`),
      data.subarray(9000),
      Buffer.from('\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'),
    ]);
    for (const step of [1, 7, 4096, body.length]) {
      const out: Buffer[] = [];
      const decoder = new AwsChunkedDecoder((d) => out.push(Buffer.from(d)));
      for (let i = 0; i < body.length; i += step) decoder.push(body.subarray(i, i + step));
      decoder.end();
      expect(Buffer.concat(out).equals(data)).toBe(true);
      expect(decoder.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAAAA==' });
    }
  });
});

describe('request XML parser', () => {
  it('reads elements, entities, CDATA and prefixed names', () => {
    const root = parseXml(
      '<?xml version="1.0"?>\n<s3:Delete xmlns:s3="x"><!-- c --><Object><Key>a&amp;b&#x41;</Key></Object><Object><Key><![CDATA[<raw>]]></Key></Object></s3:Delete>',
    );
    expect(root.name).toBe('Delete');
    expect(root.children.map((c) => c.children[0]!.text)).toEqual(['a&bA', '<raw>']);
  });

  it.each(['', '<a>', '<a></b>', '<a/><b/>', '<!DOCTYPE a><a/>', 'text', '<a>&unknown;</a>', `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`])(
    'rejects %j as MalformedXML',
    (source) => {
      expect(() => parseXml(source)).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    },
  );
});
