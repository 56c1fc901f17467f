// Typed image errors, and the mapping from libvips' free-text failures to stable codes.
import { PortraitistError, type ErrorCode } from '../errors/index.js';
import type { ImageFormat } from './format.js';

/** The codes an image can fail with. */
export type ImageErrorCode = Extract<ErrorCode, `IMAGE_${string}`>;

/**
 * Builds an image error. The message is the one line without the source in front, because the
 * CLI and HTTP layers already print `source` beside it (as they do for briefs).
 */
export function imageError(
  code: ImageErrorCode,
  source: string,
  line: string,
  issue: string,
  cause?: unknown,
): PortraitistError {
  return new PortraitistError(code, line, {
    source,
    issues: [{ path: 'image', message: issue }],
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The first line of a libvips message, without sharp's "Input buffer has …:" preamble. */
export function decoderSays(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n').find((line) => line.trim() !== '') ?? message;
  return first.replace(/^Input (buffer|file) has corrupt header:\s*/i, '').trim();
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// Truncation is judged from the container wherever it can be: libvips words it vaguely or not at
// all ("libpng read error", "unable to parse image", "bad seek"), and a complete file with a
// damaged middle must not be called cut short.

/** A PNG is complete when its IEND chunk arrived. */
function pngEnds(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).lastIndexOf('IEND') >= 0;
}

/** A WebP's RIFF header states its length; fewer bytes than that means some never arrived. */
function webpPromisesMore(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && view(bytes).getUint32(4, true) + 8 > bytes.length;
}

/** True when the top-level ISO-BMFF boxes (ftyp, meta, mdat…) claim bytes past the end. */
function isoBoxesOverrun(bytes: Uint8Array): boolean {
  const data = view(bytes);
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let size = data.getUint32(offset);
    if (size === 1) {
      if (offset + 16 > bytes.length) return true;
      size = Number(data.getBigUint64(offset + 8));
    }
    // 0 means "to the end of the file"; below 8 is malformed: neither says anything is missing.
    if (size < 8) return false;
    if (offset + size > bytes.length) return true;
    offset += size;
  }
  return offset < bytes.length;
}

/** A JPEG is complete when its end-of-image marker (FF D9) is among its last bytes. */
function jpegEnds(bytes: Uint8Array): boolean {
  // Entropy-coded data stuffs every FF with 00, so FF D9 near the end can only be the EOI;
  // a little slack allows for padding some encoders write after it.
  const tail = bytes.subarray(Math.max(0, bytes.length - 32));
  for (let i = tail.length - 2; i >= 0; i -= 1) {
    if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  }
  return false;
}

// sharp's prefix when even the header could not be parsed.
const SAYS_BAD_HEADER = /corrupt header/i;
// libheif without an AV1 decoder (possible with a globally installed libvips).
const SAYS_NO_DECODER = /unsupported codec|no decod(er|ing plugin)/i;

/** Which code a libvips failure on these bytes deserves. */
export function classifyDecodeFailure(
  bytes: Uint8Array,
  format: ImageFormat,
  error: unknown,
): Extract<ImageErrorCode, 'IMAGE_TRUNCATED' | 'IMAGE_CORRUPT' | 'IMAGE_UNSUPPORTED'> {
  const message = error instanceof Error ? error.message : String(error);
  switch (format) {
    case 'png':
      return pngEnds(bytes) ? 'IMAGE_CORRUPT' : 'IMAGE_TRUNCATED';
    case 'webp':
      return webpPromisesMore(bytes) ? 'IMAGE_TRUNCATED' : 'IMAGE_CORRUPT';
    case 'avif':
      if (SAYS_NO_DECODER.test(message)) return 'IMAGE_UNSUPPORTED';
      return isoBoxesOverrun(bytes) ? 'IMAGE_TRUNCATED' : 'IMAGE_CORRUPT';
    case 'jpeg':
      // JPEG has no overall length, so a header that ends early is indistinguishable from garbage
      // whose first "segment length" points past the end: without a readable header there is
      // no evidence an image was ever there, so it is called corrupt.
      if (SAYS_BAD_HEADER.test(message)) return 'IMAGE_CORRUPT';
      // Judged from the bytes, not libvips' text: its messages are per-thread and racy, so under
      // concurrency a cut file's "premature end" can arrive as "Unknown error" (issue 14, #7).
      return jpegEnds(bytes) ? 'IMAGE_CORRUPT' : 'IMAGE_TRUNCATED';
  }
}
