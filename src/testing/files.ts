// Odd image files for the decoder's tests, built here byte by byte (bombs, refused formats).
import { crc32, deflateSync } from 'node:zlib';

/** Known sizes of the sample photos (they carry no EXIF orientation). */
export const samplePhotoSizes = {
  1: { width: 1920, height: 1280 },
  2: { width: 1920, height: 1367 },
  3: { width: 1920, height: 1350 },
  4: { width: 1920, height: 1448 },
  5: { width: 1920, height: 1398 },
  6: { width: 1920, height: 1537 },
} as const;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data and a correct CRC over type + data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const typeBytes = Buffer.from(type, 'ascii');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([typeBytes, data])) >>> 0);
  return Buffer.concat([length, typeBytes, data, crc]);
}

/** An IHDR for 8-bit truecolour RGB of the given size. */
function rgbHeader(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour
  return header;
}

/**
 * A decompression bomb: a valid PNG signature and IHDR claiming width × height, then a tiny IDAT.
 * A few hundred bytes on disk, 30 GB of RGB if anyone believed it and decoded.
 */
export function pngBomb(width = 100_000, height = 100_000): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', rgbHeader(width, height)),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A 1×1 RGB PNG of one colour, built by hand (no encoder involved). */
export function onePixelPng(r: number, g: number, b: number): Buffer {
  // Each scanline starts with its filter type (0 = none).
  const scanline = Buffer.from([0, r, g, b]);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', rgbHeader(1, 1)),
    pngChunk('IDAT', deflateSync(scanline)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** Deterministic pseudo-random bytes (mulberry32), so a failure can be replayed. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i += 1) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    bytes[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return bytes;
}

/** The first bytes of formats we refuse, each enough for sniffing to name it. */
export const refusedFormatHeads = {
  gif: Buffer.concat([Buffer.from('GIF89a', 'ascii'), Buffer.from([1, 0, 1, 0, 0, 0, 0, 0x3b])]),
  bmp: Buffer.concat([Buffer.from('BM', 'ascii'), Buffer.alloc(52)]),
  tiff: Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, 0, 0]),
  heic: Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'),
  ]),
  svg: Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    'utf8',
  ),
} as const;
