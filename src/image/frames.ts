// Counting the frames of an animated WebP by walking its RIFF chunks: linear in the chunk count,
// where libvips' header probe of a 100,000-frame animation grows with the square of the frames.

const CHUNK_HEADER = 8;

/** The number of ANMF frames in a WebP, or 1 for a still WebP; stops at the end of the data. */
export function countWebpFrames(bytes: Uint8Array): number {
  if (bytes.length < 12) return 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let frames = 0;
  let offset = 12;
  while (offset + CHUNK_HEADER <= bytes.length) {
    const isFrame =
      bytes[offset] === 0x41 && // A
      bytes[offset + 1] === 0x4e && // N
      bytes[offset + 2] === 0x4d && // M
      bytes[offset + 3] === 0x46; // F
    if (isFrame) frames += 1;
    const size = view.getUint32(offset + 4, true);
    // Chunks are padded to an even size.
    offset += CHUNK_HEADER + size + (size % 2);
  }
  return Math.max(1, frames);
}
