// What the fake engine servers "generate": a real face (a fixture crop), framed to the asked size
// and varied by seed, so candidates from a fake can go through vision and the critic like real ones.
import sharp from 'sharp';
import { fixtureFaces, readFixture } from '../fixtures.js';

/** Renders deterministic portraits: the same seed and size always give the same bytes. */
export interface FakeRenderer {
  render(
    seed: number,
    width: number,
    height: number,
    format?: 'png' | 'jpeg' | 'webp',
  ): Promise<Uint8Array>;
}

/** A renderer with its own cache of decoded fixture crops. */
export function createFakeRenderer(): FakeRenderer {
  const crops = new Map<string, Promise<Uint8Array>>();
  const crop = (id: string): Promise<Uint8Array> => {
    let bytes = crops.get(id);
    if (bytes === undefined) {
      bytes = readFixture(id);
      crops.set(id, bytes);
    }
    return bytes;
  };
  return {
    async render(seed, width, height, format = 'png') {
      const face =
        fixtureFaces[Math.abs(Math.trunc(seed)) % fixtureFaces.length] ?? fixtureFaces[0];
      if (face === undefined) throw new Error('no fixture faces');
      // A seed-dependent exposure and warmth, so different seeds give visibly different images.
      const brightness = 0.85 + ((seed * 7919) % 31) / 100;
      const warmth = ((seed * 104729) % 21) - 10;
      const pipeline = sharp(Buffer.from(await crop(face.id)))
        .resize(width, height, { fit: 'cover', position: 'attention' })
        .modulate({ brightness })
        .linear([1 + warmth / 200, 1, 1 - warmth / 200], [0, 0, 0]);
      const encoded =
        format === 'jpeg'
          ? pipeline.jpeg({ quality: 90 })
          : format === 'webp'
            ? pipeline.webp({ quality: 90 })
            : pipeline.png({ compressionLevel: 1 });
      return new Uint8Array(await encoded.toBuffer());
    },
  };
}
