import { describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { markdownReport, type DirectReport } from './index.js';

describe('the markdown report', () => {
  it('says which pillars could not be measured on the first candidate, with why', () => {
    const report: DirectReport = {
      sessionId: 's1',
      title: 'Portrait',
      engine: 'local',
      rounds: [
        {
          round: 1,
          brief: validateBrief({ version: 1, subject: { description: 'a woman' } }),
          candidates: [
            {
              id: 'c1',
              file: 'round-1/candidate-1.png',
              seed: 1,
              rank: 1,
              parameters: {},
              scorecard: {
                source: 'candidate-1',
                overall: 0.8,
                pillars: [
                  {
                    pillar: 'authenticity',
                    wanted: 'real skin',
                    measured: 'skin texture 0.8',
                    score: 0.9,
                    reason: 'real skin, sharp eyes, one face',
                    details: {},
                  },
                ],
                flags: [],
                unmeasured: [
                  {
                    pillar: 'identity',
                    wanted: 'the person in me.jpg',
                    reason:
                      'could not measure identity: unsure whether this is the reference person (similarity 0.64, between 0.63 for different people and 0.65 for the same person)',
                  },
                ],
                nudges: [],
              },
            },
          ],
          summary: 'candidate-1 first',
          sheet: 'round-1/contact-sheet.png',
          nudgesApplied: [],
          briefChanges: [],
          reverted: false,
          standingBest: { round: 1, file: 'round-1/candidate-1.png', overall: 0.8 },
        },
      ],
      best: { round: 1, file: 'round-1/candidate-1.png', overall: 0.8 },
      metGoal: true,
      goal: 0.7,
      files: { json: 'report.json', markdown: 'report.md', best: 'best.png', session: 's1' },
    };
    const text = markdownReport(report);
    expect(text).toContain('- **authenticity** 90%');
    expect(text).toContain(
      '- **identity** – — wanted the person in me.jpg; could not measure identity: unsure whether this is the reference person',
    );
  });
});
