// Issue 14 #8: hostile briefs end in a typed parse error, never INTERNAL or a stack overflow.
import { describe, expect, it } from 'vitest';
import { isPortraitistError } from '../errors/index.js';
import { parseBrief } from './index.js';

function codeOf(text: string): string {
  try {
    parseBrief(text);
    return 'parsed';
  } catch (error) {
    return isPortraitistError(error) ? error.code : `untyped: ${String(error)}`;
  }
}

describe('brief bombs', () => {
  it('billion-laughs YAML is BRIEF_PARSE', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i += 1) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    expect(codeOf(lines.join('\n'))).toBe('BRIEF_PARSE');
  });

  it('JSON nested 5,000 deep is BRIEF_PARSE', () => {
    expect(codeOf(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`)).toBe('BRIEF_PARSE');
  });
});
