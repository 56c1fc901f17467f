// kill -9 of a process writing candidates through the SQLite store, at random points: the file
// stays intact (integrity_check ok), every candidate acknowledged before the kill is there, each
// index exactly once, and a resumed writer carries on where the stored ones end.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSqliteStore, sqliteIntegrity } from './index.js';

const storeModule = pathToFileURL(fileURLToPath(new URL('./index.ts', import.meta.url))).href;

// The writer: resumes the one round in the file, or starts it, then stores and scores candidates
// one at a time, printing each index once its commit returned.
const writer = `
import { openSqliteStore } from ${JSON.stringify(storeModule)};
const store = openSqliteStore({ file: process.argv[1] });
let [session] = await store.listSessions();
session ??= await store.createSession({ title: 'crash', brief: { version: 1 } });
const detail = await store.getSession(session.id);
const round = detail.rounds[0] ?? (await store.startRound(session.id, { briefVersion: 1, engine: 'local', count: 10000, seed: 1, nudges: [] }));
const done = new Set((await store.listCandidates(round.id)).map((c) => c.index));
for (let i = 0; i < 10000; i++) {
  if (done.has(i)) continue;
  const c = await store.addCandidate(round.id, { index: i, engine: 'local', seed: i, parameters: { i }, provenance: { p: 'x'.repeat(2000) }, image: i.toString(16).padStart(64, '0') });
  await store.setScorecard(c.id, { overall: 0.5 }, { overall: 0.5 });
  process.stdout.write(i + '\\n');
}
`;

/** Runs the writer until it acknowledged at least one candidate, then SIGKILLs it after `delayMs`. */
function runAndKill(file: string, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', writer, file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const acknowledged: number[] = [];
    let buffer = '';
    let errors = '';
    let armed = false;
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) acknowledged.push(Number(line));
      if (!armed && acknowledged.length > 0) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acknowledged);
      else reject(new Error(`the writer exited on its own: ${errors}`));
    });
  });
}

describe('SQLite store under kill -9', () => {
  it('stays intact and keeps every acknowledged candidate exactly once across 6 kills', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'portraitist-crash-'));
    const file = join(folder, 'library.sqlite');
    try {
      const acknowledged = new Set<number>();
      // Fixed "random" delays so a failure can be replayed.
      for (const delayMs of [0, 3, 17, 40, 1, 75]) {
        for (const i of await runAndKill(file, delayMs)) acknowledged.add(i);
        expect(sqliteIntegrity(file)).toEqual(['ok']);
        const store = openSqliteStore({ file });
        try {
          const [session] = await store.listSessions();
          const detail = await store.getSession(session?.id ?? '');
          expect(detail?.rounds).toHaveLength(1);
          const indices = (detail?.candidates ?? []).map((c) => c.index);
          // Contiguous from 0, no duplicates, nothing acknowledged lost.
          expect(indices).toEqual(indices.map((_, n) => n));
          for (const i of acknowledged) expect(indices).toContain(i);
        } finally {
          await store.close();
        }
      }
      expect(acknowledged.size).toBeGreaterThan(6);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 180_000);
});
