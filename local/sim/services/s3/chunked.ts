import { s3Error } from './errors.ts';

/**
 * Decoder for S3's `aws-chunked` content encoding, used by SigV4 streaming uploads
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) and by the SDKs' unsigned trailing checksums
 * (STREAMING-UNSIGNED-PAYLOAD-TRAILER):
 *
 *   <hex-size>[;chunk-signature=<sig>]\r\n<data>\r\n … 0[;chunk-signature=<sig>]\r\n[<trailer>:<value>\r\n…]\r\n
 *
 * Chunk signatures are not verified (the simulator does not verify SigV4). Like S3, every chunk but
 * the last must carry at least 8 KiB. https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export const MIN_CHUNK_SIZE = 8192;
const MAX_LINE = 4096;
const MAX_TRAILER = 16 * 1024;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class AwsChunkedDecoder {
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private crlfSeen = 0;
  private chunkIndex = 0;
  private previousChunkSize = -1;
  private trailerBytes = 0;
  readonly trailers: Record<string, string> = {};

  constructor(private readonly sink: (data: Buffer) => void) {}

  push(buffer: Buffer): void {
    let at = 0;
    while (at < buffer.length) {
      switch (this.state) {
        case 'size':
        case 'trailer': {
          const newline = buffer.indexOf(0x0a, at);
          const end = newline === -1 ? buffer.length : newline + 1;
          this.line += buffer.toString('latin1', at, end);
          if (this.state === 'trailer') this.trailerBytes += end - at;
          at = end;
          if (this.line.length > MAX_LINE || this.trailerBytes > MAX_TRAILER) throw malformed('chunk header or trailer too long');
          if (newline === -1) break;
          if (!this.line.endsWith('\r\n')) throw malformed('chunk lines must end with CRLF');
          const text = this.line.slice(0, -2);
          this.line = '';
          if (this.state === 'size') this.onSizeLine(text);
          else this.onTrailerLine(text);
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, buffer.length - at);
          this.sink(buffer.subarray(at, at + take));
          this.remaining -= take;
          at += take;
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'data-end': {
          const expected = this.crlfSeen === 0 ? 0x0d : 0x0a;
          if (buffer[at] !== expected) throw malformed('chunk data must be followed by CRLF');
          at++;
          if (++this.crlfSeen === 2) {
            this.crlfSeen = 0;
            this.state = 'size';
          }
          break;
        }
        case 'done':
          if (buffer.subarray(at).some((b) => b !== 0x0d && b !== 0x0a)) throw malformed('data after the final chunk');
          return;
      }
    }
  }

  /** Call at end of input: the encoding must be complete. */
  end(): void {
    if (this.state !== 'done') throw s3Error('IncompleteBody', 'The request body terminated unexpectedly');
  }

  private onSizeLine(text: string): void {
    const match = /^([0-9a-fA-F]{1,16})(;.*)?$/.exec(text);
    if (!match) throw malformed(`invalid chunk header "${text.slice(0, 80)}"`);
    const size = parseInt(match[1]!, 16);
    if (!Number.isSafeInteger(size)) throw malformed('chunk size too large');
    if (size > 0 && this.previousChunkSize >= 0 && this.previousChunkSize < MIN_CHUNK_SIZE) {
      throw s3Error('InvalidChunkSizeError', `Only the last chunk is allowed to have a size less than ${MIN_CHUNK_SIZE} bytes`, {
        Chunk: this.chunkIndex,
        BadChunkSize: this.previousChunkSize,
      });
    }
    this.chunkIndex++;
    if (size === 0) {
      this.state = 'trailer';
      return;
    }
    this.previousChunkSize = size;
    this.remaining = size;
    this.state = 'data';
  }

  private onTrailerLine(text: string): void {
    if (text === '') {
      this.state = 'done';
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw malformed(`invalid trailer "${text.slice(0, 80)}"`);
    this.trailers[text.slice(0, colon).trim().toLowerCase()] = text.slice(colon + 1).trim();
  }
}

function malformed(detail: string) {
  return s3Error('InvalidRequest', `Invalid aws-chunked encoding: ${detail}`);
}
