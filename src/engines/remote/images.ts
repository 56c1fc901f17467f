// Images from engine servers are untrusted: each is checked from its header within the image
// limits, and anything that is not PNG (A1111's jpg/webp samples, OpenAI's jpeg/webp) becomes PNG.
import { PortraitistError, isPortraitistError } from '../../errors/index.js';
import { encodePng, probeImage, readImage, type ImageLimits } from '../../image/index.js';

/**
 * The pixel bound of an engine's image answer (4096 × 4096), checked from the header before any
 * decoding: a small file can declare a huge flat canvas (a 146 KB PNG of 7070 × 7070 decodes to
 * 150 MB of RGB, and the critic decodes it again), far more than any engine here renders.
 */
export const engineImagePixels = 4096 * 4096;

const IEND = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/** The image as PNG bytes, or ENGINE_FAILED when the server sent something that is not an image. */
export async function candidatePng(
  bytes: Uint8Array,
  service: string,
  what: string,
  limits?: Partial<ImageLimits>,
): Promise<Uint8Array> {
  const options = { source: what, limits: { maxPixels: engineImagePixels, ...limits } };
  try {
    const probe = await probeImage(bytes, options);
    // Decoded under the same limits the header was checked against.
    if (probe.format !== 'png')
      return new Uint8Array(await encodePng(await readImage(bytes, options)));
    // A header probe does not see a cut-off file; a PNG must end with its IEND chunk.
    const tail = bytes.subarray(bytes.length - 8);
    if (!IEND.every((b, i) => tail[i] === b))
      throw new PortraitistError('IMAGE_TRUNCATED', `${what} is cut off (no IEND chunk)`);
    return bytes;
  } catch (error) {
    if (!isPortraitistError(error)) throw error;
    throw new PortraitistError(
      'ENGINE_FAILED',
      `${service} sent ${what} that is not a usable image (${error.code}: ${error.message})`,
      { cause: error, issues: error.issues },
    );
  }
}
