import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PortraitistError } from '../errors/index.js';
import {
  briefJsonSchema,
  parseBrief,
  readBriefFile,
  readExampleBriefs,
  starterBrief,
  stringifyBrief,
  validateBrief,
  type BriefMigrations,
} from './index.js';

/** Parses and returns the thrown PortraitistError (fails the test when nothing is thrown). */
function errorOf(run: () => unknown): PortraitistError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitistError);
    return error as PortraitistError;
  }
  throw new Error('expected an error, but the call succeeded');
}

const minimal = 'version: 1\nsubject:\n  description: a man in his thirties with a shaved head\n';

describe('example briefs', async () => {
  const examples = await readExampleBriefs();

  it('ships at least ten different shoots', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(
      new Set(examples.map((e) => e.brief.light?.rig).filter(Boolean)).size,
    ).toBeGreaterThanOrEqual(8);
  });

  it.each(examples.map((e) => [e.file, e] as const))(
    '%s round-trips through YAML and JSON',
    (_file, example) => {
      const viaYaml = parseBrief(stringifyBrief(example.brief, 'yaml'));
      const viaJson = parseBrief(stringifyBrief(example.brief, 'json'), { format: 'json' });
      expect(viaYaml).toEqual(example.brief);
      expect(viaJson).toEqual(example.brief);
    },
  );

  it.each(examples.map((e) => [e.file, e] as const))(
    '%s validates against the exported JSON Schema',
    (_file, example) => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      const validate = ajv.compile(briefJsonSchema());
      const ok = validate(parseYaml(example.text));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    },
  );

  it('together cover every pillar and every target', () => {
    const briefs = examples.map((e) => e.brief);
    for (const pillar of [
      'expression',
      'posture',
      'light',
      'atmosphere',
      'camera',
      'aesthetic',
      'authenticity',
    ] as const) {
      expect(
        briefs.some((b) => b[pillar] !== undefined),
        pillar,
      ).toBe(true);
    }
    expect(briefs.some((b) => b.references.length > 0)).toBe(true);
    expect(new Set(briefs.map((b) => b.output.target))).toEqual(
      new Set(['sd15', 'sdxl', 'flux', 'gpt-image', 'midjourney']),
    );
    expect(new Set(briefs.map((b) => b.authenticity?.retouch).filter(Boolean)).size).toBe(4);
  });
});

describe('parseBrief', () => {
  it('fills defaults', () => {
    const brief = parseBrief(`${minimal}expression:\n  name: serene\ncamera: {}\n`);
    expect(brief.output).toEqual({ target: 'sdxl', count: 4 });
    expect(brief.expression?.intensity).toBe(0.5);
    expect(brief.camera).toMatchObject({
      focalLength: 85,
      aperture: 2.8,
      shot: 'headshot',
      angle: 'eye-level',
      aspectRatio: '4:5',
    });
    expect(brief.references).toEqual([]);
    expect(brief.subject.features).toEqual([]);
  });

  it('accepts names and aliases for vocabulary entries', () => {
    const brief = parseBrief(
      `${minimal}light:\n  rig: Paramount\natmosphere:\n  timeOfDay: golden-hour\ncamera:\n  film: Kodak Portra 400\nauthenticity:\n  imperfections: [Freckles, visible pores]\n`,
    );
    expect(brief.light?.rig).toBe('butterfly');
    expect(brief.camera?.film).toBe('portra-400');
    expect(brief.authenticity?.imperfections).toEqual(['freckles', 'visible-pores']);
  });

  it('reports every issue at once, each with its path, what was expected, what was received and its line', () => {
    const text = [
      'version: 1',
      'subject:',
      '  description: 42',
      'expression:',
      '  name: duchene-smile',
      '  intensity: 1.4',
      'light:',
      '  rig: rembrant',
      '  softness: soft',
      'ligth: {}',
      'references:',
      '  - image: ./a.jpg',
      '    role: mood',
    ].join('\n');
    const error = errorOf(() => parseBrief(text, { source: 'bad.yaml' }));
    expect(error.code).toBe('BRIEF_INVALID');
    expect(error.source).toBe('bad.yaml');
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'expression.intensity',
        'expression.name',
        'light.rig',
        'light.softness',
        'ligth',
        'references[0].role',
        'subject.description',
      ].sort(),
    );
    expect(byPath['subject.description']?.message).toBe(
      'expected text for `subject.description` but received 42',
    );
    expect(byPath['subject.description']?.line).toBe(3);
    expect(byPath['expression.intensity']?.message).toBe(
      'expected a number from 0 to 1 for `expression.intensity` but received 1.4',
    );
    expect(byPath['expression.intensity']?.line).toBe(6);
    expect(byPath['light.rig']?.message).toMatch(
      /^expected a light rig \(one of rembrandt, loop, .*\) for `light\.rig` but received "rembrant" — did you mean "rembrandt"\?$/,
    );
    expect(byPath['expression.name']?.message).toContain('did you mean "duchenne-smile"?');
    expect(byPath['light.softness']?.message).toBe(
      'expected a number for `light.softness` but received "soft"',
    );
    expect(byPath['ligth']?.message).toBe('unknown field `ligth` — did you mean `light`?');
    expect(byPath['ligth']?.line).toBe(10);
    expect(byPath['references[0].role']?.message).toContain(
      'for `references[0].role` but received "mood"',
    );
    expect(error.message).toContain('(and 6 more)');
  });

  it('names a missing required field', () => {
    const error = errorOf(() => parseBrief('version: 1\nsubject: {}\n'));
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'subject.description',
        message:
          'expected text for `subject.description` but received nothing (the field is missing)',
      }),
    ]);
  });

  it('reports bad YAML with its position', () => {
    const error = errorOf(() => parseBrief('version: 1\nsubject: [a\n  b: c'));
    expect(error.code).toBe('BRIEF_PARSE');
    expect(error.issues[0]?.message).toMatch(/^expected valid YAML but the parser said: /);
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it('reports duplicate keys instead of silently keeping one', () => {
    const error = errorOf(() => parseBrief(`${minimal}output:\n  count: 2\noutput:\n  count: 3\n`));
    expect(error.code).toBe('BRIEF_PARSE');
  });

  it('reads JSON and reports bad JSON', () => {
    const brief = parseBrief(
      '{"version":1,"subject":{"description":"a child of nine with a missing front tooth"}}',
      { format: 'json' },
    );
    expect(brief.subject.description).toContain('missing front tooth');
    const error = errorOf(() => parseBrief('{"version":1,', { format: 'json' }));
    expect(error.code).toBe('BRIEF_PARSE');
    expect(error.issues[0]?.message).toMatch(/^expected valid JSON/);
  });

  it('refuses a non-mapping and an oversized brief', () => {
    expect(errorOf(() => parseBrief('- a\n- b\n')).issues[0]?.message).toBe(
      'expected a mapping of brief fields for `the brief` but received a list',
    );
    expect(errorOf(() => parseBrief(minimal, { maxBytes: 10 })).code).toBe('BRIEF_PARSE');
  });

  it('limits YAML alias expansion (billion laughs)', () => {
    const bomb = [
      'version: 1',
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(() => parseBrief(bomb)).toThrow();
  });
});

describe('versions and migrations', () => {
  it('refuses a newer version with a clear error', () => {
    const error = errorOf(() => parseBrief('version: 3\nsubject:\n  description: someone\n'));
    expect(error.code).toBe('BRIEF_VERSION');
    expect(error.message).toContain(
      'this brief is version 3; this Portraitist reads versions up to 1',
    );
  });

  it('runs the migration chain for older versions', () => {
    // A hypothetical version 0 that called the subject `person`.
    const migrations: BriefMigrations = new Map([
      [
        0,
        (raw) => {
          const { person, ...rest } = raw;
          return { ...rest, subject: person };
        },
      ],
    ]);
    const brief = parseBrief(
      'version: 0\nperson:\n  description: a retired boxer with a flattened nose\n',
      { migrations },
    );
    expect(brief.version).toBe(1);
    expect(brief.subject.description).toBe('a retired boxer with a flattened nose');
  });

  it('says when no migration exists', () => {
    expect(errorOf(() => parseBrief('version: 0\nsubject:\n  description: x y z\n')).code).toBe(
      'BRIEF_VERSION',
    );
  });

  it('requires a version', () => {
    const error = errorOf(() => parseBrief('subject:\n  description: a woman with a nose ring\n'));
    expect(error.issues[0]).toMatchObject({
      path: 'version',
      message: 'expected version 1 for `version` but received nothing (the field is missing)',
    });
  });
});

describe('starter brief and files', () => {
  it('the starter brief is valid and states every pillar', () => {
    const brief = parseBrief(starterBrief('Test'));
    expect(brief.title).toBe('Test');
    for (const pillar of [
      'expression',
      'posture',
      'light',
      'camera',
      'aesthetic',
      'authenticity',
    ] as const)
      expect(brief[pillar]).toBeDefined();
  });

  it('readBriefFile names a missing file', async () => {
    await expect(readBriefFile('/nonexistent/brief.yaml')).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      source: '/nonexistent/brief.yaml',
    });
  });

  it('readBriefFile uses the injected file system', async () => {
    const fs = { readFile: async () => minimal };
    await expect(readBriefFile('virtual.yaml', { fs })).resolves.toMatchObject({
      subject: { description: expect.stringContaining('shaved head') },
    });
  });

  it('validateBrief accepts objects from code', () => {
    expect(
      validateBrief({ version: 1, subject: { description: 'a nurse after a night shift' } }).output
        .target,
    ).toBe('sdxl');
  });
});
