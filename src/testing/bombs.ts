// Image bombs under the caps (reliability.md, issue 14): tiny files that decode to huge pixel
// counts or take a long time to probe. Built on demand, never stored in the repository.
import sharp from 'sharp';

function chunk(id: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload, Buffer.alloc(payload.length % 2)]);
}

const u24 = (n: number): Buffer => Buffer.from([n & 255, (n >> 8) & 255, (n >> 16) & 255]);

/**
 * An animated WebP: `frames` copies of a 1×1 lossless frame on a `canvas`² canvas (the canvas,
 * not the frames, is what a decoder allocates).
 */
export async function animatedWebp(frames: number, canvas = 1): Promise<Buffer> {
  const still = await sharp({
    create: { width: 1, height: 1, channels: 3, background: '#808080' },
  })
    .webp({ lossless: true })
    .toBuffer();
  let offset = 12;
  let frame: Buffer | undefined;
  while (offset < still.length) {
    const size = still.readUInt32LE(offset + 4);
    if (still.subarray(offset, offset + 4).toString('latin1') === 'VP8L') {
      frame = still.subarray(offset, offset + 8 + size + (size % 2));
    }
    offset += 8 + size + (size % 2);
  }
  if (frame === undefined) throw new Error('sharp wrote no VP8L chunk');
  const flags = Buffer.from([0x02, 0, 0, 0]); // animation
  const vp8x = chunk('VP8X', Buffer.concat([flags, u24(canvas - 1), u24(canvas - 1)]));
  const anim = chunk('ANIM', Buffer.from([0, 0, 0, 0, 0, 0]));
  const anmf = chunk(
    'ANMF',
    Buffer.concat([u24(0), u24(0), u24(0), u24(0), u24(100), Buffer.from([0]), frame]),
  );
  const body = Buffer.concat([
    Buffer.from('WEBP', 'latin1'),
    vp8x,
    anim,
    ...Array.from({ length: frames }, () => anmf),
  ]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

/** A flat `side`² image in `format`: a few hundred KB that decode to `side`² pixels. */
export function flatImage(
  side: number,
  format: 'jpeg' | 'png',
  progressive = false,
): Promise<Buffer> {
  const image = sharp({
    create: { width: side, height: side, channels: 3, background: '#8a7a6a' },
  });
  return format === 'jpeg'
    ? image.jpeg({ quality: 60, progressive }).toBuffer()
    : image.png({ compressionLevel: 9 }).toBuffer();
}

/** The bombs of issue 14, by name. */
export async function imageBombs(): Promise<Record<string, Buffer>> {
  return {
    'flat 7000² JPEG': await flatImage(7000, 'jpeg'),
    'flat 7000² progressive JPEG': await flatImage(7000, 'jpeg', true),
    'flat 7070² PNG': await flatImage(7070, 'png'),
    'animated WebP on a 7000² canvas': await animatedWebp(3, 7000),
    'WebP of 100,000 frames': await animatedWebp(100_000),
  };
}
