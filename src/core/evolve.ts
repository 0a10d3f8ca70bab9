import { CliError, UsageError } from '../errors.js';
import { freeRevision, liveDomains, type MigrationChain, recordedFields, renderDomain } from './domain.js';
import { type Field, hasPlainIndex } from './fields.js';
import { isUnchanged, type Manifest } from './manifest.js';
import { mergeLines } from './merge.js';
import { type DomainName, domainName, STDLIB_MODULES } from './names.js';
import { type Plan, projectModulePlace } from './plan.js';
import { classAttributeLines, importedModules, type ImportStatement, moduleImports, moduleOfFile, namesUsedOutsideImports, nameUseLines, syntaxErrorLine } from './python-edit.js';
import { renderProject } from './project.js';
import { pythonFilesUnder } from './removal.js';
import { canonicalFromImports, type FromImport, fromImportOrder, plainImportOrder, printFromImport, stringArgument } from './python-source.js';
import { type RenderedFile, renderTree } from './render.js';

/**
 * A domain after day one: its files rendered again for its new fields and merged, line by line,
 * with the changes the user made to them since (three-way, base = the old fields' rendering), and
 * a migration at the head that adds or drops the columns.
 */

/** A domain's files re-rendered: where they conflict, and each file as it was and as it was generated. */
export interface Replanned {
  conflicts: string[];
  files: Map<string, { ours: string; generatedAs: string }>;
}

/**
 * Re-renders the domain's files (not its migrations) for `after` and plans each merged with the
 * user's changes. The base is what the file was generated as: its text when the manifest's hash
 * says it is unchanged since (whatever this version's templates would render for the old fields),
 * else the old fields' rendering.
 */
export async function replanDomainFiles(plan: Plan, manifest: Manifest, name: DomainName, before: Field[], after: Field[]): Promise<Replanned> {
  const base = renderDomain(manifest.options, { name, fields: before });
  const theirs = renderDomain(manifest.options, { name, fields: after });
  const replanned: Replanned = { conflicts: [], files: new Map() };
  for (const [index, file] of theirs.entries()) {
    const ours = plan.read(file.path);
    if (ours === undefined) {
      // A test file the user deleted stays deleted. The domain's code the change reaches (its
      // model, schemas, service checks) moved or deleted would leave a column no model maps.
      if (!file.path.startsWith('tests/') && (base[index] as RenderedFile).content !== file.content) {
        throw new CliError(`${file.path} is not there (moved or deleted since it was generated), and the change reaches it; restore it, then run again. Nothing was written`);
      }
      continue;
    }
    const unchanged = isUnchanged(plan.original(file.path), manifest.files[file.path]);
    const generatedAs = unchanged ? ours.replaceAll('\r\n', '\n') : (base[index] as RenderedFile).content;
    replanned.files.set(file.path, { ours, generatedAs });
    if (ours === generatedAs) {
      plan.generate(file);
      continue;
    }
    const pre = file.path.endsWith('.py') ? await withoutDroppedImports(file.path, ours, generatedAs, file.content) : { ours, base: generatedAs, removed: [] };
    const merged = mergeLines(pre.ours, pre.base, file.content);
    // Merged lines that Python would not read (a class the user indented with tabs among the
    // generator's spaces) are a conflict at the first such line, as lines both changed are.
    const unreadable = merged.conflicts.length === 0 && file.path.endsWith('.py') ? await syntaxErrorLine(merged.text) : undefined;
    if (unreadable !== undefined) replanned.conflicts.push(`${file.path}:${unreadable}`);
    else if (merged.conflicts.length > 0) {
      // Lines of the user's file as it is: after each row taken out before the merge, one further down.
      const onDisk = (line: number) => pre.removed.reduce((at, row) => (at - 1 >= row ? at + 1 : at), line);
      replanned.conflicts.push(...merged.conflicts.map((line) => `${file.path}:${onDisk(line)}`));
    }
    else {
      const kept = file.path.endsWith('.py') ? await restoreImportsRead(file.path, merged.text, generatedAs, file.content) : { text: merged.text };
      if ('conflict' in kept) replanned.conflicts.push(`${file.path}:${kept.conflict}`);
      else {
        const firstParty = (module: string) => projectModulePlace(plan, module, file.path) !== undefined;
        const text = file.path.endsWith('.py') ? await sectionImports(file.path, await dropImportsNoLongerRead(file.path, kept.text, generatedAs, file.content), ours, firstParty) : kept.text;
        plan.generate(file, blankAfterClassDocstrings(text));
      }
    }
  }
  return replanned;
}

/**
 * Import statements the change drops whole (remove-field's `from datetime import date`, the
 * module's last name gone), found as generated in the user's file: taken out of it and of the base
 * before the merge, each with the blank line after it where one is before it too (its section goes
 * with it). Imports the user keeps around it (add-field sorted it in among theirs) would otherwise
 * make the generator's removal a conflict. The user's rows taken out (0-based, ascending) say
 * where a conflict is in the file as it is.
 */
async function withoutDroppedImports(path: string, ours: string, generatedAs: string, theirs: string): Promise<{ ours: string; base: string; removed: number[] }> {
  const key = (statement: ImportStatement) => `${statement.from ? 'from' : 'import'} ${statement.module}`;
  const kept = new Set((await moduleImports(theirs, path)).map(key));
  const dropped = (await moduleImports(generatedAs, path)).filter((statement) => statement.row === statement.endRow && !kept.has(key(statement)));
  if (dropped.length === 0) return { ours, base: generatedAs, removed: [] };
  const all = await moduleImports(ours, path);
  const mine = all.filter((statement) => statement.row === statement.endRow);
  // Where the user imports from that module in a statement of their own (add-field joined the
  // generator's names into it), the base loses the generator's: the user's statement merges as
  // unchanged, and the names no code reads any more go after the merge (dropImportsNoLongerRead).
  const baseOnly: number[] = [];
  const pairs = dropped.flatMap((statement) => {
    const found = mine.filter((other) => other.lines[0] === statement.lines[0]);
    if (found.length === 1) return [{ base: statement.row, ours: (found[0] as ImportStatement).row }];
    if (statement.from && all.some((other) => other.from?.module === statement.module)) baseOnly.push(statement.row);
    return [];
  });
  const eol = ours.includes('\r\n') ? '\r\n' : '\n';
  const cut = (lines: string[], rows: number[]) => [...rows].sort((a, b) => b - a).flatMap((row) => takeOutStatement(lines, row, row));
  const oursLines = ours.split(eol);
  const baseLines = generatedAs.split('\n');
  const removed = cut(oursLines, pairs.map((pair) => pair.ours));
  cut(baseLines, [...pairs.map((pair) => pair.base), ...baseOnly]);
  // Rows as they were, ascending: rows cut later (further up) came before those cut first.
  return { ours: oursLines.join(eol), base: baseLines.join('\n'), removed: removed.sort((a, b) => a - b) };
}

/**
 * Takes the rows `row`..`endRow` (an import statement) out of `lines`, with the blank line after
 * them where they stood alone between two blank lines (their section goes with them), or where
 * `blankToo` says; returns the rows taken out.
 */
function takeOutStatement(lines: string[], row: number, endRow: number, blankToo = false): number[] {
  const blank = lines[endRow + 1] === '' && (lines[row - 1] === '' || blankToo);
  const span = endRow - row + 1 + (blank ? 1 : 0);
  lines.splice(row, span);
  return Array.from({ length: span }, (_, offset) => row + offset);
}

/** A statement's text, its lines joined. */
const statementText = (statement: ImportStatement) => statement.lines.join('\n');

/**
 * Imports the merge left out whose names the file still reads, put back:
 * - one the change no longer needs (remove-field's `from decimal import Decimal`, its last decimal
 *   field gone) that code the user wrote still reads: the merge took it out with the generator's
 *   lines;
 * - one the generator has that the user took out, unused then (`import pytest`, their
 *   parametrized tests deleted), that the change's new lines read: the merge kept it out.
 * Into the statement of that module the file still has (`Date` back into `from sqlalchemy import
 * String, ...`), or as a statement where the generator had it, after the same line (the last one
 * before it that is not blank) and with the same blank lines around it, so that its section reads
 * as ruff sorts it. Where that cannot be done (no such line, once; a statement with comments
 * inside to print anew), the first line that still reads it is a conflict.
 */
async function restoreImportsRead(path: string, merged: string, generatedAs: string, theirs: string): Promise<{ text: string } | { conflict: number }> {
  const theirsImports = await moduleImports(theirs, path);
  const generated = new Set(theirsImports.map(statementText));
  const inMerged = new Set((await moduleImports(merged, path)).map(statementText));
  const [base, theirsLines] = [generatedAs.split('\n'), theirs.split('\n')];
  const missing = [
    ...(await moduleImports(generatedAs, path)).filter((statement) => !generated.has(statementText(statement))).map((statement) => ({ statement, generatedIn: base })),
    ...theirsImports.filter((statement) => !inMerged.has(statementText(statement))).map((statement) => ({ statement, generatedIn: theirsLines })),
  ];
  const eol = merged.includes('\r\n') ? '\r\n' : '\n';
  let text = merged;
  for (const { statement, generatedIn } of missing) {
    const now = await moduleImports(text, path);
    const bound = new Set(now.flatMap((other) => other.names));
    const gone = statement.names.filter((name) => !bound.has(name));
    const used = gone.length === 0 ? new Set<string>() : await namesUsedOutsideImports(text, path, gone);
    if (used.size === 0) continue;
    const conflict = async () => ({ conflict: (await nameUseLines(text, path, [...used][0] as string, false))[0] ?? 1 });
    const lines = text.split(eol);
    const { from } = statement;
    if (from) {
      const names = from.names.filter((name) => used.has(name.alias ?? name.name));
      const kept = now.find((other) => other.from?.module === from.module && other.from.names.every((name) => name.alias === undefined));
      if (kept && names.every((name) => name.alias === undefined)) {
        // Printed anew: comments inside it would be lost.
        if (kept.lines.some((line) => line.includes('#'))) return conflict();
        const [joined] = canonicalFromImports([kept.from as FromImport, { module: from.module, names }]) as [FromImport];
        lines.splice(kept.row, kept.endRow - kept.row + 1, ...printFromImport(joined).split('\n'));
        text = lines.join(eol);
        continue;
      }
    }
    const restored = from
      ? canonicalFromImports([{ module: from.module, names: from.names.filter((name) => used.has(name.alias ?? name.name)) }]).flatMap((one) => printFromImport(one).split('\n'))
      : statement.lines;
    let previous = statement.row - 1;
    while (previous >= 0 && generatedIn[previous] === '') previous -= 1;
    const anchor = previous >= 0 && lines.filter((line) => line === generatedIn[previous]).length === 1 ? lines.indexOf(generatedIn[previous] as string) : -1;
    const insertAt = anchor + 1 + (statement.row - previous - 1);
    if (anchor < 0 || lines.slice(anchor + 1, insertAt).some((line) => line !== '')) return conflict();
    const blankAfter = generatedIn[statement.endRow + 1] === '' && lines[insertAt] !== '';
    lines.splice(insertAt, 0, ...restored, ...(blankAfter ? [''] : []));
    text = lines.join(eol);
  }
  return { text };
}

/**
 * Names the generator imported and no longer needs (remove-field's `date`) that stayed in a
 * statement of the user's (add-field had joined them into their `from datetime import timedelta`):
 * taken out of it where no code reads them, as ruff would flag them unused (F401).
 */
async function dropImportsNoLongerRead(path: string, merged: string, generatedAs: string, theirs: string): Promise<string> {
  const needed = new Set((await moduleImports(theirs, path)).flatMap((statement) => statement.names));
  const unneeded = (await moduleImports(generatedAs, path)).flatMap((statement) => (statement.from ? statement.from.names.filter((name) => name.alias === undefined && !needed.has(name.name)).map((name) => `${statement.module} ${name.name}`) : []));
  if (unneeded.length === 0) return merged;
  const eol = merged.includes('\r\n') ? '\r\n' : '\n';
  let text = merged;
  for (const statement of [...(await moduleImports(merged, path))].reverse()) {
    const { from } = statement;
    if (!from) continue;
    const candidates = from.names.filter((name) => name.alias === undefined && unneeded.includes(`${from.module} ${name.name}`)).map((name) => name.name);
    if (candidates.length === 0) continue;
    const read = await namesUsedOutsideImports(text, path, candidates);
    const names = from.names.filter((name) => !candidates.includes(name.name) || read.has(name.name));
    if (names.length === from.names.length) continue;
    // A statement with comments goes whole with its last name, its comments with it (as ruff's
    // fix of F401 takes them); one that keeps names would print its comments anew: left as it is.
    const commented = statement.lines.some((line) => line.includes('#'));
    if (commented && names.length > 0) continue;
    const lines = text.split(eol);
    if (names.length > 0) lines.splice(statement.row, statement.endRow - statement.row + 1, ...printFromImport({ module: from.module, names }).split('\n'));
    else takeOutStatement(lines, statement.row, statement.endRow);
    text = lines.join(eol);
  }
  return text;
}

/**
 * A standard-library import the change adds where ruff's isort would not have it: into a module
 * the user imports from already (`from datetime import date, timedelta`), its names join that
 * statement; below a third-party or the project's own import (the user's `import anyio` above the
 * generated `from sqlalchemy`), it moves up to the standard library's section, or to a new one
 * before the first import of another section. One statement at a time, read again after each.
 */
async function placeNewStandardImports(
  path: string,
  text: string,
  isNew: (statement: ImportStatement) => boolean,
  standard: (statement: ImportStatement) => boolean,
  /** Whether the user's file had these two lines one after the other. */
  adjacent: (above: string, below: string) => boolean,
): Promise<string> {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const done = new Set<string>();
  for (;;) {
    const statements = await moduleImports(text, path);
    const index = statements.findIndex((statement) => isNew(statement) && !done.has(statementText(statement)));
    const statement = statements[index];
    if (statement === undefined) return text;
    done.add(statementText(statement));
    const lines = text.split(eol);
    /**
     * Takes the statement out, with the blank line after it where it stood alone between two, or
     * where the merge put one between two lines the user had together.
     */
    const takeOut = () => {
      const [above, below] = [lines[statement.row - 1], lines[statement.endRow + 2]];
      takeOutStatement(lines, statement.row, statement.endRow, above !== undefined && below !== undefined && adjacent(above, below));
    };
    const plain = (other: ImportStatement) => other.from !== undefined && other.from.names.every((name) => name.alias === undefined);
    const same = statements.find((other) => other !== statement && plain(other) && plain(statement) && other.module === statement.module && !other.lines.some((line) => line.includes('#')));
    if (same) {
      const [joined] = canonicalFromImports([same.from as FromImport, statement.from as FromImport]) as [FromImport];
      const printed = printFromImport(joined).split('\n');
      // The later of the two first, so that the other's rows stay where they were.
      if (statement.row > same.row) {
        takeOut();
        lines.splice(same.row, same.endRow - same.row + 1, ...printed);
      } else {
        lines.splice(same.row, same.endRow - same.row + 1, ...printed);
        takeOut();
      }
      text = lines.join(eol);
      continue;
    }
    const otherSection = (other: ImportStatement) => !standard(other) && other.module !== '__future__';
    const first = statements.findIndex(otherSection);
    if (first < 0 || first > index) continue;
    const section = statements.slice(0, first).filter(standard).at(-1);
    const moved = statement.lines;
    takeOut();
    const target = statements[first] as ImportStatement;
    if (section) lines.splice(section.endRow + 1, 0, ...moved);
    else lines.splice(target.row, 0, ...moved, '');
    text = lines.join(eol);
  }
}

/**
 * The standard library's imports in a section of their own, as ruff's isort wants them (I001),
 * where the merge left them otherwise. A standard-library import the change adds (add-field's
 * `from datetime import date`) to a file with such imports of the user's (`import logging`) lands
 * beside theirs, in a block of its own or out of order: the section is joined and sorted as ruff
 * sorts one by default. One the change takes out (remove-field's) takes the blank line after it,
 * and leaves the user's last one against the next section: a blank line goes back between them.
 * The project's own imports (`firstParty`) are joined and sorted the same way: add-field's
 * `from test_users_api import create_user` lands in a block of its own above the user's `from
 * helpers import create_order`. Only where the change made it so: what the user's file had stays
 * as it was.
 */
async function sectionImports(path: string, merged: string, ours: string, firstParty: (module: string) => boolean): Promise<string> {
  const beforeLines = ours.replaceAll('\r\n', '\n').split('\n');
  const standard = (statement: ImportStatement) => statement.modules.every((module) => STDLIB_MODULES.has(module.split('.')[0] as string));
  // Lines are split at \n: in a CRLF file each keeps its \r, and a line put in gets one.
  const cr = merged.includes('\r\n') ? '\r' : '';
  /** The module-level imports in runs of statements on consecutive lines. */
  const importBlocks = async (text: string) => {
    const blocks: ImportStatement[][] = [];
    for (const statement of await moduleImports(text, path)) {
      const last = blocks.at(-1);
      if (last && (last.at(-1) as ImportStatement).endRow === statement.row - 1) last.push(statement);
      else blocks.push([statement]);
    }
    return blocks;
  };
  /** Whether the user's file had `b` right after `a`, or (`apart`) after blank lines. */
  const follows = (a: ImportStatement, b: ImportStatement, apart = false) =>
    beforeLines.some((line, at) => {
      if (line !== a.lines.at(-1)) return false;
      let next = at + 1;
      while (apart && beforeLines[next] === '') next += 1;
      return next > at + (apart ? 1 : 0) && beforeLines[next] === b.lines[0];
    });
  const usersStatements = new Set((await moduleImports(ours, path)).map(statementText));
  // By what they import from (`from sqlalchemy`): the generator may have changed the names since.
  const from = (line: string | undefined) => /^(?:from|import)\s+[\w.]+/.exec(line ?? '')?.[0] ?? line;
  const adjacent = (above: string, below: string) => beforeLines.some((line, at) => from(line) === from(above) && from(beforeLines[at + 1]) === from(below));
  const placed = await placeNewStandardImports(path, merged, (statement) => !usersStatements.has(statementText(statement)) && standard(statement), standard, adjacent);
  let lines = placed.split('\n');
  // From the end in each pass, so that each change leaves the rows before it where they were.
  for (const block of (await importBlocks(placed)).reverse()) {
    for (let at = block.length - 1; at > 0; at -= 1) {
      const [above, below] = [block[at - 1] as ImportStatement, block[at] as ImportStatement];
      if (standard(above) && !standard(below) && !follows(above, below)) lines.splice(below.row, 0, cr);
    }
  }
  const split = lines.join('\n');
  lines = split.split('\n');
  // Blocks of one section the user did not keep apart go together; a group the change joined or
  // added to is sorted: `import` statements, then `from` ones, as ruff's isort orders each.
  const project = (statement: ImportStatement) => statement.modules.every(firstParty);
  let text = split;
  for (const section of [standard, project]) {
    lines = text.split('\n');
    const groups: Array<{ statements: ImportStatement[]; joined: boolean }> = [];
    for (const block of await importBlocks(text)) {
      const last = groups.at(-1);
      const [end, start] = [last?.statements.at(-1), block[0] as ImportStatement];
      const together =
        last !== undefined && end !== undefined && last.statements.every(section) && block.every(section) &&
        lines.slice(end.endRow + 1, start.row).every((line) => line.trim() === '') && !follows(end, start, true);
      if (together) {
        last.statements.push(...block);
        last.joined = true;
      } else groups.push({ statements: block, joined: false });
    }
    for (const { statements, joined } of groups.reverse()) {
      if (!statements.every(section) || (!joined && statements.every((statement) => usersStatements.has(statementText(statement))))) continue;
      const sorted = [...statements].sort((a, b) =>
        a.from && b.from ? fromImportOrder(a.from, b.from) : a.from || b.from ? Number(a.from !== undefined) - Number(b.from !== undefined) : plainImportOrder(a.module, b.module),
      );
      const [start, end] = [(statements[0] as ImportStatement).row, (statements.at(-1) as ImportStatement).endRow];
      lines.splice(start, end - start + 1, ...sorted.flatMap((statement) => statement.lines.map((line) => line + cr)));
    }
    text = lines.join('\n');
  }
  return text;
}

/**
 * ruff format's blank line between a class docstring and the first statement after it, which a
 * merge loses when the generator's lines after the docstring go and the user's stay (the last
 * filter of a list query removed, the user's own filter kept).
 */
function blankAfterClassDocstrings(text: string): string {
  return text.replace(/^(class [^\n]*:\r?\n([ \t]+)"""[^\n]*"""(\r?\n))(?=\2\S)/gm, '$1$3');
}

/** The SQL default the rows already in the table take when a NOT NULL column joins it: its argument's line(s). */
function serverDefault(field: Field): string | undefined {
  const indent = ' '.repeat(16);
  if (field.optional || field.defaultValue === undefined) return undefined;
  if (field.type === 'bool') return `${indent}server_default=${field.pythonDefault === 'True' ? 'sa.true()' : 'sa.false()'},`;
  return stringArgument(indent, 'server_default=', field.defaultValue, ',');
}

/**
 * A column can join a table that may hold rows only if each row gets a value: optional, or with a
 * default that may repeat. Refused otherwise, saying what would do.
 */
export function refuseColumnsRowsCannotTake(fields: Field[]): void {
  for (const field of fields) {
    if (field.optional) continue;
    if (field.reference) throw new UsageError(`"${field.spec}": a reference joins a table that may hold rows only as optional (ref(...)?)`);
    if (field.defaultValue === undefined) {
      throw new UsageError(`"${field.spec}": the rows already in the table need a value: give a default (${field.name}:${field.type}=...) or make it optional (?)`);
    }
    if (field.unique) throw new UsageError(`"${field.spec}": every row already in the table would hold the same default; make it optional (?)`);
  }
}

/** `text` as a docstring's first line when `"""` and it fit ruff's 100 columns, else `shorter`. */
function fitDocstring(text: string, shorter: string): string {
  return text.length + 3 <= 100 ? text : shorter;
}

/** Plans the migration adding (add-field) or dropping (remove-field) the columns of `fields`. */
export function planColumnMigration(plan: Plan, packageName: string, name: DomainName, fields: Field[], chain: MigrationChain, kind: 'add' | 'drop'): string {
  const table = name.module;
  const columns = fields.map((field) => field.column);
  const revision = freeRevision(chain, `${kind}_${table}_${columns.join('_')}`);
  const adds = kind === 'add';
  const columnsAdded = fields.map((field) => {
    // Downgrading remove-field, the rows already there take the column's default back where it
    // may repeat; without one (or unique), they have nothing to take.
    const restoredNullable = !adds && !field.optional && (field.unique || serverDefault(field) === undefined);
    return { ...field, serverDefault: restoredNullable ? undefined : serverDefault(field), restoredNullable };
  });
  const changes = {
    table,
    columns: columnsAdded,
    defaultedColumns: columnsAdded.filter((column) => column.serverDefault !== undefined).map(({ column }) => ({ column })),
    foreignKeys: fields.flatMap((field) => (field.reference ? [{ table, column: field.column, target: field.reference.domain, onDelete: field.reference.onDelete }] : [])),
    uniqueColumns: fields.filter((field) => field.unique).map((field) => ({ table, column: field.column })),
    indexedColumns: fields.filter(hasPlainIndex).map((field) => ({ table, column: field.column })),
  };
  const data = {
    // upgrade first, as a reader expects: it adds the columns for add-field, drops them for remove-field
    functions: [
      { ...changes, name: 'upgrade', adds, following: false },
      { ...changes, name: 'downgrade', adds: !adds, following: true },
    ],
    migration: {
      revision,
      message: adds ? fitDocstring(`Add ${columns.join(', ')} to ${table}.`, `Add ${columns.length} columns to ${table}.`) : `Drop ${columns[0]} from ${table}; downgrading adds it back.`,
      revises: chain.head ?? '(nothing: the first migration)',
      downRevision: chain.head === null ? 'None' : `"${chain.head}"`,
    },
  };
  const [file] = renderTree('column-migration', data, { __package__: packageName, __revision__: revision }) as [RenderedFile];
  plan.generate(file);
  chain.head = revision;
  chain.taken.add(revision);
  return file.path;
}

/**
 * The lines of `source` that use `name` and that the generator did not write there (`generated`,
 * what it wrote, matched line by line): the user's own uses. With `attributesOnly`, only `x.name`
 * and the string "name" count (in a module that merely imports the domain, a bare `name` is
 * something else). As `path:line`.
 */
async function handWrittenUses(path: string, source: string, generated: string | undefined, name: string, attributesOnly: boolean): Promise<string[]> {
  const left = generatedLines(generated, name);
  const sourceLines = source.split(/\r?\n/);
  const uses: string[] = [];
  for (const line of new Set(await nameUseLines(source, path, name, attributesOnly))) {
    const text = (sourceLines[line - 1] as string).trim();
    const count = left.get(text) ?? 0;
    if (count > 0) left.set(text, count - 1);
    else uses.push(`${path}:${line}`);
  }
  return uses;
}

/** How many times each line of the generated `text` that mentions `name` appears in it. */
function generatedLines(text: string | undefined, name: string): Map<string, number> {
  const counts = new Map<string, number>();
  const word = new RegExp(`\\b${name}\\b`);
  for (const line of text?.split('\n') ?? []) {
    if (!word.test(line)) continue;
    const key = line.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The user's own uses of `name` in the domain's files, on the lines as they are on disk. */
async function usesInDomainFiles(replanned: Replanned, name: string): Promise<string[]> {
  const uses: string[] = [];
  for (const [path, { ours, generatedAs }] of replanned.files) {
    if (path.endsWith('.py')) uses.push(...(await handWrittenUses(path, ours, generatedAs, name, false)));
  }
  return uses;
}

/**
 * A column the user already wrote by hand in the domain's files (a model attribute, a schema
 * field, in a class the generator writes there) would be defined twice: refused, naming file and
 * line. A parameter, a local, a dict key or another class's attribute of that name is no column.
 */
export async function refuseFieldsWrittenByHand(replanned: Replanned, module: string, added: Field[]): Promise<void> {
  for (const field of added) {
    const uses: string[] = [];
    for (const [path, { ours, generatedAs }] of replanned.files) {
      if (!path.endsWith('.py')) continue;
      const classes = new Set([...generatedAs.matchAll(/^class (\w+)/gm)].map((match) => match[1] as string));
      for (const line of await classAttributeLines(ours, path, field.column, classes)) uses.push(`${path}:${line}`);
    }
    if (uses.length > 0) {
      throw new CliError(`${module} already has ${field.column}, written by hand at ${uses.join(', ')}: remove it, or keep it and leave add-field out`);
    }
  }
}

/**
 * Code left using a removed field would fail: any use of its name in the domain's own files
 * beyond the lines generated for it, and any attribute or string of that name in a module
 * importing them or in a test the user wrote (the API's JSON keys). As `file:line`, the lines as
 * they are on disk.
 */
export async function usesOfField(plan: Plan, manifest: Manifest, module: string, field: Field, replanned: Replanned): Promise<string[]> {
  const own = (manifest.domains[module]?.files ?? []).filter((path) => path.endsWith('.py') && !path.startsWith('migrations/'));
  const domainModules = own.map(moduleOfFile).filter((name) => name !== undefined);
  const uses = await usesInDomainFiles(replanned, field.column);
  // A reference's own name is where a team puts its relationship (`owner = relationship()`), which
  // the dropped foreign key would leave with nothing to join on: every query of the model fails.
  if (field.reference) uses.push(...(await usesInDomainFiles(replanned, field.name)));
  const generatedTest = generatedTests(manifest);
  for (const path of [...pythonFilesUnder(plan, `src/${manifest.options.packageName}`), ...pythonFilesUnder(plan, 'tests')]) {
    if (own.includes(path)) continue;
    const source = plan.read(path) as string;
    const imports = await importedModules(source, path);
    const importsDomain = imports.some(({ module: imported }) => domainModules.some((wanted) => imported === wanted || imported.startsWith(`${wanted}.`)));
    // A test as the templates wrote it is about something else; one the user wrote, or lines they
    // added to a generated one (conftest.py, another domain's tests), may call this API.
    if (importsDomain) uses.push(...(await handWrittenUses(path, source, undefined, field.column, true)));
    else if (path.startsWith('tests/') && !isUnchanged(plan.original(path), manifest.files[path])) {
      uses.push(...(await handWrittenUses(path, source, generatedTest(path), field.column, true)));
    }
  }
  return uses;
}

/**
 * Each test file as the generator writes it: another domain's for that domain's fields, or one of
 * the project's own (conftest.py, the schedulers' tests), so that its own lines (another domain's
 * "sku", a scheduler's "due") are not taken for the user's, whatever the file's indentation. The
 * skeleton is rendered once, for the first of the project's tests asked for.
 */
function generatedTests(manifest: Manifest): (path: string) => string | undefined {
  const domains = liveDomains(manifest);
  let skeleton: RenderedFile[] | undefined;
  return (path) => {
    const owner = domains.find((domain) => manifest.domains[domain]?.files.includes(path));
    if (owner !== undefined) {
      const spec = { name: domainName(owner), fields: recordedFields(manifest, owner) };
      return renderDomain(manifest.options, spec).find((file) => file.path === path)?.content;
    }
    // The example jobs call the domain the manifest names, as create's first.
    const first = manifest.examples;
    const ordered = first === undefined ? domains : [first, ...domains.filter((domain) => domain !== first)];
    skeleton ??= renderProject({ ...manifest.options, domains: ordered }, manifest.generator.version);
    return skeleton.find((file) => file.path === path)?.content;
  };
}
