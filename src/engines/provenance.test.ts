// Privacy of the provenance in every PNG: the brief stays, but reference photos are named by the
// sha-256 of their bytes, and nothing about the user's file system goes in unless `full` is asked.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { readPngText } from '../image/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import { candidateFileBytes, embedProvenance, readProvenance } from './index.js';
import { makeCandidate } from './request.js';
import type { GenerationRequest } from './types.js';

const secretPaths = [
  '/home/alice/Private Clients/jane-doe-passport.jpg',
  'C:\\Users\\alice\\pose.png',
];
const identityBytes = new Uint8Array([1, 2, 3, 4]);
const poseBytes = new Uint8Array([9, 8, 7]);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function candidate() {
  const brief = validateBrief({
    version: 1,
    title: 'window portrait',
    subject: { description: 'a pastry chef in her thirties' },
    references: [
      { image: '../../Private Clients/jane-doe-passport.jpg', role: 'identity' },
      { image: 'C:\\Users\\alice\\pose.png', role: 'pose' },
      { image: 'lib:abc123', role: 'palette' },
    ],
  });
  const request: GenerationRequest = {
    brief,
    compiled: createPromptCompiler().compile(brief, 'sdxl'),
    references: [
      { role: 'identity', image: identityBytes, source: 'jane-doe-passport.jpg' },
      { role: 'pose', image: poseBytes, source: 'pose.png' },
    ],
    count: 1,
    seed: 3,
  };
  const png = new Uint8Array(
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .png()
      .toBuffer(),
  );
  return makeCandidate(request, {
    engine: 'local',
    image: png,
    seed: 3,
    parameters: { steps: 1 },
    totalMs: 1,
    createdAt: new Date(0),
  });
}

/** Every text chunk and the raw bytes as Latin-1, so a leak in any chunk is found. */
function everything(png: Uint8Array): string {
  return `${Object.values(readPngText(png)).join('\n')}\n${Buffer.from(png).toString('latin1')}`;
}

describe('provenance privacy', () => {
  it('by default keeps the brief but names references only by the sha-256 of their bytes', async () => {
    const png = candidateFileBytes(await candidate());
    const text = everything(png);
    for (const leak of ['alice', 'jane-doe', 'Private Clients', '/home', 'Users', 'pose.png'])
      expect(text).not.toContain(leak);
    const record = readProvenance(png)?.portraitist as {
      brief: { title: string; references: Array<{ image: string; role: string }> };
      references: unknown[];
    };
    expect(record.brief.title).toBe('window portrait');
    expect(record.references).toEqual([
      { role: 'identity', sha256: sha(identityBytes) },
      { role: 'pose', sha256: sha(poseBytes) },
    ]);
    expect(record.brief.references.map((r) => r.image)).toEqual([
      `sha256:${sha(identityBytes)}`,
      `sha256:${sha(poseBytes)}`,
      'withheld',
    ]);
  });

  it('keeps the names and brief paths when full provenance is asked for', async () => {
    const png = embedProvenance(await candidate(), 'full');
    const record = readProvenance(png)?.portraitist as {
      brief: { references: Array<{ image: string }> };
      references: Array<{ source: string }>;
    };
    expect(record.references.map((r) => r.source)).toEqual(['jane-doe-passport.jpg', 'pose.png']);
    expect(record.brief.references[1]?.image).toBe(secretPaths[1]);
  });
});
