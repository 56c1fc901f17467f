// The image foundation: decoding untrusted files behind limits, raw RGB pixels, and colour
// science. Imports nothing of ours except src/errors.
export {
  imageFormats,
  sniffFormat,
  supportedFormats,
  verifySupportedFormats,
  type ImageFormat,
  type SniffedFormat,
} from './format.js';
export {
  defaultImageLimits,
  probeImage,
  readImage,
  type ImageFileSystem,
  type ImageLimits,
  type ImageProbe,
  type ReadImageOptions,
} from './decode.js';
export {
  FLATTEN_BACKGROUND,
  cropRgb,
  encodePng,
  flipHorizontal,
  fromSharp,
  toSharp,
  type PixelBox,
  type RgbImage,
} from './raw.js';
export {
  correlatedColorTemperature,
  deltaE2000,
  hexToRgb,
  labToRgb,
  linearToSrgb,
  relativeLuminance,
  rgbToHex,
  rgbToLab,
  srgbToLinear,
  type Lab,
} from './colour.js';
export { withPngText, readPngText, stripPngMetadata } from './png-text.js';
