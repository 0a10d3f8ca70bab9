import { diff3Merge, diffComm } from 'node-diff3';
import { STDLIB_MODULES } from './names.js';
import { canonicalFromImports, columns, type ImportedName, LINE_LENGTH, printFromImport } from './python-source.js';
import { inLineEndingsOf, reindent } from './source-text.js';

/**
 * Three-way merge by lines, as git merges: `base` is what the generator wrote, `ours` the file as
 * the user has it, `theirs` what the generator writes now. Lines only one side changed take that
 * side. Where both touched the same place but one side only added lines around what the other
 * changed (a field added after the fields, the user's validator after them), both are kept, the
 * generator's lines first. Both sides changing the same lines differently is a conflict.
 */
export interface MergeResult {
  text: string;
  /**
   * 1-based lines where the two sides changed the same lines: of `ours` (mergeLines), or of the
   * merged text, where each conflict's `<<<<<<< ours` marker is (mergeWithMarkers).
   */
  conflicts: number[];
}

const lines = (text: string) => text.split(/(?<=\n)/);

const startsWith = (lines: string[], start: string[]) => start.every((line, index) => lines[index] === line);
const endsWith = (lines: string[], end: string[]) => end.every((line, index) => lines[lines.length - end.length + index] === line);

/** Where `inner` (not empty) stands in `lines`, whole and once; -1 elsewhere. */
function onlyPlace(lines: string[], inner: string[]): number {
  const places = lines.flatMap((_, at) => (at + inner.length <= lines.length && startsWith(lines.slice(at), inner) ? [at] : []));
  return inner.length > 0 && places.length === 1 ? (places[0] as number) : -1;
}

/**
 * Both sides kept when one of them only added lines before or after the base's lines, or both
 * (the user's imports above and below the one the generator changes).
 */
function aroundBase(a: string[], o: string[], b: string[]): string[] | undefined {
  if (startsWith(a, o)) return [...b, ...a.slice(o.length)];
  if (endsWith(a, o)) return [...a.slice(0, a.length - o.length), ...b];
  if (startsWith(b, o)) return [...a, ...b.slice(o.length)];
  if (endsWith(b, o)) return [...b.slice(0, b.length - o.length), ...a];
  const inA = onlyPlace(a, o);
  if (inA >= 0) return [...a.slice(0, inA), ...b, ...a.slice(inA + o.length)];
  const inB = onlyPlace(b, o);
  if (inB >= 0) return [...b.slice(0, inB), ...a, ...b.slice(inB + o.length)];
  return undefined;
}

/**
 * The indentation a text steps in: the most common increase from a line of code to a deeper next
 * one (four spaces as ruff formats, a tab, two spaces); undefined for a text without nested lines.
 * Lines inside a triple-quoted string (a docstring's example, its Args: section, which ruff leaves
 * as written) and comments do not count: they are not the code's indentation.
 */
function indentStep(text: string): string | undefined {
  const counts = new Map<string, number>();
  let previous: string | undefined;
  let inString: string | undefined;
  for (const line of text.split('\n')) {
    const startsInString = inString !== undefined;
    for (const [quotes] of line.matchAll(/"""|'''/g)) {
      if (inString === undefined) inString = quotes;
      else if (quotes === inString) inString = undefined;
    }
    if (startsInString || line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = /^[ \t]*/.exec(line)?.[0] ?? '';
    if (previous !== undefined && indent.length > previous.length && indent.startsWith(previous)) {
      const step = indent.slice(previous.length);
      counts.set(step, (counts.get(step) ?? 0) + 1);
    }
    previous = indent;
  }
  let most: [string, number] | undefined;
  for (const entry of counts) if (!most || entry[1] > most[1]) most = entry;
  return most?.[0];
}

/** Where both sides changed the same lines: ours, what it was (absent in a two-way merge), theirs. */
interface Clash {
  ours: string[];
  /** 0-based line of `ours` where the clash starts. */
  oursIndex: number;
  base?: string[];
  theirs: string[];
}

/**
 * The merge as lines, in the user's line endings, with `resolve` deciding each clash: the lines it
 * returns go in its place. A checkout with CRLF line endings (git's autocrlf) merges as the LF text
 * it was generated as; a last line without its newline merges as the line it was, and the result
 * ends as the user's did. Without `base`, every difference between ours and theirs is a clash.
 */
function merge(ours: string, base: string | undefined, theirs: string, resolve: (clash: Clash, eol: string, merged: string[]) => string[]): string {
  const eol = ours.includes('\r\n') ? '\r\n' : '\n';
  // A file the user indents otherwise than the generator (tabs, two spaces: ruff's indent-style
  // and indent-width) merges with the generator's lines in its own indentation: four-space lines
  // put among two-space ones would nest inside the statement above them.
  const ourStep = indentStep(ours);
  const generatedStep = indentStep(theirs);
  const respaced = ourStep !== undefined && generatedStep !== undefined && ourStep !== generatedStep;
  const withEndings = (text: string) => inLineEndingsOf(ours, respaced ? reindent(text, generatedStep, ourStep) : text);
  const unterminated = ours !== '' && !ours.endsWith('\n');
  const a = lines(unterminated ? ours + eol : ours);
  const b = lines(withEndings(theirs));
  const merged: string[] = [];
  if (base === undefined) {
    let oursIndex = 0;
    for (const block of diffComm(a, b)) {
      if (block.common) merged.push(...block.common);
      else merged.push(...resolve({ ours: block.buffer1, oursIndex, theirs: block.buffer2 }, eol, merged));
      oursIndex += (block.common ?? block.buffer1).length;
    }
  } else {
    const blocks = diff3Merge(a, lines(withEndings(base)), b, { excludeFalseConflicts: true }) as Array<
      { ok: string[] } | { conflict: { a: string[]; aIndex: number; o: string[]; b: string[] } }
    >;
    for (const block of blocks) {
      if ('ok' in block) {
        merged.push(...block.ok);
        continue;
      }
      const { a: mine, aIndex, o, b: generated } = block.conflict;
      merged.push(...(aroundBase(mine, o, generated) ?? resolve({ ours: mine, oursIndex: aIndex, base: o, theirs: generated }, eol, merged)));
    }
  }
  const text = merged.join('');
  return unterminated && text.endsWith(eol) ? text.slice(0, -eol.length) : text;
}

/** Merges, keeping the user's lines where both sides changed them, and says where that was. */
export function mergeLines(ours: string, base: string, theirs: string): MergeResult {
  const conflicts: number[] = [];
  const text = merge(ours, base, theirs, (clash, eol) => {
    const imports = mergedImports(clash, eol);
    if (imports) return imports;
    conflicts.push(clash.oursIndex + 1);
    return clash.ours;
  });
  return { text, conflicts };
}

/** `from a.b import C, d` on one line, without parentheses or aliases, a comment after it or not. */
const FROM_IMPORT = /^from ([\w.]+) import (\w+(?:, \w+)*)(?: +(#.*))?$/;
/** The first line of one wrapped in parentheses, then each name's line (no alias; a comment after it or not). */
const FROM_IMPORT_OPEN = /^from ([\w.]+) import \($/;
const NAME_LINE = /^( {4})(\w+),(?: +(#.*))?$/;

/** A `from` statement of a clash: its names (with the comments after them), and the comment after a one-line statement. */
interface ReadImport {
  names: ImportedName[];
  comment?: string;
  /** Wrapped a name a line: kept so where a name has its comment, as ruff keeps it. */
  wrapped?: boolean;
}

/**
 * A clash of `from` imports only, on a line or wrapped a name a line, each module once a side (the
 * user imported one more error type where add-field imports another): merged by name, as the
 * lines of a statement are not. Each of the user's statements keeps its place and its comments,
 * with the names the generator added and without those it took out; a one-line statement keeps
 * the comment after it where it still fits on one line. Undefined (a conflict) where the
 * generator imports from a module the user's lines do not, or any line is of another kind.
 */
function mergedImports(clash: Clash, eol: string): string[] | undefined {
  if (clash.base === undefined) return undefined;
  /** `generated`: the generator's lines, whose blank lines (between sections) the caller puts back. */
  const read = (lines: string[], generated = true) => {
    const modules = new Map<string, ReadImport>();
    for (let at = 0; at < lines.length; at += 1) {
      const line = (lines[at] as string).replace(/\r?\n$/, '');
      if (generated && line === '') continue;
      // As ruff wraps one that does not fit: `from a import (`, a name a line, `)`.
      const open = FROM_IMPORT_OPEN.exec(line);
      let module: string | undefined;
      const statement: ReadImport = { names: [] };
      if (open) {
        module = open[1] as string;
        statement.wrapped = true;
        for (at += 1; at < lines.length && !/^\)\r?\n?$/.test(lines[at] as string); at += 1) {
          // Four spaces in, as printFromImport prints them: another indentation is left to the user.
          const name = NAME_LINE.exec((lines[at] as string).replace(/\r?\n$/, ''));
          if (!name) return undefined;
          statement.names.push({ name: name[2] as string, ...(name[3] === undefined ? {} : { trailing: name[3] }) });
        }
        if (at >= lines.length) return undefined;
      } else {
        const match = FROM_IMPORT.exec(line);
        if (!match) return undefined;
        module = match[1] as string;
        statement.names = (match[2] as string).split(', ').map((name) => ({ name }));
        if (match[3] !== undefined) statement.comment = match[3];
      }
      if (modules.has(module)) return undefined;
      modules.set(module, statement);
    }
    return modules;
  };
  const [ours, base, theirs] = [read(clash.ours, false), read(clash.base), read(clash.theirs)];
  if (!ours || !base || !theirs) return undefined;
  // A module the generator newly imports from goes after the user's statements: one of the
  // standard library's (a date field's `from datetime import date`), which the merge's caller
  // moves to its section; another would have no place the merge can tell.
  const added = [...theirs].filter(([module]) => !ours.has(module) && !base.has(module));
  if (added.some(([module]) => !STDLIB_MODULES.has(module.split('.')[0] as string))) return undefined;
  const merged: string[] = [];
  for (const [module, { names, comment, wrapped }] of ours) {
    const [was, now] = [base.get(module)?.names.map((name) => name.name) ?? [], theirs.get(module)?.names.map((name) => name.name) ?? []];
    const mine = names.map((name) => name.name);
    const kept = [...names.filter((name) => !was.includes(name.name) || now.includes(name.name)), ...now.filter((name) => !was.includes(name) && !mine.includes(name)).map((name) => ({ name }))];
    const [statement] = canonicalFromImports([{ module, names: kept }]);
    if (!statement) continue;
    if (comment === undefined) {
      const commented = wrapped === true && statement.names.some((name) => name.trailing !== undefined);
      merged.push(...printFromImport(statement, '', '\n', LINE_LENGTH, commented).split('\n').map((line) => line + eol));
      continue;
    }
    // The comment after the statement stays after it, on its line; where that line would be too
    // long, ruff wraps the statement and puts the comment after its `)`: left to the user (a conflict).
    const printed = `${printFromImport(statement)}  ${comment}`;
    if (printed.includes('\n') || columns(printed) > LINE_LENGTH) return undefined;
    merged.push(printed + eol);
  }
  for (const [module, { names }] of added) merged.push(...printFromImport({ module, names }).split('\n').map((line) => line + eol));
  return merged;
}

/** The lines git's conflict markers start with (merge.conflictStyle = diff3). */
const CONFLICT_MARKERS = { ours: '<<<<<<< ours', base: '||||||| base', separator: '=======', theirs: '>>>>>>> theirs' };

/**
 * Merges and writes each conflict as git does, for the user to resolve in any editor:
 * `<<<<<<< ours`, the user's lines, `||||||| base` and what the generator wrote, `=======`, the
 * generator's new lines, `>>>>>>> theirs`. Without a base (what the generator wrote is not known)
 * every difference is such a block, without its base part.
 */
export function mergeWithMarkers(ours: string, base: string | undefined, theirs: string): MergeResult {
  const conflicts: number[] = [];
  const text = merge(ours, base, theirs, (clash, eol, merged) => {
    conflicts.push(merged.length + 1);
    // A side whose last line has no newline (a file's end) still needs one before the next marker.
    const block = (side: string[]) => side.map((line) => (line.endsWith('\n') ? line : line + eol));
    const { ours: mine, base: was, theirs: generated } = clash;
    return [
      CONFLICT_MARKERS.ours + eol,
      ...block(mine),
      ...(was === undefined ? [] : [CONFLICT_MARKERS.base + eol, ...block(was)]),
      CONFLICT_MARKERS.separator + eol,
      ...block(generated),
      CONFLICT_MARKERS.theirs + eol,
    ];
  });
  return { text, conflicts };
}

/**
 * `text` with each conflict block (mergeWithMarkers) resolved one way and the other: the user's
 * lines kept in every block, and the generator's new ones.
 */
export function conflictSides(text: string): [ours: string, theirs: string] {
  const [ours, theirs]: [string[], string[]] = [[], []];
  let part: 'both' | 'ours' | 'base' | 'theirs' = 'both';
  for (const line of text.split(/(?<=\n)/)) {
    const marker = line.replace(/\r?\n$/, '');
    if (marker === CONFLICT_MARKERS.ours && part === 'both') part = 'ours';
    else if (marker === CONFLICT_MARKERS.base && part === 'ours') part = 'base';
    else if (marker === CONFLICT_MARKERS.separator && (part === 'ours' || part === 'base')) part = 'theirs';
    else if (marker === CONFLICT_MARKERS.theirs && part === 'theirs') part = 'both';
    else {
      if (part === 'both' || part === 'ours') ours.push(line);
      if (part === 'both' || part === 'theirs') theirs.push(line);
    }
  }
  return [ours.join(''), theirs.join('')];
}

/** 1-based lines where a conflict block (a `<<<<<<<` line, later closed by `>>>>>>>`) is still open in `text`. */
export function unresolvedConflicts(text: string): number[] {
  const found: number[] = [];
  let open: number | undefined;
  for (const [index, line] of text.split('\n').entries()) {
    if (/^<{7}(?: |\r?$)/.test(line)) open ??= index + 1;
    else if (/^>{7}(?: |\r?$)/.test(line) && open !== undefined) {
      found.push(open);
      open = undefined;
    }
  }
  return found;
}
