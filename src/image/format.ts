// Which image formats we accept, told apart by their magic bytes. File names and client MIME
// types are never consulted: they are whatever the uploader says they are.
import sharp from 'sharp';

/** The formats Portraitist decodes. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'avif';

/** What `sniffFormat` can recognise: our formats plus the common ones we refuse by name. */
export type SniffedFormat = ImageFormat | 'gif' | 'bmp' | 'tiff' | 'heic' | 'svg' | 'unknown';

/** Every format Portraitist can decode when the sharp build allows it, in preference order. */
export const imageFormats: readonly ImageFormat[] = Object.freeze(['jpeg', 'png', 'webp', 'avif']);

/** How each sniffed format is named to people. */
export const formatLabels: Readonly<Record<SniffedFormat, string>> = Object.freeze({
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  avif: 'AVIF',
  gif: 'GIF',
  bmp: 'BMP',
  tiff: 'TIFF',
  heic: 'HEIC',
  svg: 'SVG',
  unknown: 'unknown',
});

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;
// ISO-BMFF brands: AVIF still images and sequences, and the HEVC-based HEIF family.
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set([
  'heic',
  'heix',
  'heim',
  'heis',
  'hevc',
  'hevx',
  'hevm',
  'hevs',
  'mif1',
  'msf1',
]);
// SVG is text, so it can start with a BOM, whitespace, an XML prolog, comments or a doctype.
const SVG_SCAN_BYTES = 4096;

function startsWith(bytes: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + prefix.length) return false;
  return prefix.every((value, index) => bytes[offset + index] === value);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/** The brands of an ISO-BMFF `ftyp` box at the start of the bytes (major first), or none. */
function isoBrands(bytes: Uint8Array): string[] {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return [];
  const declaredSize =
    ((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  // A lying box size must not make us read past the bytes we have.
  const boxEnd = Math.min(declaredSize >>> 0, bytes.length);
  const brands = [ascii(bytes, 8, 12)];
  for (let offset = 16; offset + 4 <= boxEnd; offset += 4)
    brands.push(ascii(bytes, offset, offset + 4));
  return brands;
}

function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder('utf-8', { fatal: false })
    .decode(bytes.subarray(0, SVG_SCAN_BYTES))
    .replace(/^\uFEFF/, '')
    .trimStart();
  return head.startsWith('<') && /<svg[\s>]/i.test(head);
}

/** Names the format of some bytes from their magic numbers alone, never from a file name. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') {
    return 'webp';
  }
  const brands = isoBrands(bytes);
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'avif';
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return 'heic';
  const signature = ascii(bytes, 0, 6);
  if (signature === 'GIF87a' || signature === 'GIF89a') return 'gif';
  if (signature.startsWith('BM')) return 'bmp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return 'tiff';
  }
  if (looksLikeSvg(bytes)) return 'svg';
  return 'unknown';
}

/**
 * The formats the installed sharp declares it can decode from a buffer (AVIF rides on the heif
 * loader); synchronous, so `verifySupportedFormats` is the check that really decodes.
 */
export function supportedFormats(): ImageFormat[] {
  const declared = sharp.format;
  const heif = declared.heif as typeof declared.heif | undefined;
  const avifDeclared =
    heif !== undefined &&
    heif.input.buffer &&
    ((heif.input.fileSuffix ?? []).includes('.avif') || (heif.output.alias ?? []).includes('avif'));
  return imageFormats.filter((format) => {
    if (format === 'avif') return avifDeclared;
    const info = declared[format] as typeof declared.jpeg | undefined;
    return info?.input.buffer === true;
  });
}

/** True when sharp encodes a tiny image in `format` and decodes it back to the same colour. */
async function roundTrips(format: ImageFormat): Promise<boolean> {
  try {
    const orange = { r: 240, g: 120, b: 30 };
    const encoded = await sharp({
      create: { width: 4, height: 4, channels: 3, background: orange },
    })
      .toFormat(format, { quality: 90 })
      .toBuffer();
    const { data, info } = await sharp(encoded)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    // Lossy codecs shift colours a little; a decoder that is missing or broken shifts them a lot.
    return (
      info.channels === 3 &&
      Math.abs((data[0] ?? 0) - orange.r) < 24 &&
      Math.abs((data[1] ?? 0) - orange.g) < 24 &&
      Math.abs((data[2] ?? 0) - orange.b) < 24
    );
  } catch {
    return false;
  }
}

/**
 * The declared formats that really round-trip through this sharp build (a few tiny encodes and
 * decodes per call, nothing cached), for start-up checks and diagnostics.
 */
export async function verifySupportedFormats(): Promise<ImageFormat[]> {
  const declared = supportedFormats();
  const works = await Promise.all(declared.map((format) => roundTrips(format)));
  return declared.filter((_format, index) => works[index] === true);
}
