import type { Node } from 'web-tree-sitter';
import { compact, moduleOfFile, parseOwned, Splices } from './python-edit.js';
import {
  columns,
  canonicalFromImports,
  type FromImport,
  fromImportOrder,
  type ImportedName,
  plainImportOrder,
  printFromImport,
} from './python-source.js';

/**
 * Rewrites what a Python file imports when modules move (flip), through its syntax tree: absolute
 * and relative imports, `from a import b as c`, imports inside functions and `if TYPE_CHECKING:`,
 * `pkg.a.b` attribute chains after `import pkg.a.b`, and strings that name a module
 * (`"pkg.a.b:app"`, a monkeypatch target). Only the statements that change are printed again, as
 * ruff's isort and format would leave them, and moved to their sorted place among the project's
 * own imports beside them; every other byte of the file is kept.
 */

export interface ModuleMoves {
  /** Each module that moves: old name -> new name. */
  modules: ReadonlyMap<string, string>;
  /** Packages that stop existing (a layer folder of the old layout): an import of one itself has no counterpart. */
  retired: readonly string[];
  packageName: string;
  lineLength: number;
}

export interface Rewritten {
  text: string;
  /** Imports that cannot be rewritten, as `file:line` with the reason. */
  problems: string[];
  /** 1-based lines of the new text longer than the line length that the old text did not have. */
  longLines: number[];
}

/** The package a file's relative imports start from, as module parts (undefined outside src/). */
function packageOf(path: string): string[] | undefined {
  const module = moduleOfFile(path);
  if (module === undefined) return undefined;
  const parts = module.split('.');
  return path.endsWith('/__init__.py') ? parts : parts.slice(0, -1);
}

/** `..a.b` seen from `pkg` (module parts): the absolute module it names, or undefined above the top. */
function resolveRelative(spelled: string, pkg: string[]): string | undefined {
  const dots = /^\.*/.exec(spelled)?.[0].length ?? 0;
  if (dots - 1 > pkg.length - 1) return undefined;
  const rest = spelled.slice(dots);
  return [...pkg.slice(0, pkg.length - dots + 1), ...(rest ? [rest] : [])].join('.');
}

/** The shortest relative spelling of `module` from `pkg`: as few dots as the common package allows. */
function relativeSpelling(module: string, pkg: string[]): string {
  const parts = module.split('.');
  let common = 0;
  while (common < Math.min(parts.length, pkg.length) && parts[common] === pkg[common]) common += 1;
  return `${'.'.repeat(pkg.length - common + 1)}${parts.slice(common).join('.')}`;
}

/** A comment's text; tree-sitter counts the \r of a CRLF line as part of it. */
const commentText = (node: Node) => node.text.replace(/\r$/, '');

const splitLast = (module: string): [string, string] => {
  const dot = module.lastIndexOf('.');
  return [module.slice(0, dot), module.slice(dot + 1)];
};

/** One import statement of the file, as read and (when it changes) as it becomes. */
interface Statement {
  node: Node;
  kind: 'from' | 'plain';
  /** Relative (`from . import x`) or the project's own absolute module: the statements sorted together. */
  group: 'relative' | 'project' | 'other';
  /** What it imports now; for a plain import, its first module. */
  current: FromImport;
  /** The statements it becomes; undefined while it does not change. */
  becomes?: FromImport[];
  /** A plain import's new text. */
  plainText?: string;
  /** Comment lines directly above it and the comment after it on its last line. */
  leading: Node[];
  trailing?: Node;
  /** Comments inside its parentheses. */
  inner: boolean;
  /** The comment after its opening parenthesis (`from a import (  # noqa: E402`): the statement's, not its first name's. */
  opening?: string;
}

interface Context {
  moves: ModuleMoves;
  file: string;
  oldPackage?: string[];
  newPackage?: string[];
  problems: string[];
}

const moved = (context: Context, module: string) => context.moves.modules.get(module);

/** The longest moving module `dotted` starts with (at a dot), with what it becomes. */
function movedPrefix(context: Context, dotted: string): { from: string; to: string } | undefined {
  const parts = dotted.split('.');
  for (let length = parts.length; length >= 2; length -= 1) {
    const from = parts.slice(0, length).join('.');
    const to = moved(context, from);
    if (to !== undefined) return { from, to };
  }
  return undefined;
}

/** An import of a package the new layout does not have, itself: no module to point it at. */
function noteLayerPackageImport(context: Context, node: Node, module: string): void {
  context.problems.push(
    `${context.file}:${node.startPosition.row + 1} imports the package ${module} itself, which the new layout does not have; import the modules it holds instead (from ${module} import <module>)`,
  );
}

/**
 * The names of a `from` import, each with the comments inside the parentheses that belong to it,
 * and the comment after its opening parenthesis, which belongs to the statement.
 */
function importedNames(node: Node): { names: ImportedName[]; opening?: string } {
  const names: ImportedName[] = [];
  let leading: string[] = [];
  let opening: string | undefined;
  const module = node.childForFieldName('module_name');
  for (const child of node.children) {
    if (!child || child.id === module?.id) continue;
    if (child.type === 'comment' && child.previousSibling?.type === '(' && child.previousSibling.endPosition.row === child.startPosition.row) {
      opening = commentText(child);
    } else if (child.type === 'dotted_name' || child.type === 'aliased_import' || child.type === 'wildcard_import') {
      const name = child.type === 'aliased_import' ? compact(child.childForFieldName('name')) : compact(child);
      const alias = child.type === 'aliased_import' ? compact(child.childForFieldName('alias')) : undefined;
      names.push({ name, ...(alias === undefined ? {} : { alias }), ...(leading.length > 0 ? { leading } : {}) });
      leading = [];
    } else if (child.type === 'comment') {
      const previous = names.at(-1);
      const sameLine = previous !== undefined && child.previousSibling?.endPosition.row === child.startPosition.row;
      if (previous && sameLine && previous.trailing === undefined) previous.trailing = commentText(child);
      else leading.push(commentText(child));
    }
  }
  // A comment after the last name, on a line of its own: it stays with that name.
  if (leading.length > 0 && names.length > 0) {
    const last = names.at(-1) as ImportedName;
    last.trailing = [last.trailing, ...leading].filter((text) => text !== undefined).join(' ');
  }
  return opening === undefined ? { names } : { names, opening };
}

function readFromImport(node: Node, context: Context): Statement {
  const moduleNode = node.childForFieldName('module_name') as Node;
  const spelled = compact(moduleNode);
  const relative = moduleNode.type === 'relative_import';
  const { names, opening } = importedNames(node);
  const statement: Statement = {
    node,
    kind: 'from',
    group: relative ? 'relative' : spelled === context.moves.packageName || spelled.startsWith(`${context.moves.packageName}.`) ? 'project' : 'other',
    current: { module: spelled, names },
    leading: [],
    inner: node.descendantsOfType('comment').length > 0,
    ...(opening === undefined ? {} : { opening }),
  };
  const absolute = relative ? (context.oldPackage ? resolveRelative(spelled, context.oldPackage) : undefined) : spelled;
  if (absolute === undefined) return statement;
  const targets: FromImport[] = names.map((imported) => {
    const { name, alias } = imported;
    if (name === '*') {
      if (context.moves.retired.includes(absolute)) noteLayerPackageImport(context, node, absolute);
      return { module: moved(context, absolute) ?? absolute, names: [imported] };
    }
    const whole = moved(context, `${absolute}.${name}`);
    if (whole !== undefined) {
      // A module imported from its package: the same name bound to where it now lives.
      const [parent, last] = splitLast(whole);
      const binding = alias ?? name;
      const renamed: ImportedName = { name: last, leading: imported.leading, trailing: imported.trailing };
      return { module: parent, names: [binding === last ? renamed : { ...renamed, alias: binding }] };
    }
    const from = moved(context, absolute);
    if (from !== undefined) return { module: from, names: [imported] };
    if (context.moves.retired.includes(`${absolute}.${name}`)) noteLayerPackageImport(context, node, `${absolute}.${name}`);
    else if (context.moves.retired.includes(absolute)) noteLayerPackageImport(context, node, absolute);
    return { module: absolute, names: [imported] };
  });
  const respelled = targets.map((target) => {
    if (!relative) return target;
    // Kept as written when it still names the same module from the file's new place.
    const still = target.module === absolute && context.newPackage && resolveRelative(spelled, context.newPackage) === absolute;
    return { ...target, module: still || !context.newPackage ? spelled : relativeSpelling(target.module, context.newPackage) };
  });
  const changed = respelled.some((target, index) => {
    const before = names[index] as ImportedName;
    const after = target.names[0] as ImportedName;
    return target.module !== spelled || after.name !== before.name || after.alias !== before.alias;
  });
  if (changed) statement.becomes = canonicalFromImports(respelled);
  return statement;
}

function readPlainImport(node: Node, context: Context, usesChains: { value: boolean }): Statement {
  const names = node.childrenForFieldName('name');
  const local = new Splices(node.text);
  let changed = false;
  const modules: string[] = [];
  for (const name of names) {
    const dotted = name.type === 'aliased_import' ? (name.childForFieldName('name') as Node) : name;
    const module = compact(dotted);
    if (name.type !== 'aliased_import' && (module === context.moves.packageName || module.startsWith(`${context.moves.packageName}.`))) {
      usesChains.value = true;
    }
    const target = moved(context, module);
    if (context.moves.retired.includes(module)) noteLayerPackageImport(context, node, module);
    if (target !== undefined) {
      local.replace(dotted.startIndex - node.startIndex, dotted.endIndex - node.startIndex, target);
      changed = true;
    }
    modules.push(target ?? module);
  }
  const first = compact((names[0]?.type === 'aliased_import' ? names[0].childForFieldName('name') : names[0]) ?? null);
  return {
    node,
    kind: 'plain',
    group: first === context.moves.packageName || first.startsWith(`${context.moves.packageName}.`) ? 'project' : 'other',
    current: { module: modules[0] ?? first, names: [] },
    ...(changed ? { plainText: local.toString(), becomes: [] } : {}),
    leading: [],
    inner: false,
  };
}

/**
 * The statements of one block, grouped as isort sorts them: consecutive statements of the same
 * kind and group with nothing but comment lines between them (a blank line ends a section).
 */
function runs(statements: Statement[]): Statement[][] {
  const groups: Statement[][] = [];
  for (const statement of statements) {
    const run = groups.at(-1);
    const previous = run?.at(-1);
    let adjacent = previous !== undefined && previous.node.parent?.id === statement.node.parent?.id;
    if (previous && adjacent) {
      // Between the two: only comments, each on the line after the one before.
      let row = previous.node.endPosition.row;
      for (let sibling = previous.node.nextSibling; sibling && sibling.id !== statement.node.id; sibling = sibling.nextSibling) {
        if (sibling.type !== 'comment' || sibling.startPosition.row > row + 1) adjacent = false;
        row = sibling.endPosition.row;
      }
      if (statement.node.startPosition.row !== row + 1) adjacent = false;
    }
    if (run && previous && adjacent && previous.kind === statement.kind && previous.group === statement.group) run.push(statement);
    else groups.push([statement]);
  }
  return groups;
}

/** The comment lines directly above a statement and the comment after it on its last line. */
function attachComments(statement: Statement): void {
  const { node } = statement;
  const after = node.nextSibling;
  if (after?.type === 'comment' && after.startPosition.row === node.endPosition.row) statement.trailing = after;
  let row = node.startPosition.row;
  for (let before = node.previousSibling; before?.type === 'comment' && before.endPosition.row === row - 1; before = before.previousSibling) {
    const beside = before.previousSibling;
    if (beside && beside.endPosition.row === before.startPosition.row) break;
    statement.leading.unshift(before);
    row = before.startPosition.row;
  }
}

const order = (a: { statement: FromImport; kind: Statement['kind'] }, b: { statement: FromImport; kind: Statement['kind'] }) =>
  a.kind === 'plain' ? plainImportOrder(a.statement.module, b.statement.module) : fromImportOrder(a.statement, b.statement);

/** Rewrites one run with changed statements: in place when the order holds, else the run anew. */
function rewriteRun(run: Statement[], source: string, splices: Splices, eol: string, lineLength: number): void {
  if (!run.some((statement) => statement.becomes !== undefined)) return;
  for (const statement of run) attachComments(statement);
  // The run's own indentation (a tab-indented function's imports keep their tabs); spaces as wide
  // as its column where other code comes first on its line.
  const startIndex = run[0]?.node.startIndex ?? 0;
  const before = source.slice(source.lastIndexOf('\n', startIndex - 1) + 1, startIndex);
  const indent = /^[ \t]*$/.test(before) ? before : ' '.repeat(run[0]?.node.startPosition.column ?? 0);
  // The run after the rewrite: unchanged statements as they are, the changed ones as they become;
  // plain names of the same module merged, as isort would.
  interface Item {
    statement: FromImport;
    kind: Statement['kind'];
    origin: Statement;
    /** Statements merged into this one, whose comments it carries too. */
    absorbed: Statement[];
    text?: string;
  }
  const items: Item[] = [];
  const merged = new Map<string, Item>();
  for (const statement of run) {
    if (statement.becomes === undefined) {
      items.push({ statement: statement.current, kind: statement.kind, origin: statement, absorbed: [] });
      continue;
    }
    if (statement.kind === 'plain') {
      items.push({ statement: statement.current, kind: 'plain', origin: statement, absorbed: [], text: statement.plainText });
      continue;
    }
    for (const becomes of statement.becomes) {
      const plain = becomes.names.every((name) => name.alias === undefined);
      const same = plain ? merged.get(becomes.module) : undefined;
      if (same) {
        same.statement = (canonicalFromImports([same.statement, becomes]) as [FromImport])[0] as FromImport;
        if (same.origin !== statement && !same.absorbed.includes(statement)) same.absorbed.push(statement);
        continue;
      }
      const item: Item = { statement: becomes, kind: 'from', origin: statement, absorbed: [] };
      if (plain) merged.set(becomes.module, item);
      items.push(item);
    }
  }
  const sorted = [...items].sort(order);
  const print = (item: Item) => {
    if (item.text !== undefined) return item.text;
    const printed = printFromImport(item.statement, indent, eol, lineLength).slice(indent.length);
    // The comment after the opening parenthesis stays on the statement's first line.
    const { opening } = item.origin;
    if (opening === undefined) return printed;
    const firstLine = printed.indexOf(eol);
    return firstLine < 0 ? `${printed}  ${opening}` : `${printed.slice(0, firstLine)}  ${opening}${printed.slice(firstLine)}`;
  };
  const oneToOne = sorted.length === run.length && sorted.every((item, index) => item.origin === run[index]);
  if (oneToOne) {
    for (const item of sorted) {
      if (item.origin.becomes !== undefined) splices.replace(item.origin.node.startIndex, item.origin.node.endIndex, print(item));
    }
    return;
  }
  // Each statement's comments go with its first new statement; of statements merged into another,
  // the comment after them becomes a line above it: no comment is lost.
  const seen = new Set<Statement>();
  const lines = sorted.map((item) => {
    const fresh = [item.origin, ...item.absorbed].filter((origin) => !seen.has(origin));
    for (const origin of fresh) seen.add(origin);
    const above = fresh.flatMap((origin) => [...origin.leading, ...(origin !== item.origin && origin.trailing ? [origin.trailing] : [])]);
    const { trailing, node } = item.origin;
    const body = item.origin.becomes === undefined ? source.slice(node.startIndex, node.endIndex) : print(item);
    const comments = above.map((comment) => `${commentText(comment)}${eol}${indent}`).join('');
    return `${comments}${body}${fresh.includes(item.origin) && trailing ? `  ${commentText(trailing)}` : ''}`;
  });
  const first = run[0] as Statement;
  const last = run.at(-1) as Statement;
  const start = (first.leading[0] ?? first.node).startIndex;
  const end = last.trailing ? last.trailing.startIndex + commentText(last.trailing).length : last.node.endIndex;
  splices.replace(start, end, lines.join(`${eol}${indent}`));
}

/** The outermost `a.b.c` chains of plain names rooted at the package, rewritten where a moved module starts them. */
function rewriteChains(root: Node, context: Context, splices: Splices): void {
  const parts = (node: Node): string[] | undefined => {
    if (node.type === 'identifier') return [node.text];
    if (node.type !== 'attribute') return undefined;
    const object = node.childForFieldName('object');
    const head = object ? parts(object) : undefined;
    const attribute = node.childForFieldName('attribute');
    return head && attribute ? [...head, attribute.text] : undefined;
  };
  for (const node of root.descendantsOfType('attribute')) {
    if (!node || (node.parent?.type === 'attribute' && node.parent.childForFieldName('object')?.id === node.id)) continue;
    const chain = parts(node);
    if (!chain || chain[0] !== context.moves.packageName) continue;
    const prefix = movedPrefix(context, chain.join('.'));
    if (!prefix) continue;
    let target = node;
    for (let depth = chain.length; depth > prefix.from.split('.').length; depth -= 1) target = target.childForFieldName('object') as Node;
    splices.replace(target.startIndex, target.endIndex, prefix.to);
  }
}

/** Strings that are exactly a moved module's name, or a name inside one (`"pkg.a.b.f"`, `"pkg.a.b:app"`). */
function rewriteStrings(root: Node, context: Context, splices: Splices): void {
  for (const node of root.descendantsOfType('string')) {
    if (!node || /[bf]/i.test(node.child(0)?.text ?? '')) continue;
    const parts = node.namedChildren.filter((child) => child?.type !== 'string_start' && child?.type !== 'string_end');
    const content = parts[0];
    if (parts.length !== 1 || content?.type !== 'string_content') continue;
    const match = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(:[\w.]+)?$/.exec(content.text);
    if (!match || !(match[1] as string).startsWith(`${context.moves.packageName}.`)) continue;
    const prefix = movedPrefix(context, match[1] as string);
    if (prefix) splices.replace(content.startIndex, content.startIndex + prefix.from.length, prefix.to);
  }
}

/** Lines of `after` longer than `lineLength` that `before` does not have as they are. */
function lengthenedLines(before: string, after: string, lineLength: number): number[] {
  const old = new Set(before.split(/\r?\n/));
  return after
    .split(/\r?\n/)
    .flatMap((line, index) => (columns(line) > lineLength && !old.has(line) ? [index + 1] : []));
}

/**
 * Rewrites `source`, the file `from` that goes to `to` (the same path when it stays), for modules
 * that move. Refuses nothing itself: what it cannot rewrite is returned as problems.
 */
export function rewriteImports(source: string, file: { from: string; to: string }, moves: ModuleMoves): Promise<Rewritten> {
  return parseOwned(source, file.from, (root) => {
    const context: Context = { moves, file: file.from, oldPackage: packageOf(file.from), newPackage: packageOf(file.to), problems: [] };
    const splices = new Splices(source);
    const eol = source.includes('\r\n') ? '\r\n' : '\n';
    const usesChains = { value: false };
    const statements = root
      .descendantsOfType(['import_statement', 'import_from_statement'])
      .filter((node): node is Node => node !== null)
      .map((node) => (node.type === 'import_statement' ? readPlainImport(node, context, usesChains) : readFromImport(node, context)));
    for (const run of runs(statements)) {
      const changed = run.find((statement) => statement.becomes !== undefined && statement.inner && statement.becomes.length > 1);
      if (changed) {
        // Comments inside one statement that splits in two: which half a comment meant is the user's
        // call. Splitting it by hand is no way out: ruff's isort joins the halves again (I001).
        context.problems.push(
          `${file.from}:${changed.node.startPosition.row + 1}: this import splits in two, and which half its comments go with is yours to say; move them above the import, then run again`,
        );
        continue;
      }
      rewriteRun(run, source, splices, eol, moves.lineLength);
    }
    if (usesChains.value) rewriteChains(root, context, splices);
    rewriteStrings(root, context, splices);
    const text = splices.toString();
    return { text, problems: context.problems, longLines: lengthenedLines(source, text, moves.lineLength) };
  });
}
