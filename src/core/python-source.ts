/** Small pieces of Python source computed in TypeScript, formatted the way `ruff format` leaves them. */

import { RUFF_CONFUSABLES, RUFF_WIDTHS } from './ruff-tables.js';

/** The generated project's `line-length` (pyproject.toml). */
export const LINE_LENGTH = 100;

/**
 * A table of ruff-tables.ts (runs of code points in hex, `first-last`, each with `:value` or 1) as a
 * lookup, read on first use: only a default that is not ASCII needs one.
 */
function tableLookup(table: string, unlisted: number): (codePoint: number) => number {
  let runs: { starts: number[]; ends: number[]; values: number[] } | undefined;
  return (codePoint) => {
    if (runs === undefined) {
      runs = { starts: [], ends: [], values: [] };
      for (const run of table.split(' ')) {
        const [range = '', value = '1'] = run.split(':');
        const [first = '', last = first] = range.split('-');
        runs.starts.push(Number.parseInt(first, 16));
        runs.ends.push(Number.parseInt(last, 16));
        runs.values.push(Number(value));
      }
    }
    const { starts, ends, values } = runs;
    let low = 0;
    let high = starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (codePoint < (starts[middle] as number)) high = middle - 1;
      else if (codePoint > (ends[middle] as number)) low = middle + 1;
      else return values[middle] as number;
    }
    return unlisted;
  };
}

/** The columns ruff counts for a character: one unless RUFF_WIDTHS says otherwise. */
const charWidth = tableLookup(RUFF_WIDTHS, 1);

/** Whether ruff's RUF001 reports a character in a string (RUFF_CONFUSABLES lists it). */
const confusable = tableLookup(RUFF_CONFUSABLES, 0);
const isConfusable = (codePoint: number) => confusable(codePoint) === 1;

/**
 * The columns `line` takes as ruff measures a line against LINE_LENGTH, character by character as
 * ruff measured each (RUFF_WIDTHS): one for most, two for an East Asian wide one, none for a mark;
 * a tab to the next multiple of four (ruff's default indent-width), as in a tab-indented file.
 * Only a default's text, or a file the user indents with tabs, holds anything but printable ASCII.
 */
export function columns(line: string): number {
  if (/^[\x20-\x7e]*$/.test(line)) return line.length;
  let width = 0;
  for (const char of line) width = char === '\t' ? width + 4 - (width % 4) : width + charWidth(char.codePointAt(0) as number);
  return width;
}

/**
 * A Python string literal as ruff format prints it: double quotes, unless the text holds more double
 * quotes than single ones (then single quotes, which need fewer escapes). Line breaks are escaped
 * (a revision id read from a triple-quoted string may hold one).
 */
export function pythonString(value: string): string {
  const escaped = value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r');
  const doubles = value.split('"').length - 1;
  const singles = value.split("'").length - 1;
  return doubles > singles ? `'${escaped.replaceAll("'", "\\'")}'` : `"${escaped.replaceAll('"', '\\"')}"`;
}

/** Rust's char::is_alphanumeric, which ends ruff's words. */
const ALPHANUMERIC = /[\p{Alphabetic}\p{N}]/u;

const escape = (codePoint: number) =>
  codePoint > 0xffff ? `\\U${codePoint.toString(16).padStart(8, '0')}` : `\\u${codePoint.toString(16).padStart(4, '0')}`;

/**
 * `text` with what ruff's RUF001 reports in it written as escapes. As ruff (after VS Code) reads a
 * literal: a confusable character that ends a word is reported always; one inside a word only if
 * that word also holds ASCII or holds nothing but confusables, so Cyrillic or Greek words stay as typed.
 */
function escapeReported(text: string): string {
  const chars = [...text];
  const reported = new Set<number>();
  let candidates: number[] = [];
  let ascii = false;
  let unambiguous = false;
  const endWord = () => {
    if (ascii || !unambiguous) for (const index of candidates) reported.add(index);
    candidates = [];
    ascii = false;
    unambiguous = false;
  };
  chars.forEach((char, index) => {
    const codePoint = char.codePointAt(0) as number;
    if (!ALPHANUMERIC.test(char)) {
      endWord();
      if (codePoint >= 0x80 && isConfusable(codePoint)) reported.add(index);
    } else if (codePoint < 0x80) ascii = true;
    else if (isConfusable(codePoint)) candidates.push(index);
    else unambiguous = true;
  });
  endWord();
  return chars.map((char, index) => (reported.has(index) ? escape(char.codePointAt(0) as number) : char)).join('');
}

/** `text` with every character RUF001 may report written as an escape, whatever word it is in. */
function escapeConfusables(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  let escaped = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) as number;
    escaped += codePoint >= 0x80 && isConfusable(codePoint) ? escape(codePoint) : char;
  }
  return escaped;
}

/**
 * User text (a default) as a Python string literal: pythonString, with what ruff's RUF001 would
 * report (an en dash, a no-break space, a Cyrillic letter in a Latin word) written as an escape, in
 * lower-case hex as ruff format leaves it. Python reads the same text, and the file passes `ruff
 * check`. An escape's hex digits are ASCII, which can make the word after it one that RUF001
 * reads, so this repeats until nothing more is reported.
 */
export function pythonText(value: string): string {
  let printed = pythonString(value);
  if (/^[\x00-\x7f]*$/.test(printed)) return printed;
  for (let next = escapeReported(printed); next !== printed; next = escapeReported(printed)) printed = next;
  return printed;
}

/** One name a `from` import binds (`name`, or `name as alias`), with the comments that travel with it. */
export interface ImportedName {
  name: string;
  alias?: string;
  /** Comment lines above it, inside the statement's parentheses. */
  leading?: string[];
  /** The comment after it on its line. */
  trailing?: string;
}

/** A `from` import: `module` is absolute (`a.b`) or relative (`.`, `..a`). */
export interface FromImport {
  module: string;
  names: ImportedName[];
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/**
 * The order of the natord crate, which ruff's isort sorts by: characters by code point, and two runs
 * of digits as numbers (the longer is larger; at equal length the first digit that differs decides),
 * except that a run starting with 0 compares digit by digit, as a fraction would (`x02` < `x2`).
 * Names hold no whitespace, which natord would skip. Walked in place: sorting a grown project's
 * registry compares its imports thousands of times.
 */
export function naturalOrder(a: string, b: string): number {
  // Plain variables, no destructuring: this runs before V8 optimises it, where an array per step shows.
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (!isDigit(x) || !isDigit(y)) {
      if (x !== y) return x - y;
      i += 1;
      j += 1;
      continue;
    }
    const fraction = x === 48 || y === 48;
    let bias = 0;
    for (; ; i += 1, j += 1) {
      const digitX = i < a.length && isDigit(a.charCodeAt(i));
      const digitY = j < b.length && isDigit(b.charCodeAt(j));
      if (digitX !== digitY) return digitX ? 1 : -1;
      if (!digitX) break;
      const difference = a.charCodeAt(i) - b.charCodeAt(j);
      if (difference !== 0 && fraction) return difference;
      bias ||= difference;
    }
    if (bias !== 0) return bias;
  }
  return (i < a.length ? 1 : 0) - (j < b.length ? 1 : 0);
}

/** Case-insensitive first, then as written: ruff's isort with its default `case-sensitive = false`. */
const nameOrder = (a: string, b: string) => naturalOrder(a.toLowerCase(), b.toLowerCase()) || naturalOrder(a, b);

/** ruff's `order-by-type` (on by default): CONSTANTS, then Classes, then everything else. */
function memberType(name: string): number {
  if (name.length > 1 && /[A-Z]/.test(name) && !/[a-z]/.test(name)) return 0;
  return /^[A-Z]/.test(name) ? 1 : 2;
}

function memberOrder(a: ImportedName, b: ImportedName): number {
  return memberType(a.name) - memberType(b.name) || nameOrder(a.name, b.name) || nameOrder(a.alias ?? '', b.alias ?? '');
}

const relativeLevel = (module: string) => /^\.*/.exec(module)?.[0].length ?? 0;

/**
 * The order ruff's isort gives `from` imports of one section: relative ones furthest first, then by
 * module, then by the first name each imports.
 */
export function fromImportOrder(a: FromImport, b: FromImport): number {
  const [levelA, levelB] = [relativeLevel(a.module), relativeLevel(b.module)];
  return levelB - levelA || nameOrder(a.module.slice(levelA), b.module.slice(levelB)) || memberOrder(a.names[0] as ImportedName, b.names[0] as ImportedName);
}

/** The order of plain `import a.b` statements of one section: by module. */
export const plainImportOrder = (a: string, b: string) => nameOrder(a, b);

/**
 * The statements ruff's isort makes of these imports: a module's unaliased names in one statement,
 * sorted, and each `name as alias` in one of its own (combine-as-imports is off); sorted.
 */
export function canonicalFromImports(imports: FromImport[]): FromImport[] {
  const byModule = new Map<string, ImportedName[]>();
  for (const { module, names } of imports) byModule.set(module, [...(byModule.get(module) ?? []), ...names]);
  const statements: FromImport[] = [];
  for (const [module, names] of byModule) {
    const plain = new Map<string, ImportedName>();
    const aliased = new Map<string, ImportedName>();
    for (const name of names) {
      const list = name.alias === undefined ? plain : aliased;
      const key = `${name.name} ${name.alias ?? ''}`;
      const seen = list.get(key);
      list.set(key, seen ? mergeComments(seen, name) : name);
    }
    if (plain.size > 0) statements.push({ module, names: [...plain.values()].sort(memberOrder) });
    for (const name of aliased.values()) statements.push({ module, names: [name] });
  }
  return statements.sort(fromImportOrder);
}

/** The same name imported twice: once, with the comments of both. */
function mergeComments(a: ImportedName, b: ImportedName): ImportedName {
  const leading = [...(a.leading ?? []), ...(b.leading ?? [])];
  const trailing = [a.trailing, b.trailing].filter((comment) => comment !== undefined).join(' ') || undefined;
  return { ...a, leading: leading.length > 0 ? leading : undefined, trailing };
}

/** A comment ruff leaves out when it measures a line: a pragma (`# noqa`, `# type: ignore`). */
const PRAGMA = /^#\s*(?:noqa|type:|pyright:|pylint:)/;

/**
 * A `from` import as ruff formats it, at `indent`: on one line when it fits, a comment after its
 * last name included (a pragma aside, as ruff measures), else, or where `wrapped` keeps it so (a
 * statement the team wrapped, with its magic trailing comma), one name per line with a trailing
 * comma, each with its comments.
 */
export function printFromImport(statement: FromImport, indent = '', eol = '\n', lineLength = LINE_LENGTH, wrapped = false): string {
  const spelled = statement.names.map((name) => (name.alias === undefined ? name.name : `${name.name} as ${name.alias}`));
  const last = statement.names.at(-1)?.trailing;
  const commented = statement.names.some((name, index) => (name.leading?.length ?? 0) > 0 || (name.trailing !== undefined && index < spelled.length - 1));
  const line = `${indent}from ${statement.module} import ${spelled.join(', ')}`;
  const width = columns(line) + (last === undefined || PRAGMA.test(last) ? 0 : 2 + columns(last));
  if (!wrapped && !commented && width <= lineLength) return last === undefined ? line : `${line}  ${last}`;
  // One level deeper, in the statement's own indentation (a tab where the file indents with tabs).
  const inner = `${indent}${indent.includes('\t') ? '\t' : '    '}`;
  const body = statement.names.flatMap((name, index) => [
    ...(name.leading ?? []).map((comment) => `${inner}${comment}`),
    `${inner}${spelled[index]},${name.trailing === undefined ? '' : `  ${name.trailing}`}`,
  ]);
  return [`${indent}from ${statement.module} import (`, ...body, `${indent})`].join(eol);
}

const importedName = (spelled: string): ImportedName => {
  const [name, alias] = spelled.split(' as ') as [string, string | undefined];
  return alias === undefined ? { name } : { name, alias };
};

/** A name a `from` import takes from an absolute module, and the name it binds (its alias, or itself). */
export interface ImportedFrom {
  module: string;
  name: string;
  binding: string;
}

/**
 * The names the `from` imports of `text` take from absolute modules, as printFromImport prints
 * them (one line, or parenthesized, comments aside). Read from the text, without a parse: the
 * generator's imports, and a team's in the same shape.
 */
export function fromImportedNames(text: string): ImportedFrom[] {
  const found: ImportedFrom[] = [];
  for (const [, module = '', parenthesized, plain] of text.matchAll(/^[ \t]*from[ \t]+(\w[\w.]*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([^\n#(\\]+))/gm)) {
    for (const spelled of (parenthesized ?? plain ?? '').replaceAll(/#[^\n]*/g, '').split(',')) {
      const [name = '', alias] = spelled.trim().split(/\s+as\s+/);
      if (/^\w+$/.test(name)) found.push({ module, name, binding: alias !== undefined && /^\w+$/.test(alias) ? alias : name });
    }
  }
  return found;
}

/**
 * The names `text` defines at module level as the generator writes definitions, at a line's
 * start: a def, a class, an assignment (`name =`, `name:`, `name, other =`), an import that binds
 * it (on one line or in parentheses); `all` where a star import or a module `__getattr__` may
 * define any. A definition in any other shape (under an `if`, a `try`) is not seen here.
 */
export function shownDefinitions(text: string): { names: Set<string>; all: boolean } {
  const names = new Set<string>();
  let all = false;
  const bind = (spelled: string) => {
    for (const part of spelled.replaceAll(/#[^\n]*/g, '').split(',')) {
      const binding = part.trim().split(/\s+as\s+/).at(-1) as string;
      if (binding === '*') all = true;
      else if (/^\w+$/.test(binding)) names.add(binding);
    }
  };
  for (const [, defined = '', declared, targets, parenthesized, imported] of text.matchAll(
    /^(?:(?:async[ \t]+)?def[ \t]+(\w+)|class[ \t]+(\w+)|(\w+(?:[ \t]*,[ \t]*\w+)*)[ \t]*(?::|=(?!=)|,)|(?:from[ \t]+\S+[ \t]+)?import[ \t]+(?:\(([^)]*)\)|([^\n]*)))/gm,
  )) {
    if (defined === '__getattr__') all = true;
    if (defined !== '' || declared !== undefined) names.add(declared ?? defined);
    else bind(targets ?? parenthesized ?? imported ?? '');
  }
  return { names, all };
}

/** `from module import a, b` as ruff's isort and ruff format leave it (names as `x` or `x as y`). */
export function fromImport(module: string, names: string[]): string {
  return fromImports([[module, names]]);
}

/** Several `from` imports of one section, merged, split and ordered as ruff's isort wants them. */
export function fromImports(imports: Array<[module: string, names: string[]]>): string {
  return canonicalFromImports(imports.map(([module, names]) => ({ module, names: names.map(importedName) })))
    .map((statement) => printFromImport(statement))
    .join('\n');
}

/** The import that binds `module` as `binding`: `[parent, ["last as binding"]]`, or `["last"]` when they agree. */
export function importAs(module: string, binding: string): [module: string, names: string[]] {
  const dot = module.lastIndexOf('.');
  const last = module.slice(dot + 1);
  return [module.slice(0, dot), [last === binding ? last : `${last} as ${binding}`]];
}

/**
 * `<head>(<args>)<after>` indented by `indent`, split the way ruff format splits a call that does
 * not fit: the arguments on one line of their own, else one per line with a trailing comma.
 * `after` follows the closing parenthesis (the comma of an element in a list of calls).
 */
export function call(indent: string, head: string, args: string[], after = ''): string {
  const flat = `${indent}${head}(${args.join(', ')})${after}`;
  if (flat.length <= LINE_LENGTH) return flat;
  const inner = `${indent}    ${args.join(', ')}`;
  if (inner.length <= LINE_LENGTH) return `${indent}${head}(\n${inner}\n${indent})${after}`;
  return `${indent}${head}(\n${args.map((arg) => `${indent}    ${arg},\n`).join('')}${indent})${after}`;
}

/**
 * `<prefix>"<value>"<after>` at `indent` (a keyword argument, say) as ruff format leaves it: on one
 * line when it fits, else the string in parentheses on lines of its own, in implicitly concatenated
 * pieces where one line cannot hold it (split after a space where one is).
 */
export function stringArgument(indent: string, prefix: string, value: string, after: string): string {
  const whole = pythonText(value);
  if (columns(`${indent}${prefix}${whole}${after}`) <= LINE_LENGTH) return `${indent}${prefix}${whole}${after}`;
  const inner = `${indent}    `;
  if (columns(`${inner}${whole}`) <= LINE_LENGTH) return `${indent}${prefix}(\n${inner}${whole}\n${indent})${after}`;
  // Pieces have every confusable escaped, whatever word it is in. Escaped as pythonText escapes,
  // a piece cut from a word can need fewer escapes than the word did: ruff format then joins
  // pieces that fit one line together, and RUF001 reports the joined text.
  const printed = (piece: string) => escapeConfusables(pythonString(piece));
  const fits = (piece: string) => columns(`${inner}${printed(piece)}`) <= LINE_LENGTH;
  const pieces: string[] = [];
  let piece = '';
  for (const word of value.split(/(?<= )/)) {
    if (fits(`${piece}${word}`)) {
      piece += word;
      continue;
    }
    if (piece !== '') pieces.push(piece);
    piece = '';
    // A word a line cannot hold is split anywhere.
    for (const char of word) {
      if (piece !== '' && !fits(`${piece}${char}`)) {
        pieces.push(piece);
        piece = '';
      }
      piece += char;
    }
  }
  pieces.push(piece);
  return `${indent}${prefix}(\n${pieces.map((piece) => `${inner}${printed(piece)}`).join('\n')}\n${indent})${after}`;
}

/**
 * A tuple or list of `items` (their source text) as ruff format prints it where `before` and
 * `after` are the rest of its first and last line: on that line when it fits, else one item per
 * line with a trailing comma, indented one level past `before`'s, lines ending in `eol`. One item
 * of a tuple is the item alone (as Alembic writes a single parent), none is `None`.
 */
export function collection(open: '(' | '[', items: string[], before: string, after: string, eol = '\n'): string {
  const close = open === '(' ? ')' : ']';
  if (items.length === 0) return 'None';
  if (items.length === 1 && open === '(') return items[0] as string;
  const flat = `${open}${items.join(', ')}${close}`;
  if (columns(`${before}${flat}${after}`) <= LINE_LENGTH) return flat;
  const indent = /^[ \t]*/.exec(before)?.[0] ?? '';
  return `${open}${eol}${items.map((item) => `${indent}    ${item},${eol}`).join('')}${indent}${close}`;
}

/** `<target> = <value>` at the top level, in parentheses on a line of its own when it does not fit (as ruff format does). */
export function assignment(target: string, value: string): string {
  const flat = `${target} = ${value}`;
  return flat.length <= LINE_LENGTH ? flat : `${target} = (\n    ${value}\n)`;
}

/** `<head>(<parameters>) -> <returns>:` at the top level, its parameters one per line when it does not fit (as ruff format does). */
export function definition(head: string, parameters: string[], returns: string): string {
  const flat = `${head}(${parameters.join(', ')}) -> ${returns}:`;
  return flat.length <= LINE_LENGTH ? flat : `${head}(\n${parameters.map((parameter) => `    ${parameter},\n`).join('')}) -> ${returns}:`;
}

/** The import and the call that register a router in `routers/__init__.py`. */
export interface RouterLines {
  module: string;
  alias: string;
  registry: string;
}

/** A router's import: the one name taken from its package, so a statement of its own. */
export const routerImport = (router: RouterLines) => printFromImport({ module: router.module, names: [{ name: 'router', alias: router.alias }] });

export const routerInclude = (router: RouterLines) => `${router.registry}.include_router(${router.alias})`;
