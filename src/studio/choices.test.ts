import { describe, expect, it } from 'vitest';
import { provenanceModes as engineProvenanceModes } from '../engines/index.js';
import { provenanceModes } from './choices.js';

describe('flag choice lists', () => {
  it('lists the provenance modes the engines know, in their order', () => {
    expect(provenanceModes).toEqual(engineProvenanceModes);
  });
});
