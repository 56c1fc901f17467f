// Decoding untrusted images behind limits. This is a security boundary (reliability.md T1): the
// checks run cheapest first, bytes before format before header before pixels, and nothing that
// fails one reaches the next.
import sharp, { type FormatEnum, type Metadata } from 'sharp';
import { PortraitistError } from '../errors/index.js';
import { readRegularFileCapped } from '../files/index.js';
import { classifyDecodeFailure, decoderSays, imageError } from './errors.js';
import {
  formatLabels,
  sniffFormat,
  supportedFormats,
  type ImageFormat,
  type SniffedFormat,
} from './format.js';
import { countWebpFrames } from './frames.js';
import { fromSharp, type RgbImage } from './raw.js';

/** What an image may be before we decode it. */
export interface ImageLimits {
  /** Largest accepted encoded size, in bytes. */
  readonly maxBytes: number;
  /** Largest accepted width × height, read from the header before any decoding. */
  readonly maxPixels: number;
  /** Formats accepted, identified by magic bytes. */
  readonly formats: readonly ImageFormat[];
  /** Most frames an animated image may have (only the first is used), counted before any probe. */
  readonly maxFrames: number;
  /** Longest a decode may run, in seconds, before it is stopped with IMAGE_TOO_LARGE. */
  readonly decodeSeconds: number;
}

/**
 * 64 MiB, 50 megapixels, 1,000 animation frames, 60 s of decoding, and every format this sharp
 * build declares it decodes.
 */
export const defaultImageLimits: ImageLimits = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxPixels: 50_000_000,
  formats: Object.freeze(supportedFormats()),
  maxFrames: 1000,
  decodeSeconds: 60,
});

/** The file system calls image reading needs (injected so tests and servers can substitute). */
export interface ImageFileSystem {
  readFile(path: string): Promise<Uint8Array>;
  /** When present, the size is checked before the file is read into memory. */
  stat?(path: string): Promise<{ size: number }>;
}

/** Options for probing and reading an image. */
export interface ReadImageOptions {
  /** Overrides for some of `defaultImageLimits`. */
  limits?: Partial<ImageLimits>;
  /** Name used in errors; defaults to the path, or `<buffer>` for bytes. */
  source?: string;
  /** File system for path inputs; defaults to `node:fs/promises`. */
  fs?: ImageFileSystem;
  /**
   * Decode to at most this many pixels (aspect kept), shrinking on load where the format allows
   * (JPEG, WebP): the memory budget of a working copy, whatever the file's own size.
   */
  maxDecodedPixels?: number;
}

/** What an image header says, with width and height as the image is meant to be seen. */
export interface ImageProbe {
  readonly width: number;
  readonly height: number;
  readonly format: ImageFormat;
  /** EXIF orientation, 1 to 8; 1 when absent. */
  readonly orientation: number;
}

// Stricter than 'truncated' (which is all a cut-off file needs) but short of 'warning', which
// rejects ordinary camera JPEGs over benign notices such as extraneous bytes before a marker.
const FAIL_ON = 'error';
// libvips names the loader it picked; it must be the one the magic bytes promised.
const LOADER_OF: Readonly<Record<ImageFormat, keyof FormatEnum>> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'heif',
};

function resolveLimits(partial: Partial<ImageLimits> | undefined): ImageLimits {
  const limits = { ...defaultImageLimits, ...partial };
  for (const key of ['maxBytes', 'maxPixels', 'maxFrames', 'decodeSeconds'] as const) {
    const value = limits[key];
    // 0 would mean "no limit" to sharp, so it is refused here rather than passed on.
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new PortraitistError('USAGE', `image limit ${key} must be a positive whole number`, {
        issues: [
          {
            path: `limits.${key}`,
            message: `expected a positive whole number for \`limits.${key}\` but received ${String(value)}`,
          },
        ],
      });
    }
  }
  return limits;
}

function listFormats(formats: readonly ImageFormat[]): string {
  const labels = formats.map((format) => formatLabels[format]);
  if (labels.length <= 1) return labels[0] ?? 'none';
  return `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1] ?? ''}`;
}

/** Rounds to three significant figures, but never drops whole units (10240, not 10200). */
function readable(value: number): number {
  return value >= 100 ? Math.round(value) : Number(value.toPrecision(3));
}

function describeBytes(bytes: number): string {
  const mebibytes = bytes / (1024 * 1024);
  if (mebibytes >= 1024) return `${readable(mebibytes / 1024)} GiB`;
  return mebibytes >= 1 ? `${readable(mebibytes)} MiB` : `${bytes} bytes`;
}

function megapixels(pixels: number): string {
  return `${readable(pixels / 1_000_000)} megapixels`;
}

function hexHead(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Both amounts rounded for reading, unless rounding would make them look equal. */
function distinct(
  amounts: readonly [number, number],
  describe: (amount: number) => string,
  exact: (amount: number) => string,
): [string, string] {
  const [first, second] = amounts.map(describe) as [string, string];
  return first === second ? [exact(amounts[0]), exact(amounts[1])] : [first, second];
}

function tooManyBytes(source: string, size: number, limits: ImageLimits): PortraitistError {
  const rounded = distinct([size, limits.maxBytes], describeBytes, (n) => `${n} bytes`);
  return imageError(
    'IMAGE_TOO_LARGE',
    source,
    `the image is ${rounded[0]}; the limit is ${rounded[1]}`,
    `expected at most ${limits.maxBytes} bytes for \`image\` but received ${size} bytes`,
  );
}

/** Reads a regular file under the byte cap (the shared capped reader names our field). */
function readRegularFile(path: string, source: string, limits: ImageLimits): Promise<Uint8Array> {
  return readRegularFileCapped(path, limits.maxBytes, {
    notRegular: (kind) =>
      new PortraitistError('FILE_READ', `${path} is ${kind}, not an image file`, {
        source,
        issues: [
          { path: 'image', message: `expected a regular file for \`image\` but received ${kind}` },
        ],
      }),
    tooLarge: (bytes) => tooManyBytes(source, bytes, limits),
  });
}

/** Reads the input's bytes, checking the byte cap before reading when the file system can tell. */
async function loadBytes(
  input: string | Uint8Array,
  source: string,
  limits: ImageLimits,
  fs: ImageFileSystem | undefined,
): Promise<Uint8Array> {
  if (typeof input !== 'string') return input;
  const files: ImageFileSystem = fs ?? (await import('node:fs/promises'));
  try {
    if (fs === undefined) return await readRegularFile(input, source, limits);
    if (files.stat !== undefined) {
      const { size } = await files.stat(input);
      if (size > limits.maxBytes) throw tooManyBytes(source, size, limits);
    }
    return await files.readFile(input);
  } catch (error) {
    if (error instanceof PortraitistError) throw error;
    const code = (error as { code?: unknown }).code;
    throw new PortraitistError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_READ',
      code === 'ENOENT'
        ? `no image file at ${input}`
        : `cannot read ${input}: ${error instanceof Error ? error.message : String(error)}`,
      { source, cause: error },
    );
  }
}

/** Byte cap, then format by magic bytes; returns the format when both pass. */
function checkBytes(bytes: Uint8Array, source: string, limits: ImageLimits): ImageFormat {
  if (bytes.length === 0) {
    throw imageError(
      'IMAGE_EMPTY',
      source,
      'the image is empty (0 bytes)',
      'expected image bytes for `image` but received 0 bytes',
    );
  }
  if (bytes.length > limits.maxBytes) throw tooManyBytes(source, bytes.length, limits);
  const sniffed: SniffedFormat = sniffFormat(bytes);
  const accepted = limits.formats.find((format) => format === sniffed);
  if (accepted === undefined) {
    const received =
      sniffed === 'unknown'
        ? `bytes of no known image format (starting ${hexHead(bytes)})`
        : `a ${formatLabels[sniffed]} image`;
    throw imageError(
      'IMAGE_UNSUPPORTED',
      source,
      `${sniffed === 'unknown' ? 'not a recognised image' : `${formatLabels[sniffed]} images are not accepted`}; accepted formats are ${listFormats(limits.formats)}`,
      `expected ${listFormats(limits.formats)} for \`image\` but received ${received}`,
    );
  }
  return accepted;
}

function decodeFailure(
  bytes: Uint8Array,
  format: ImageFormat,
  source: string,
  error: unknown,
): PortraitistError {
  const code = classifyDecodeFailure(bytes, format, error);
  const label = formatLabels[format];
  const says = decoderSays(error);
  switch (code) {
    case 'IMAGE_TRUNCATED':
      return imageError(
        code,
        source,
        `the ${label} data ends early; the file looks cut short`,
        `expected a complete ${label} for \`image\` but received one whose data ends early (decoder: ${says})`,
        error,
      );
    case 'IMAGE_UNSUPPORTED':
      return imageError(
        code,
        source,
        `this build of sharp cannot decode this ${label}`,
        `expected a ${label} this build can decode for \`image\` but the decoder said: ${says}`,
        error,
      );
    case 'IMAGE_CORRUPT':
      return imageError(
        code,
        source,
        `the ${label} data is corrupt and cannot be decoded`,
        `expected a decodable ${label} for \`image\` but the decoder said: ${says}`,
        error,
      );
  }
}

/** Reads the header only; the loader must match the magic bytes and the pixel cap must hold. */
async function checkHeader(
  bytes: Uint8Array,
  format: ImageFormat,
  source: string,
  limits: ImageLimits,
): Promise<ImageProbe> {
  if (format === 'webp') {
    const frames = countWebpFrames(bytes);
    if (frames > limits.maxFrames) {
      throw imageError(
        'IMAGE_TOO_LARGE',
        source,
        `the animation has ${frames} frames; the limit is ${limits.maxFrames}`,
        `expected at most ${limits.maxFrames} frames for \`image\` but received ${frames}`,
      );
    }
  }
  let header: Metadata;
  try {
    // Headers are read without a pixel limit so a bomb is reported with its real size;
    // metadata() parses the header and allocates no pixels.
    header = await sharp(asBuffer(bytes), { limitInputPixels: false, failOn: FAIL_ON }).metadata();
  } catch (error) {
    throw decodeFailure(bytes, format, source, error);
  }
  const label = formatLabels[format];
  if (header.format !== LOADER_OF[format]) {
    throw imageError(
      'IMAGE_CORRUPT',
      source,
      `the bytes start like ${label} but decode as ${header.format}`,
      `expected a ${label} for \`image\` but received a file the decoder reads as ${header.format}`,
    );
  }
  if (format === 'avif' && header.compression !== undefined && header.compression !== 'av1') {
    // An AVIF brand over HEVC data is HEIC in disguise, and HEIC decoding is refused.
    throw imageError(
      'IMAGE_UNSUPPORTED',
      source,
      `the file claims AVIF but holds ${header.compression} data; accepted formats are ${listFormats(limits.formats)}`,
      `expected AV1-coded AVIF for \`image\` but received ${header.compression}-coded HEIF`,
    );
  }
  const pixels = header.width * header.height;
  if (pixels > limits.maxPixels) {
    const [area, cap] = distinct([pixels, limits.maxPixels], megapixels, (n) => `${n} pixels`);
    const size = `${header.width}×${header.height} (${area})`;
    throw imageError(
      'IMAGE_TOO_LARGE',
      source,
      `the image is ${size}; the limit is ${cap}`,
      `expected at most ${cap} for \`image\` but received ${size}`,
    );
  }
  const orientation = header.orientation ?? 1;
  // Orientations 5 to 8 include a quarter turn, so the image is seen with its sides swapped.
  const turned = orientation >= 5 && orientation <= 8;
  return {
    width: turned ? header.height : header.width,
    height: turned ? header.width : header.height,
    format,
    orientation,
  };
}

/** The size to decode to under a pixel budget, or undefined when the image is within it. */
function workingSize(
  probe: ImageProbe,
  maxDecodedPixels: number | undefined,
): { width: number; height: number } | undefined {
  if (maxDecodedPixels === undefined) return undefined;
  if (!Number.isSafeInteger(maxDecodedPixels) || maxDecodedPixels <= 0) {
    throw new PortraitistError('USAGE', 'maxDecodedPixels must be a positive whole number', {
      issues: [
        {
          path: 'maxDecodedPixels',
          message: `expected a positive whole number for \`maxDecodedPixels\` but received ${String(maxDecodedPixels)}`,
        },
      ],
    });
  }
  const pixels = probe.width * probe.height;
  if (pixels <= maxDecodedPixels) return undefined;
  const scale = Math.sqrt(maxDecodedPixels / pixels);
  return {
    width: Math.max(1, Math.floor(probe.width * scale)),
    height: Math.max(1, Math.floor(probe.height * scale)),
  };
}

function sourceOf(input: string | Uint8Array, options: ReadImageOptions): string {
  return options.source ?? (typeof input === 'string' ? input : '<buffer>');
}

/**
 * Reads an image's header without decoding pixels, applying every check `readImage` applies
 * before decoding; width and height are after EXIF orientation.
 */
export async function probeImage(
  input: string | Uint8Array,
  options: ReadImageOptions = {},
): Promise<ImageProbe> {
  const limits = resolveLimits(options.limits);
  const source = sourceOf(input, options);
  const bytes = await loadBytes(input, source, limits, options.fs);
  const format = checkBytes(bytes, source, limits);
  return checkHeader(bytes, format, source, limits);
}

/** Decodes an untrusted image, within limits, to upright 8-bit sRGB RGB pixels. */
export async function readImage(
  input: string | Uint8Array,
  options: ReadImageOptions = {},
): Promise<RgbImage> {
  const limits = resolveLimits(options.limits);
  const source = sourceOf(input, options);
  const bytes = await loadBytes(input, source, limits, options.fs);
  const format = checkBytes(bytes, source, limits);
  const probe = await checkHeader(bytes, format, source, limits);
  let pipeline = sharp(asBuffer(bytes), {
    failOn: FAIL_ON,
    // A second guard: libvips itself refuses to decode past the cap, whatever the header check did.
    limitInputPixels: limits.maxPixels,
    sequentialRead: true,
    // Animated WebP and AVIF sequences: the first frame only, so the pixel cap means one frame.
    pages: 1,
  })
    .rotate()
    .timeout({ seconds: limits.decodeSeconds });
  const working = workingSize(probe, options.maxDecodedPixels);
  if (working !== undefined) {
    // A resize right after the input lets libvips shrink on load (JPEG, WebP), so the full-size
    // pixels are never held.
    pipeline = pipeline.resize(working.width, working.height, { fit: 'fill', kernel: 'lanczos3' });
  }
  try {
    return await fromSharp(pipeline, format, source);
  } catch (error) {
    if (error instanceof PortraitistError) throw error;
    if (decoderSays(error).includes('timeout')) {
      throw imageError(
        'IMAGE_TOO_LARGE',
        source,
        `decoding took longer than ${limits.decodeSeconds} s and was stopped`,
        `expected \`image\` to decode within ${limits.decodeSeconds} s but it took longer`,
        error,
      );
    }
    throw decodeFailure(bytes, format, source, error);
  }
}
