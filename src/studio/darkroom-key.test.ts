import { describe, expect, it } from 'vitest';
import { rigTarget } from '../darkroom/index.js';
import { keyPhrase } from './darkroom.js';

describe('keyPhrase', () => {
  it('calls frontal rigs frontal and names the side of side-lit ones', () => {
    expect(keyPhrase(rigTarget('butterfly', 'left').azimuth, 'left')).toBe('from the front');
    expect(keyPhrase(rigTarget('split', 'right').azimuth, 'right')).toBe(
      "from the subject's right",
    );
    expect(keyPhrase(rigTarget('rembrandt', 'left').azimuth, 'left')).toBe(
      "from the subject's left",
    );
  });
});
