import { describe, expect, it } from 'vitest';
import { PortraitistError } from '../errors/index.js';
import { parseLibrarySearch } from './library-query.js';

const now = new Date('2026-12-03T12:00:00Z');

describe('library search words', () => {
  it('reads pillar ranges, an age, a verdict, stars and a limit', () => {
    const search = parseLibrarySearch(
      {
        pillar: ['expression>=0.8', 'light<=70%', 'overall=0.5'],
        engine: 'comfyui',
        since: '7d',
        verdict: 'picked',
        stars: '4',
        limit: '20',
      },
      now,
    );
    expect(search.pillars).toEqual({
      expression: { gte: 0.8 },
      light: { lte: 0.7 },
      overall: { gte: 0.5, lte: 0.5 },
    });
    expect(search.since?.toISOString()).toBe('2026-11-26T12:00:00.000Z');
    expect(search).toMatchObject({
      engine: 'comfyui',
      verdict: 'pick',
      minStars: 4,
      limit: 20,
      // The first pillar searched is the order, best first, unless a sort is given.
      orderBy: 'expression',
    });
  });

  it('narrows two conditions on one pillar to their overlap', () => {
    const search = parseLibrarySearch({ pillar: ['light>=0.2', 'light>=0.6', 'light<0.9'] }, now);
    expect(search.pillars.light).toEqual({ gte: 0.6, lte: 0.9 });
  });

  it('reads a calendar date and the newest-first sort', () => {
    const search = parseLibrarySearch({ since: '2026-11-01', sort: 'newest' }, now);
    expect(search.since?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(search.orderBy).toBe('createdAt');
  });

  it('names every bad word at once, with what was expected', () => {
    let error: unknown;
    try {
      parseLibrarySearch(
        {
          pillar: ['expresion>=0.8', 'light>=1.5'],
          since: 'last week',
          verdict: 'maybe',
          stars: '7',
          sort: 'prettiest',
        },
        now,
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PortraitistError);
    const issues = (error as PortraitistError).issues;
    expect(issues.map((issue) => issue.path)).toEqual([
      '--pillar[0]',
      '--pillar[1]',
      '--since',
      '--verdict',
      '--stars',
      '--sort',
    ]);
    expect(issues[0]?.message).toContain('"expresion>=0.8"');
    expect(issues[1]?.message).toContain('from 0 to 1');
    expect(issues[4]?.message).toContain('from 1 to 5');
  });
});
