// PNG text chunks for provenance: every image Portraitist writes says how it was made, in the
// A1111 `parameters` convention that PNG-info readers across the ecosystem show, plus JSON.
import { crc32 } from 'node:zlib';
import { PortraitistError } from '../errors/index.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(bytes: Uint8Array): boolean {
  return bytes.length > 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typeBytes = new TextEncoder().encode(type);
  out.set(typeBytes, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

/** An uncompressed iTXt chunk: keyword, flags, empty language and translated keyword, UTF-8 text. */
function itxt(keyword: string, text: string): Uint8Array {
  const encoder = new TextEncoder();
  const key = encoder.encode(keyword);
  const body = encoder.encode(text);
  const data = new Uint8Array(key.length + 5 + body.length);
  data.set(key, 0);
  // key \0, compression flag 0, method 0, language \0, translated keyword \0
  data.set(body, key.length + 5);
  return chunk('iTXt', data);
}

/** Chunk types that carry metadata rather than pixels: text, EXIF and the modification time. */
const METADATA_CHUNKS = new Set(['tEXt', 'iTXt', 'zTXt', 'eXIf', 'tIME']);

interface ChunkSpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly data: Uint8Array;
}

/** The chunks of a PNG, in file order, ending at IEND or at the first chunk that runs past the end. */
function chunks(png: Uint8Array): ChunkSpan[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const latin1 = new TextDecoder('latin1');
  const spans: ChunkSpan[] = [];
  for (let offset = 8; offset + 12 <= png.length;) {
    const length = view.getUint32(offset);
    const end = offset + 12 + length;
    if (end > png.length) break;
    const type = latin1.decode(png.subarray(offset + 4, offset + 8));
    spans.push({ type, start: offset, end, data: png.subarray(offset + 8, offset + 8 + length) });
    if (type === 'IEND') break;
    offset = end;
  }
  return spans;
}

/** The keyword of a tEXt, iTXt or zTXt chunk. */
function keywordOf(span: ChunkSpan): string | undefined {
  if (span.type !== 'tEXt' && span.type !== 'iTXt' && span.type !== 'zTXt') return undefined;
  const nul = span.data.indexOf(0);
  return nul > 0 ? new TextDecoder('latin1').decode(span.data.subarray(0, nul)) : undefined;
}

/** A PNG without the chunks `drop` selects, pixels untouched (no re-encoding). */
function withoutChunks(png: Uint8Array, drop: (span: ChunkSpan) => boolean): Uint8Array {
  const kept = chunks(png).filter((span) => !drop(span));
  const size = 8 + kept.reduce((sum, span) => sum + span.end - span.start, 0);
  const out = new Uint8Array(size);
  out.set(png.subarray(0, 8), 0);
  let offset = 8;
  for (const span of kept) {
    out.set(png.subarray(span.start, span.end), offset);
    offset += span.end - span.start;
  }
  return out;
}

/**
 * A PNG with every metadata chunk removed (text such as ComfyUI's embedded graph or A1111's
 * `parameters`, EXIF, time): for export. Pixel data is copied as is, so this is lossless and fast.
 */
export function stripPngMetadata(png: Uint8Array): Uint8Array {
  if (!isPng(png)) throw notPng('metadata can only be stripped from PNG files');
  return withoutChunks(png, (span) => METADATA_CHUNKS.has(span.type));
}

function notPng(message: string): PortraitistError {
  return new PortraitistError('IMAGE_UNSUPPORTED', message, {
    issues: [
      { path: 'image', message: 'expected PNG bytes for `image` but received another format' },
    ],
  });
}

/**
 * Adds text entries (keyword → UTF-8 text) to a PNG, before its IEND chunk. An entry replaces any
 * text chunk already there under the same keyword, so a server's own `parameters` is not doubled.
 */
export function withPngText(
  png: Uint8Array,
  entries: Readonly<Record<string, string>>,
): Uint8Array {
  if (!isPng(png)) throw notPng('provenance can only be embedded in PNG files');
  for (const keyword of Object.keys(entries)) {
    if (!/^[\x20-\x7e]{1,79}$/.test(keyword))
      throw new PortraitistError('USAGE', `bad PNG text keyword`, {
        issues: [
          {
            path: 'keyword',
            message: `expected 1–79 printable Latin characters for \`keyword\` but received ${JSON.stringify(keyword)}`,
          },
        ],
      });
  }
  const replaced = new Set(Object.keys(entries));
  const base = withoutChunks(png, (span) => {
    const keyword = keywordOf(span);
    return keyword !== undefined && replaced.has(keyword);
  });
  return insertBeforeEnd(base, entries);
}

function insertBeforeEnd(png: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array {
  const iendAt = png.length - 12; // IEND is always the last 12 bytes of a well-formed PNG
  const added = Object.entries(entries).map(([k, v]) => itxt(k, v));
  const size = png.length + added.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(size);
  out.set(png.subarray(0, iendAt), 0);
  let offset = iendAt;
  for (const c of added) {
    out.set(c, offset);
    offset += c.length;
  }
  out.set(png.subarray(iendAt), offset);
  return out;
}

/** Reads the tEXt and iTXt entries of a PNG (uncompressed ones). */
export function readPngText(png: Uint8Array): Record<string, string> {
  if (!isPng(png)) return {};
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const decoder = new TextDecoder();
  const latin1 = new TextDecoder('latin1');
  const entries: Record<string, string> = {};
  for (let offset = 8; offset + 12 <= png.length;) {
    const length = view.getUint32(offset);
    const type = latin1.decode(png.subarray(offset + 4, offset + 8));
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'tEXt') {
      const nul = data.indexOf(0);
      if (nul > 0)
        entries[latin1.decode(data.subarray(0, nul))] = latin1.decode(data.subarray(nul + 1));
    } else if (type === 'iTXt') {
      const nul = data.indexOf(0);
      if (nul > 0 && data[nul + 1] === 0) {
        const languageEnd = data.indexOf(0, nul + 3);
        const translatedEnd = data.indexOf(0, languageEnd + 1);
        if (languageEnd > 0 && translatedEnd > 0)
          entries[latin1.decode(data.subarray(0, nul))] = decoder.decode(
            data.subarray(translatedEnd + 1),
          );
      }
    }
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  return entries;
}
