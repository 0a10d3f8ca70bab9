import { describe, expect, it } from 'vitest';
import { mergeLines, mergeWithMarkers, unresolvedConflicts } from '../../src/core/merge.js';

const text = (...lines: string[]) => lines.map((line) => `${line}\n`).join('');

// What the generator wrote for two fields, and what it writes once a third joins them.
const base = text('class A:', '    a: int', '    b: int', '', '', 'def f():', '    return 1');
const theirs = text('class A:', '    a: int', '    b: int', '    c: int', '', '', 'def f():', '    return 1');

describe('mergeLines', () => {
  it('takes the generator\'s change and keeps the user\'s elsewhere', () => {
    const ours = base.replace('    return 1', '    return 2  # mine');
    expect(mergeLines(ours, base, theirs)).toEqual({ text: theirs.replace('    return 1', '    return 2  # mine'), conflicts: [] });
  });

  it('keeps both when the user added lines where the generator added one, the generator\'s first', () => {
    const ours = base.replace('    b: int\n', '    b: int\n    mine: str\n');
    expect(mergeLines(ours, base, theirs).text).toBe(text('class A:', '    a: int', '    b: int', '    c: int', '    mine: str', '', '', 'def f():', '    return 1'));
  });

  it('keeps both when the user changed lines the generator only added after', () => {
    // The generator appends a function after the user's edited last line.
    const appended = `${base}\n\ndef g():\n    return 3\n`;
    const ours = base.replace('    return 1', '    return 10');
    expect(mergeLines(ours, base, appended)).toEqual({ text: `${ours}\n\ndef g():\n    return 3\n`, conflicts: [] });
  });

  it('reports, by the user\'s line, where both changed the same lines differently, and keeps the user\'s text', () => {
    const ours = base.replace('    b: int', '    b: float');
    const removed = base.replace('    b: int\n', '');
    const result = mergeLines(ours, base, removed);
    expect(result.conflicts).toEqual([3]);
    expect(result.text).toBe(ours);
  });

  it('takes a change both sides made alike once', () => {
    expect(mergeLines(theirs, base, theirs)).toEqual({ text: theirs, conflicts: [] });
  });

  it('merges a CRLF checkout as the LF text it was generated as, keeping CRLF', () => {
    const ours = base.replace('    return 1', '    return 2').replaceAll('\n', '\r\n');
    const result = mergeLines(ours, base, theirs);
    expect(result).toEqual({ text: theirs.replace('    return 1', '    return 2').replaceAll('\n', '\r\n'), conflicts: [] });
  });

  it('keeps a file without a final newline as the user left it', () => {
    const ours = `${base}# the end`;
    expect(mergeLines(ours, base, theirs)).toEqual({ text: `${theirs}# the end`, conflicts: [] });
    // Its last generated line lost its newline; the generator appends after it.
    const appended = `${base}x = 1\n`;
    expect(mergeLines(base.slice(0, -1), base, appended)).toEqual({ text: appended.slice(0, -1), conflicts: [] });
  });
});

describe('import lines both sides changed', () => {
  const base = 'from a import B, c\nfrom d import E\n\nx = 1\n';
  it('merge by name: the user\'s names stay, the generator\'s come and go', () => {
    const ours = 'from a import B, Mine, c\nfrom d import E, Other\n\nx = 1\n';
    const theirs = 'from a import B, New, c\nfrom d import E\n\nx = 1\n';
    expect(mergeLines(ours, base, theirs)).toEqual({ text: 'from a import B, Mine, New, c\nfrom d import E, Other\n\nx = 1\n', conflicts: [] });
    expect(mergeLines(ours, base, 'from a import c\nfrom d import E\n\nx = 1\n')).toEqual({ text: 'from a import Mine, c\nfrom d import E, Other\n\nx = 1\n', conflicts: [] });
  });

  it('merge a statement wrapped a name a line by name too, printed as ruff prints it', () => {
    const wrappedBase = 'from a import (\n    Alpha,\n    Beta,\n    Gamma,\n)\n\nx = 1\n';
    const ours = 'from a import (\n    Alpha,\n    Beta,\n    Gamma,\n    Mine,\n)\n\nx = 1\n';
    expect(mergeLines(ours, wrappedBase, 'from a import Alpha, Gamma\n\nx = 1\n')).toEqual({ text: 'from a import Alpha, Gamma, Mine\n\nx = 1\n', conflicts: [] });
  });

  it('keep the comments after a statement and after a name, where the statement still fits its line', () => {
    const theirs = 'from a import B, New, c\nfrom d import E\n\nx = 1\n';
    const commented = 'from a import B, Mine, c  # the query API\nfrom d import E\n\nx = 1\n';
    expect(mergeLines(commented, base, theirs)).toEqual({ text: 'from a import B, Mine, New, c  # the query API\nfrom d import E\n\nx = 1\n', conflicts: [] });
    const wrapped = 'from a import (\n    B,\n    Mine,  # ours\n    c,\n)\nfrom d import E\n\nx = 1\n';
    expect(mergeLines(wrapped, base, theirs).text).toBe('from a import (\n    B,\n    Mine,  # ours\n    New,\n    c,\n)\nfrom d import E\n\nx = 1\n');
    // A comment after the last name keeps the statement wrapped, as ruff keeps it.
    const onLast = 'from a import (\n    B,\n    c,  # up to 255 characters\n)\nfrom d import E\n\nx = 1\n';
    expect(mergeLines(onLast, base, theirs).text).toBe('from a import (\n    B,\n    New,\n    c,  # up to 255 characters\n)\nfrom d import E\n\nx = 1\n');
    // ruff would move a comment after a statement it wraps: that is the user's to place.
    const long = `from a import B, c  # ${'x'.repeat(80)}\nfrom d import E\n\nx = 1\n`;
    expect(mergeLines(long, base, theirs).conflicts).toEqual([1]);
  });

  it('stay a conflict where a line is no plain list of names, or the generator imports from a module the user\'s lines do not', () => {
    const aliased = 'from a import B as Bee, c\nfrom d import E\n\nx = 1\n';
    expect(mergeLines(aliased, base, 'from a import B, New, c\nfrom d import E\n\nx = 1\n').conflicts).toEqual([1]);
    const ours = 'from a import B, Mine, c\nfrom d import E\n\nx = 1\n';
    expect(mergeLines(ours, base, 'from a import B, New, c\nfrom b import G\nfrom d import E\n\nx = 1\n').conflicts).toEqual([1]);
  });
});

describe('mergeWithMarkers', () => {
  it('merges what does not clash and marks what does as git does, base included', () => {
    const ours = base.replace('    b: int', '    b: float').replace('    return 1', '    return 2');
    const renamed = theirs.replace('    b: int', '    bee: int');
    expect(mergeWithMarkers(ours, base, renamed)).toEqual({
      text: text(
        'class A:',
        '    a: int',
        '<<<<<<< ours',
        '    b: float',
        '||||||| base',
        '    b: int',
        '=======',
        '    bee: int',
        '    c: int',
        '>>>>>>> theirs',
        '',
        '',
        'def f():',
        '    return 2',
      ),
      conflicts: [3],
    });
  });

  it('merges cleanly, as mergeLines does, where nothing clashes', () => {
    const ours = base.replace('    return 1', '    return 2');
    expect(mergeWithMarkers(ours, base, theirs)).toEqual(mergeLines(ours, base, theirs));
  });

  it('without a base, marks every difference, without a base part', () => {
    const ours = base.replace('    return 1', '    return 2');
    expect(mergeWithMarkers(ours, undefined, theirs)).toEqual({
      text: text('class A:', '    a: int', '    b: int', '<<<<<<< ours', '=======', '    c: int', '>>>>>>> theirs', '', '', 'def f():', '<<<<<<< ours', '    return 2', '=======', '    return 1', '>>>>>>> theirs'),
      conflicts: [4, 11],
    });
  });

  it('writes the markers in a CRLF file with CRLF, and keeps a last line without its newline so', () => {
    const ours = base.replace('    return 1\n', '    return 2').replaceAll('\n', '\r\n');
    const result = mergeWithMarkers(ours, base, base.replace('    return 1', '    return 3'));
    expect(result.text).toBe(`${base.replace('    return 1\n', '').replaceAll('\n', '\r\n')}<<<<<<< ours\r\n    return 2\r\n||||||| base\r\n    return 1\r\n=======\r\n    return 3\r\n>>>>>>> theirs`);
    expect(unresolvedConflicts(result.text)).toEqual([7]);
  });
});

describe('a file indented otherwise than the generator', () => {
  // The uniqueness checks of a service: a new field's check joins after the last one's.
  const checks = text('async def check(data):', '    if data.code is not None:', '        await unique(data.code)', '    return data');
  const withSku = text(
    'async def check(data):',
    '    if data.code is not None:',
    '        await unique(data.code)',
    '    if data.sku is not None:',
    '        await unique(data.sku)',
    '    return data',
  );

  it.each([
    ['two spaces (ruff indent-width = 2)', '  '],
    ['tabs (ruff indent-style = "tab")', '\t'],
  ])('%s: the generator\'s lines come in its indentation, at the depth they have in the generator\'s', (_, unit) => {
    const inUnit = (code: string) => code.replace(/^(?: {4})+/gm, (indent) => unit.repeat(indent.length / 4));
    expect(mergeLines(inUnit(checks), checks, withSku)).toEqual({ text: inUnit(withSku), conflicts: [] });
    // A user's own line stays as they wrote it.
    const mine = inUnit(checks).replace('return data', 'return data  # mine');
    expect(mergeLines(mine, checks, withSku).text).toBe(inUnit(withSku).replace('return data', 'return data  # mine'));
  });

  // What a team writes in docstrings keeps the indentation they gave it, which ruff leaves alone:
  // a JSON example two spaces a level, an Args: section four deeper. It is not the code's step.
  const documented = (code: string, unit: string) =>
    code.replace(
      'async def check(data):\n',
      `async def check(data):\n${unit}"""Check.\n\n${unit}Args:\n${unit}    data: the body, as\n${['{', '"a": {', '"b": {', '"c": {', '"d": {', '"e": 1'].map((line, depth) => `${unit}      ${'  '.repeat(depth)}${line}\n`).join('')}${unit}"""\n`,
    );

  it.each([
    ['four spaces', '    '],
    ['two spaces', '  '],
    ['tabs', '\t'],
  ])('a file in %s with docstrings indented their own way: merged in the code\'s indentation', (_, unit) => {
    const inUnit = (code: string) => code.replace(/^(?: {4})+/gm, (indent) => unit.repeat(indent.length / 4));
    expect(mergeLines(documented(inUnit(checks), unit), checks, withSku)).toEqual({ text: documented(inUnit(withSku), unit), conflicts: [] });
  });

  it('a file in the generator\'s indentation is merged as before, and so is one with nothing nested', () => {
    expect(mergeLines(checks, checks, withSku).text).toBe(withSku);
    expect(mergeLines('x = 1\n', 'x = 1\n', 'x = 1\ny = 2\n').text).toBe('x = 1\ny = 2\n');
  });
});

describe('unresolvedConflicts', () => {
  it('finds each marked block still open, and nothing in a resolved file or in a lone marker-like line', () => {
    const marked = mergeWithMarkers(base.replace('    b: int', '    b: float'), base, base.replace('    b: int', '    b: str')).text;
    expect(unresolvedConflicts(marked)).toEqual([3]);
    expect(unresolvedConflicts(theirs)).toEqual([]);
    expect(unresolvedConflicts('x = """\n<<<<<<< not closed\n"""\n')).toEqual([]);
  });
});
