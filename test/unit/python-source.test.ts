import { describe, expect, it } from 'vitest';
import { columns } from '../../src/core/python-source.js';

describe('columns', () => {
  it.each([
    ['plain ASCII', 'abc def', 7],
    ['an East Asian wide character', '中文', 4],
    ['a combining accent', 'e\u0301', 1],
    ['a Bengali consonant and its spacing vowel sign', 'কা', 1],
    ['a Hangul medial vowel (conjoining jamo)', '\u1100\u1161', 2],
    ['an Arabic number sign, which ruff counts', '\u0600', 1],
    ['a soft hyphen', 'a\u00adb', 2],
    ['an emoji', '🎉', 2],
  ])('counts %s as ruff measures a line (%j: %i)', (_, text, width) => {
    expect(columns(text)).toBe(width);
  });
});
