import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readFixture, readSample } from '../testing/index.js';
import { runCli } from './test-run.js';

const run = (argv: string[], cwd?: string) => runCli(argv, cwd);

const smileBrief = `version: 1
title: Big laugh
subject:
  description: a woman in her twenties with long hair
expression:
  name: laughing
  intensity: 1
authenticity:
  imperfections: [visible-pores]
  retouch: natural
references:
  - image: ./refs/me.png
    role: identity
`;

describe('portraitist critique', () => {
  it('ranks candidates, explains, nudges and draws a contact sheet; uses the brief’s own references', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-critique-'));
    await writeFile(join(dir, 'brief.yaml'), smileBrief);
    await sharp(Buffer.from(await readFixture('laughing'))).toFile(join(dir, 'laughing.png'));
    await sharp(Buffer.from(await readFixture('neutral-blonde'))).toFile(join(dir, 'neutral.png'));
    await writeFile(join(dir, 'group.jpg'), await readSample(1));
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'refs')));
    await sharp(Buffer.from(await readFixture('laughing')))
      .flop()
      .toFile(join(dir, 'refs/me.png'));
    const result = await run(
      [
        'critique',
        'brief.yaml',
        'neutral.png',
        'group.jpg',
        'laughing.png',
        '--sheet',
        'sheet.png',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Ranking · Big laugh\n {2}laughing first: /);
    expect(result.stdout).toMatch(/ 1\. laughing\.png {2}\d+%/);
    expect(result.stdout).toMatch(/identity +█+░* 1\.00 {2}the same person/);
    expect(result.stdout).toContain('extra-faces');
    expect(result.stdout).toContain('identity-mismatch');
    const sheet = await sharp(join(dir, 'sheet.png')).metadata();
    expect(sheet.format).toBe('png');
    expect(sheet.width).toBeGreaterThan(600);
  });

  it('--json gives the ranking; bad --reference is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-critique-'));
    await writeFile(join(dir, 'brief.yaml'), smileBrief.replace(/references:[\s\S]*$/, ''));
    await sharp(Buffer.from(await readFixture('soft-smile'))).toFile(join(dir, 'a.png'));
    const json = await run(['critique', 'brief.yaml', 'a.png', '--json'], dir);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(
      parsed.ranking.candidates[0].scorecard.pillars.map((p: { pillar: string }) => p.pillar),
    ).toEqual(['expression', 'authenticity']);
    const bad = await run(['critique', 'brief.yaml', 'a.png', '--reference', 'mood=x.png'], dir);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain(
      'expected role=path with a role of identity, pose, expression, lighting, palette, style for `reference` but received "mood=x.png"',
    );
  });
});
