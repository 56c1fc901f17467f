import { access, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleBriefsDirectory } from '../brief/index.js';
import { runCli } from './test-run.js';

const minimal = join(exampleBriefsDirectory(), 'minimal.yaml');

describe('portraitist direct into the library, and sessions', () => {
  it('keeps the session in the library; sessions list, show, pick, export, import and library search', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'portraitist-sessions-'));
    const home = await mkdtemp(join(tmpdir(), 'portraitist-home-'));
    const made = await runCli(['direct', minimal, '-n', '2', '--out', 'out', '--json'], cwd, {
      homedir: home,
    });
    expect(made.code, made.stderr).toBe(0);
    const report = JSON.parse(made.stdout) as { sessionId: string; library: string };
    // The default library is ~/.portraitist (the injected home folder).
    expect(report.library).toBe(join(home, '.portraitist'));
    await access(join(home, '.portraitist', 'library.sqlite'));
    // out/ is the session's export: today's layout plus session.json.
    for (const file of [
      'round-1/candidate-1.png',
      'round-1/contact-sheet.png',
      'best.png',
      'report.md',
      'report.json',
      'session.json',
    ])
      await access(join(cwd, 'out', file));
    const id = report.sessionId;
    const env = { PORTRAITIST_LIBRARY: join(home, '.portraitist') };
    const run = (argv: string[]) => runCli(argv, cwd, { env, homedir: '/nonexistent-home' });

    const list = await run(['sessions', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).sessions.map((s: { id: string }) => s.id)).toEqual([id]);

    const picked = await run([
      'sessions',
      'pick',
      id,
      'round-1/candidate-2',
      '--pick',
      '--stars',
      '5',
      '--note',
      'the eyes',
    ]);
    expect(picked.code, picked.stderr).toBe(0);
    expect(picked.stdout).toContain('round-1/candidate-2.png: pick, 5 stars, the eyes');

    // The pick teaches an artist profile, once.
    const learnt = await run(['profile', 'learn', 'ana', id]);
    expect(learnt.code, learnt.stderr).toBe(0);
    expect(learnt.stdout).toContain(`learnt from ${id}: 1 marked`);
    expect(learnt.stdout).toContain('ana: 1 pick from 1 session');
    const learntAgain = await run(['profile', 'learn', 'ana', id]);
    expect(learntAgain.stdout).toContain(`skipped ${id}: already in the profile`);
    const profile = JSON.parse((await run(['profile', 'show', 'ana', '--json'])).stdout) as {
      taste: { picks: number };
      learntFrom: string[];
    };
    expect(profile).toMatchObject({ taste: { picks: 1 }, learntFrom: [id] });
    const badProfile = await run(['profile', 'show', '../ana']);
    expect(badProfile.code).toBe(64);
    expect(badProfile.stderr).toContain('profile');
    const shown = JSON.parse((await run(['sessions', 'show', id, '--json'])).stdout) as {
      candidates: Array<{
        id: string;
        index: number;
        pick: { verdict: string; stars: number } | null;
      }>;
      settings: { rounds: number; count: number; engine: string };
    };
    expect(shown.settings).toMatchObject({ rounds: 1, count: 2, engine: 'local' });
    const second = shown.candidates.find((c) => c.index === 1);
    expect(second?.pick).toMatchObject({ verdict: 'pick', stars: 5 });
    const byId = await run([
      'sessions',
      'pick',
      id,
      shown.candidates.find((c) => c.index === 0)?.id ?? '',
      '--reject',
    ]);
    expect(byId.code, byId.stderr).toBe(0);
    const badName = await run(['sessions', 'pick', id, 'round-9/candidate-1', '--pick']);
    expect(badName.code).toBe(66);
    expect(badName.stderr).toContain('round-9/candidate-1');
    const badStars = await run(['sessions', 'pick', id, 'round-1/candidate-1', '--stars', '6']);
    expect(badStars.code).toBe(64);
    expect(badStars.stderr).toContain('stars');

    const found = await run([
      'library',
      'search',
      '--pillar',
      'overall>=0.1',
      '--engine',
      'local',
      '--since',
      '7d',
      '--json',
    ]);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout).candidates).toHaveLength(2);
    const none = await run(['library', 'search', '--engine', 'comfyui', '--json']);
    expect(JSON.parse(none.stdout).candidates).toHaveLength(0);
    const badSearch = await run(['library', 'search', '--pillar', 'smile>=2', '--json']);
    expect(badSearch.code).toBe(64);
    expect(JSON.parse(badSearch.stdout).error.issues[0].path).toBe('--pillar[0]');

    const exported = await run(['sessions', 'export', id, '--out', 'again']);
    expect(exported.code, exported.stderr).toBe(0);
    const session = JSON.parse(await readFile(join(cwd, 'again', 'session.json'), 'utf8'));
    expect(session.rounds[0].candidates.map((c: { pick: unknown }) => c.pick)).toEqual([
      { verdict: 'reject', stars: null, note: null },
      { verdict: 'pick', stars: 5, note: 'the eyes' },
    ]);
    const imported = await run(['sessions', 'import', 'again', '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    const copy = JSON.parse(imported.stdout).session as string;
    expect(copy).not.toBe(id);
    const copyShown = JSON.parse((await run(['sessions', 'show', copy, '--json'])).stdout);
    expect(copyShown.candidates.map((c: { pick: { verdict: string } }) => c.pick.verdict)).toEqual([
      'reject',
      'pick',
    ]);
    expect(copyShown.candidates.map((c: { scores: unknown }) => c.scores)).toEqual(
      shown.candidates.map((c) => (c as unknown as { scores: unknown }).scores),
    );

    // A finished session resumes to its export; an unknown one is named.
    const again = await run(['direct', '--resume', id, '--out', 'resumed', '--json']);
    expect(again.code, again.stderr).toBe(0);
    await access(join(cwd, 'resumed', 'session.json'));
    const unknown = await run(['direct', '--resume', 'no-such-session']);
    expect(unknown.code).toBe(66);
    expect(unknown.stderr).toContain('no-such-session');
    const both = await run(['direct', minimal, '--resume', id]);
    expect(both.code).toBe(64);
  }, 600_000);

  it('--no-library writes only the files', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'portraitist-nolib-'));
    const home = await mkdtemp(join(tmpdir(), 'portraitist-home-'));
    const made = await runCli(
      ['direct', minimal, '-n', '1', '--out', 'out', '--no-library', '--json'],
      cwd,
      {
        homedir: home,
      },
    );
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout).library).toBeNull();
    expect(await readdir(home)).toEqual([]);
    await access(join(cwd, 'out', 'round-1', 'candidate-1.png'));
    // A profile lives in the library: refused, naming the flag, before any work.
    const profiled = await runCli(
      ['direct', minimal, '-n', '1', '--no-library', '--profile', 'ana'],
      cwd,
      { homedir: home },
    );
    expect(profiled.code).toBe(64);
    expect(profiled.stderr).toContain('--profile is kept in the library');
  }, 600_000);
});
