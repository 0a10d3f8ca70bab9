import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Edit, Node, Parser, Point, Tree } from 'web-tree-sitter';
import { setV8Flags } from '../code-cache.js';
import { CliError, incompleteInstallation, withPath } from '../errors.js';
import { pythonGrammar, treeSitterGlue, treeSitterRuntime } from './package-files.js';
import { collection, columns, type FromImport as FromStatement, type ImportedName, LINE_LENGTH, plainImportOrder, pythonString, type RouterLines, routerImport, routerInclude } from './python-source.js';

/**
 * Edits of Python source through its syntax tree (tree-sitter), never by regex or markers:
 * they survive `ruff format`, hand edits and comments, keep the file's line endings, and are idempotent.
 * An edit touches only the names and statements it owns; everything else keeps its bytes.
 */

interface TreeSitter {
  parser: Parser;
  /** web-tree-sitter's edit record, which tells a tree what changed in its text. */
  Edit: typeof Edit;
}

let treeSitterPromise: Promise<TreeSitter> | undefined;

/** A WebAssembly file of the package, read here so that a missing one is named in one line. */
function readWasm(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(incompleteInstallation(file));
    throw withPath(error, file);
  }
}

function treeSitter(): Promise<TreeSitter> {
  treeSitterPromise ??= (async () => {
    // Node started with --jitless (in NODE_OPTIONS, say) has no WebAssembly to run the parser in.
    if (typeof WebAssembly === 'undefined') {
      throw new CliError('Reading Python here needs WebAssembly, which this Node runs without (--jitless?): run the command without that flag');
    }
    const requireHere = createRequire(import.meta.url);
    const { Parser, Language, Edit } = requireHere(treeSitterGlue()) as typeof import('web-tree-sitter');
    // Liftoff (V8's baseline wasm compiler) parses these small files faster than letting V8
    // optimise the grammar, whose compile jobs the process then waits for (~30 ms at exit). A flag
    // set at run time does not bring the flags it implies, and Node 24's V8 tiers up unless those
    // are set too: there add-domain went from ~120 to ~93 ms with them, and a script parsing 12
    // files from ~90 to ~58 ms; Node 20 and 22 measure the same either way. Set once tree-sitter's
    // code is loaded: V8 refuses compile caches made under other flags.
    setV8Flags('--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering');
    await Parser.init({ wasmBinary: readWasm(treeSitterRuntime()) });
    const parser = new Parser();
    parser.setLanguage(await Language.load(readWasm(pythonGrammar())));
    return { parser, Edit };
  })();
  return treeSitterPromise;
}

/**
 * Starts compiling the grammar now, so it overlaps with loading the command; the first edit awaits
 * the same promise (and reports any failure).
 */
export function warmUpPythonParser(): void {
  treeSitter().catch(() => undefined);
}

/**
 * Where the texts parsed lately have their first syntax error (undefined: none), so that a planned
 * file parsed once to be read (a new test module's imports) is not parsed again to be checked.
 */
const errorLines = new Map<string, number | undefined>();
const REMEMBERED_TEXTS = 64;

/** Parses `source` (from `oldTree` edited to match it, if given), noting where its first error is. */
function parseNoted(parser: Parser, source: string, oldTree?: Tree): Tree {
  let tree = parser.parse(source, oldTree);
  if (tree?.rootNode.hasError && oldTree) {
    // Error recovery may go another way from an old tree (a hidden MISSING newline where a parse
    // from scratch has an ERROR): a broken text's error is placed as a fresh parse places it.
    tree.delete();
    tree = parser.parse(source);
  }
  if (!tree) throw new Error('tree-sitter returned no tree');
  if (errorLines.size >= REMEMBERED_TEXTS) errorLines.clear();
  errorLines.set(source, tree.rootNode.hasError ? (firstError(tree.rootNode) ?? tree.rootNode).startPosition.row + 1 : indentationErrorLine(tree.rootNode, source));
  return tree;
}

/** An indentation measured as Python's tokenizer does, with a tab as 8 columns and as 1. */
const indentWidths = (indent: string) => {
  let tab8 = 0;
  for (const char of indent) tab8 = char === '\t' ? tab8 - (tab8 % 8) + 8 : tab8 + 1;
  return { tab8, tab1: indent.length };
};

/**
 * The 1-based line where `source` breaks Python's indentation rules, which tree-sitter does not
 * apply: the statements of a block start at one indentation, deeper than the line that opens the
 * block, whether a tab counts 8 columns or 1 (CPython's TabError and "unindent does not match").
 * A file of tabs merged with lines of spaces parses here, and not in Python.
 */
function indentationErrorLine(root: Node, source: string): number | undefined {
  const lines = source.split('\n');
  const indentOf = (row: number, column: number) => {
    const prefix = (lines[row] ?? '').slice(0, column);
    return /^[ \t]*$/.test(prefix) ? indentWidths(prefix) : undefined;
  };
  // A statement of the module itself starts at the line's start (tree-sitter takes a line
  // indented less than the block above it, but deeper than the block's opener, as one).
  for (const statement of root.namedChildren) {
    if (statement && statement.type !== 'comment' && indentOf(statement.startPosition.row, statement.startPosition.column)?.tab1) return statement.startPosition.row + 1;
  }
  for (const block of root.descendantsOfType('block')) {
    const opener = block?.parent;
    if (!block || !opener) continue;
    const outer = indentOf(opener.startPosition.row, opener.startPosition.column);
    let first: { tab8: number; tab1: number } | undefined;
    for (const statement of block.namedChildren) {
      // A comment's line does not count, as in Python; nor a statement after `:` or `;` on a line.
      if (!statement || statement.type === 'comment') continue;
      const inner = indentOf(statement.startPosition.row, statement.startPosition.column);
      if (!inner) continue;
      first ??= inner;
      const deeper = !outer || (inner.tab8 > outer.tab8 && inner.tab1 > outer.tab1);
      if (!deeper || inner.tab8 !== first.tab8 || inner.tab1 !== first.tab1) return statement.startPosition.row + 1;
    }
  }
  return undefined;
}

/** Parses `source`, hands its tree to `use`, and frees the tree (it lives in WebAssembly memory). */
async function withTree<T>(source: string, use: (root: Node) => T): Promise<T> {
  const tree = parseNoted((await treeSitter()).parser, source);
  try {
    return use(tree.rootNode);
  } finally {
    tree.delete();
  }
}

/** The first ERROR or MISSING node under `node`, where a syntax error is. */
function firstError(node: Node): Node | undefined {
  if (node.type === 'ERROR' || node.isMissing) return node;
  for (const child of node.children) {
    if (child && (child.hasError || child.isMissing)) return firstError(child) ?? child;
  }
  return undefined;
}

/** The 1-based line of the first syntax error in `source`, or undefined when it parses cleanly. */
export async function syntaxErrorLine(source: string): Promise<number | undefined> {
  if (!errorLines.has(source)) await withTree(source, () => undefined);
  return errorLines.get(source);
}

/** A file the user owns that does not parse is theirs to fix, and nothing is edited. */
function refuseBroken(source: string, file: string): void {
  const line = errorLines.get(source);
  if (line !== undefined) throw new CliError(`${file}:${line} is not valid Python; fix it, then run again`);
}

/** Parses a file the user owns (refused if it does not parse) and hands its tree to `use`. */
export function parseOwned<T>(source: string, file: string, use: (root: Node) => T): Promise<T> {
  return withTree(source, (root) => {
    refuseBroken(source, file);
    return use(root);
  });
}

/**
 * Edits a file the user owns: `edit` plans splices from its tree, and the result is returned. The
 * result is parsed from the tree edited to match, so tree-sitter reparses only around the splices
 * and the plan's syntax check finds it parsed: on a registry of 300 routers, ~2.5 ms instead of ~5.5.
 */
export async function editOwned(source: string, file: string, edit: (root: Node, splices: Splices) => void): Promise<string> {
  const { parser, Edit } = await treeSitter();
  const tree = parseNoted(parser, source);
  try {
    refuseBroken(source, file);
    const splices = new Splices(source);
    edit(tree.rootNode, splices);
    const text = splices.toString();
    if (text !== source) {
      for (const change of splices.treeEdits()) tree.edit(new Edit(change));
      parseNoted(parser, text, tree).delete();
    }
    return text;
  } finally {
    tree.delete();
  }
}

/** `from <module> import router as <alias>` plus `<registry>.include_router(<alias>)`, in `file`. */
export interface RouterRegistration extends RouterLines {
  file: string;
}

/** A node's text without whitespace and line continuations (backslash, newline): `a . b` is `a.b`. */
export const compact = (node: Node | null | undefined) => (node ? node.text.replace(/\\\r?\n|\s+/g, '') : '');

const topLevel = (root: Node) => root.namedChildren.filter((node): node is Node => node !== null);

/** The expression a statement is made of (a call, an assignment), if it is an expression statement. */
const expressionOf = (statement: Node) => (statement.type === 'expression_statement' ? statement.namedChild(0) : null);

/** Whether the statement is `<name> = ...` (annotated or not). */
function assigns(statement: Node, name: string): boolean {
  const assignment = expressionOf(statement);
  return assignment?.type === 'assignment' && compact(assignment.childForFieldName('left')) === name;
}

/** A top-level `from <module> import ...` with its module, compacted. */
interface FromImport {
  statement: Node;
  module: string;
}

/**
 * The top-level statements a router registration concerns. A registry of 300 routers has 600
 * statements and each question put to a node crosses into WebAssembly (~2 µs), so each statement's
 * text (up to the next one, line continuations read as spaces) picks the candidates and the tree
 * decides on those alone. The text cannot miss one: `from` and `import` are keywords, so only an
 * import starts with them, and a call or an assignment of the registry starts with its name.
 */
function registryStatements(root: Node, source: string, registry: string) {
  const statements = topLevel(root).map((node, index, all) => ({
    node,
    text: source.slice(node.startIndex, all[index + 1]?.startIndex ?? source.length).replace(/\\\r?\n/g, ' '),
  }));
  const imports: FromImport[] = statements
    .filter(({ text }) => /^from\s/.test(text))
    .map(({ node, text }) => ({
      statement: node,
      module: /^from\s+([\w.]+)\s+import\b/.exec(text)?.[1] ?? compact(node.childForFieldName('module_name')),
    }));
  const isInclude = (statement: Node) => {
    const call = expressionOf(statement);
    return call?.type === 'call' && compact(call.childForFieldName('function')) === `${registry}.include_router`;
  };
  const includeCandidates = statements.filter(({ text }) => new RegExp(`^${registry}\\s*\\.\\s*include_router\\b`).test(text));
  const indexOf = (node: Node) => statements.findIndex((statement) => statement.node === node);
  /** Whether statement `index` starts on the line where the one before it ends (`a; b`, `"""...""" ; b`). */
  const continuesLine = (index: number) => index > 0 && (statements[index] as (typeof statements)[number]).node.startPosition.row === (statements[index - 1] as (typeof statements)[number]).node.endPosition.row;
  return {
    /** The project's own imports from `prefix` (a package, with its dot). */
    importsFrom: (prefix: string) => imports.filter((from) => from.module.startsWith(prefix)),
    lastImport: statements.filter(({ text }) => /^(?:from|import)\s/.test(text)).at(-1)?.node,
    /** The include_router calls whose text mentions `alias`. */
    includesOf: (alias: string) => includeCandidates.filter(({ node, text }) => text.includes(alias) && isInclude(node)).map(({ node }) => node),
    lastInclude: () => {
      for (let index = includeCandidates.length - 1; index >= 0; index -= 1) {
        const { node } = includeCandidates[index] as (typeof includeCandidates)[number];
        if (isInclude(node)) return node;
      }
      return undefined;
    },
    registryAssignment: () =>
      statements
        .filter(({ text }) => new RegExp(`^${registry}\\s*[:=]`).test(text))
        .find(({ node }) => assigns(node, registry))?.node,
    /**
     * Where lines go after `node`: past every statement that shares a line with it, so a new line
     * never lands inside `node; DOC = """...` (as a Splices.insertLines index).
     */
    after: (node: Node) => {
      let index = indexOf(node);
      while (index + 1 < statements.length && continuesLine(index + 1)) index += 1;
      return (statements[index] as (typeof statements)[number]).node.endIndex;
    },
    /** Where lines go before `node`: before the first statement of the lines it shares. */
    before: (node: Node) => {
      let index = indexOf(node);
      while (continuesLine(index)) index -= 1;
      return source.lastIndexOf('\n', (statements[index] as (typeof statements)[number]).node.startIndex - 1);
    },
  };
}

/** The `router as <alias>` name of a `from <module> import ...` statement. */
function routerName({ statement, module }: FromImport, registration: RouterRegistration): Node | undefined {
  if (module !== registration.module) return undefined;
  return statement.childrenForFieldName('name').find((name) => compact(name) === `routeras${registration.alias}`) ?? undefined;
}

/** The arguments of the statement's call, without the comments among them. */
const callArguments = (statement: Node) =>
  (statement.namedChild(0)?.childForFieldName('arguments')?.namedChildren ?? []).filter((child) => child !== null && child.type !== 'comment');

/** The call includes `alias` (perhaps with options of the user's). */
function includes(statement: Node, alias: string): boolean {
  return compact(callArguments(statement)[0]) === alias;
}

/** A value that names nothing: a string, a number, True/False/None, or a list or tuple of those. */
function isLiteral(node: Node | null): boolean {
  if (!node) return false;
  if (['string', 'integer', 'float', 'true', 'false', 'none'].includes(node.type)) return true;
  return (node.type === 'list' || node.type === 'tuple') && node.namedChildren.every((child) => child?.type === 'comment' || isLiteral(child));
}

/**
 * The call includes `alias` and nothing that would outlive it: what addRouterRegistration writes,
 * or with options the team gave it as plain values (`prefix="/v1"`, `tags=["legacy"]`). An option
 * naming something (`dependencies=[Depends(auth)]`) could leave an import unused once it goes.
 */
function includesOnly(statement: Node, alias: string): boolean {
  const [, ...options] = callArguments(statement);
  return includes(statement, alias) && options.every((option) => option?.type === 'keyword_argument' && isLiteral(option.childForFieldName('value')));
}

/** The top-level statement `<name> = ...` (annotated or not). */
function assignmentStatement(root: Node, name: string): Node | undefined {
  return topLevel(root).find((node) => assigns(node, name));
}

/** Where the text `text` ends, read from `from` (rows and columns in UTF-16 units, as web-tree-sitter counts them). */
function pointAfter(text: string, from: Point = { row: 0, column: 0 }): Point {
  let row = from.row;
  let lastBreak = -1;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
    row += 1;
    lastBreak = index;
  }
  return lastBreak === -1 ? { row, column: from.column + text.length } : { row, column: text.length - lastBreak - 1 };
}

/** A comment that speaks to the tools about its own line: it goes when the line does. */
const DIRECTIVE_COMMENT = /^#\s*(?:noqa\b|type:\s*ignore\b|pyright:|mypy:|pragma:|fmt:|isort:|ruff:)[^#]*/i;

/** Text edits by character offset, applied back to front so earlier offsets stay valid. */
export class Splices {
  private readonly edits: Array<{ start: number; end: number; text: string }> = [];

  constructor(private readonly source: string) {}

  replace(start: number, end: number, text: string): void {
    this.edits.push({ start, end, text });
  }

  /**
   * Inserts whole lines, in the file's line endings, after the line where `index` is (-1: at the
   * top). Lines inserted at one place later go above those inserted there earlier.
   */
  insertLines(index: number, texts: string[]): void {
    const eol = this.source.includes('\r\n') ? '\r\n' : '\n';
    const lines = texts.map((text) => text + eol).join('');
    if (index < 0) return this.replace(0, 0, lines);
    const lineEnd = this.source.indexOf('\n', index);
    // After a last line with no newline, the file still ends without one (remove-domain gives it back as it was).
    if (lineEnd === -1) this.replace(this.source.length, this.source.length, eol + texts.join(eol));
    else this.replace(lineEnd + 1, lineEnd + 1, lines);
  }

  /**
   * Removes a statement. Alone on its lines, the lines go (and one of two blank lines left in a row),
   * but for the comments the team wrote on them, which stay as lines of their own where the
   * statement was: `# keep until the v1 clients are gone` is theirs to delete, not ours (a
   * directive for the removed line, `# noqa` or `# type: ignore`, goes with it, and so does an
   * import's comment, as ruff's own fixes take it). Sharing a line
   * with others through `;`, only the statement and its own separator go.
   */
  removeStatement(node: Node): void {
    // A backslash continuation is a node of its own (`line_continuation`), between the others.
    const sibling = (from: Node | null, step: 'nextSibling' | 'previousSibling') => {
      let found = from?.[step] ?? null;
      while (found?.type === 'line_continuation') found = found[step];
      return found;
    };
    const after = sibling(node, 'nextSibling');
    const next = after?.type === ';' && this.joined(node.endIndex, after.startIndex) ? after : null;
    const following = sibling(next, 'nextSibling');
    if (next && following && following.type !== 'comment' && this.joined(next.endIndex, following.startIndex)) {
      // `this; following` -> `following`
      return this.replace(node.startIndex, following.startIndex, '');
    }
    const previous = sibling(node, 'previousSibling');
    if (previous?.type === ';' && this.joined(previous.endIndex, node.startIndex)) {
      // `previous; this` -> `previous`
      return this.replace(previous.startIndex, (next ?? node).endIndex, '');
    }
    const lineStart = this.source.lastIndexOf('\n', node.startIndex - 1) + 1;
    const eol = this.source.indexOf('\n', node.endIndex);
    const end = eol === -1 ? this.source.length : eol + 1;
    // An import's comment goes with it, as ruff's fix for an unused import takes it: alone in the
    // import block it would be out of isort's order.
    const isImport = node.type === 'import_statement' || node.type === 'import_from_statement';
    const comments = [...node.descendantsOfType('comment'), ...(after?.type === 'comment' ? [after] : [])]
      .filter((comment): comment is Node => comment !== null && comment.startIndex < end && !isImport)
      // `# noqa: B018  # kept for v1 clients`: the directive goes, the words stay.
      .map((comment) => comment.text.trimEnd().replace(DIRECTIVE_COMMENT, '').trim())
      .filter((text) => text.startsWith('#'));
    if (comments.length > 0) {
      const indent = /^[ \t]*/.exec(this.source.slice(lineStart))?.[0] ?? '';
      const lineEnding = this.source.includes('\r\n') ? '\r\n' : '\n';
      return this.replace(lineStart, end, comments.map((comment) => `${indent}${comment}`).join(lineEnding) + (eol === -1 ? '' : lineEnding));
    }
    if (eol === -1 && lineStart > 0) {
      // The last line, with no newline after it: the newline before it goes too, so the file still
      // ends without one.
      return this.replace(lineStart - (this.source[lineStart - 2] === '\r' ? 2 : 1), this.source.length, '');
    }
    this.removeLines(lineStart, end);
  }

  /** Only spaces and line continuations between `from` and `to`: one logical line (`a; \⏎ b`). */
  private joined(from: number, to: number): boolean {
    return /^(?:[ \t\f]|\\\r?\n)*$/.test(this.source.slice(from, to));
  }

  private removeLines(start: number, end: number): void {
    const blank = (from: number, to: number) => /^[ \t]*\r?\n$/.test(this.source.slice(from, to));
    const previousStart = this.source.lastIndexOf('\n', start - 2) + 1;
    const nextEnd = this.source.indexOf('\n', end);
    const previousBlank = start > 0 && blank(previousStart, start);
    const nextBlank = end < this.source.length ? blank(end, nextEnd === -1 ? this.source.length : nextEnd + 1) : true;
    this.replace(previousBlank && nextBlank ? previousStart : start, end, '');
  }

  /** Removes one name from an import's list, with its comma; the whole import if it was the only one. */
  removeImportedName(statement: Node, name: Node): void {
    const names = statement.childrenForFieldName('name');
    if (names.length === 1) return this.removeStatement(statement);
    const index = names.findIndex((candidate) => candidate.id === name.id);
    const following = names[index + 1];
    if (following) return this.replace(name.startIndex, following.startIndex, '');
    const preceding = names[index - 1] as Node;
    this.replace(preceding.endIndex, name.endIndex, '');
  }

  /** Back to front; of two edits at one place, the later is applied after, so it ends up in front. */
  private backToFront() {
    const edits = [...this.edits].sort((a, b) => b.start - a.start);
    let limit = Infinity;
    for (const edit of edits) {
      if (edit.end > limit) throw new Error(`overlapping edits at ${edit.start}..${edit.end}`);
      limit = edit.start;
    }
    return edits;
  }

  toString(): string {
    let text = this.source;
    for (const edit of this.backToFront()) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
    return text;
  }

  /** The edits as a tree of the source must be told them, in the order they are applied. */
  treeEdits() {
    return this.backToFront().map((edit) => {
      const startPosition = pointAfter(this.source.slice(0, edit.start));
      return {
        startIndex: edit.start,
        oldEndIndex: edit.end,
        newEndIndex: edit.start + edit.text.length,
        startPosition,
        oldEndPosition: pointAfter(this.source.slice(edit.start, edit.end), startPosition),
        newEndPosition: pointAfter(edit.text, startPosition),
      };
    });
  }
}

function packagePrefix(module: string): string {
  return module.slice(0, module.lastIndexOf('.') + 1);
}

/** Adds the import and the include_router call; returns `source` unchanged if both are there. */
export function addRouterRegistration(source: string, registration: RouterRegistration): Promise<string> {
  return editOwned(source, registration.file, (root, splices) => {
    const { importsFrom, includesOf, lastInclude, lastImport, registryAssignment, after, before } = registryStatements(root, source, registration.registry);
    if (!includesOf(registration.alias).some((call) => includes(call, registration.alias))) {
      const anchor = lastInclude() ?? registryAssignment();
      if (!anchor) {
        throw new CliError(
          `${registration.file} has no "${registration.registry} = APIRouter(...)"; add it back or register the router by hand`,
        );
      }
      splices.insertLines(after(anchor), [routerInclude(registration)]);
    }
    // Sorted among the routers of its package (routers., domains.), else among the project's own imports.
    const siblings = importsFrom(packagePrefix(registration.module));
    const imports = siblings.length > 0 ? siblings : importsFrom(`${registration.module.split('.')[0]}.`);
    if (!imports.some((from) => routerName(from, registration))) {
      const importLines = routerImport(registration).split('\n');
      // Keep the block sorted the way ruff's isort rule wants it.
      const next = imports.find((from) => plainImportOrder(from.module, registration.module) > 0);
      if (next) splices.insertLines(before(next.statement), importLines);
      else if (imports.length > 0) splices.insertLines(after((imports.at(-1) as FromImport).statement), importLines);
      else splices.insertLines(lastImport ? after(lastImport) : -1, lastImport ? ['', ...importLines] : importLines);
    }
  });
}

const contains = (outer: Node, inner: Node) => outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;

/**
 * Removes what addRouterRegistration added: the `router as <alias>` name (not the rest of its
 * import) and the `include_router(<alias>)` statement (not the rest of its line). Any other use of
 * the alias left behind (an include inside a function, a conditional) would fail at import time,
 * so it is refused with its line.
 */
export function removeRouterRegistration(source: string, registration: RouterRegistration): Promise<string> {
  return editOwned(source, registration.file, (root, splices) => {
    const { importsFrom, includesOf } = registryStatements(root, source, registration.registry);
    const removed: Node[] = [];
    for (const from of importsFrom(packagePrefix(registration.module))) {
      const name = routerName(from, registration);
      if (!name) continue;
      splices.removeImportedName(from.statement, name);
      removed.push(name);
    }
    for (const call of includesOf(registration.alias)) {
      if (!includesOnly(call, registration.alias)) continue;
      splices.removeStatement(call);
      removed.push(call);
    }
    // A name, or a string that is the name (`__all__ = ["orders_router"]`).
    const left = root
      .descendantsOfType(['identifier', 'string'])
      .find(
        (node): node is Node =>
          node !== null &&
          (node.type === 'string' ? isStringOf(node, registration.alias) : node.text === registration.alias) &&
          !removed.some((gone) => contains(gone, node)),
      );
    if (left) {
      throw new CliError(
        `${registration.file}:${left.startPosition.row + 1} still uses ${registration.alias}, which remove-domain cannot take out safely; remove that use by hand, then run again`,
      );
    }
  });
}

/** A string literal that is exactly `name`: no interpolation, no escapes, no concatenation. */
function isStringOf(node: Node, name: string): boolean {
  const parts = node.children.filter((child) => child?.type !== 'string_start' && child?.type !== 'string_end');
  return parts.length === 1 && parts[0]?.type === 'string_content' && parts[0].text === name;
}

/**
 * The 1-based lines that use `name`: as an identifier (a name, an attribute, a keyword argument)
 * or as a string literal that is exactly the name (a dict key, `field_validator("qty")`, `getattr`);
 * with `attributesOnly`, only as an attribute (`row.qty`) or such a string.
 */
export function nameUseLines(source: string, file: string, name: string, attributesOnly: boolean): Promise<number[]> {
  return parseOwned(source, file, (root) =>
    root
      .descendantsOfType(['identifier', 'string'])
      .filter((node): node is Node => {
        if (!node) return false;
        if (node.type === 'string') return isStringOf(node, name);
        if (node.text !== name) return false;
        const parent = node.parent;
        return !attributesOnly || (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id);
      })
      .map((node) => node.startPosition.row + 1),
  );
}

/** The names a module-level import statement binds: `a` for `import a.b`, `c` for `from m import b as c`. */
function boundNames(statement: Node): string[] {
  return statement.childrenForFieldName('name').map((name) => {
    if (name.type === 'aliased_import') return compact(name.childForFieldName('alias'));
    return statement.type === 'import_statement' ? (compact(name).split('.')[0] as string) : compact(name);
  });
}

/**
 * The 1-based lines where a class of `classes` declares the attribute `name` in its body (`sku:
 * Mapped[str] = ...`, `sku: str`, `sku = Column(...)`): a column or a field, where a parameter, a
 * local or another class's attribute of that name is none.
 */
export function classAttributeLines(source: string, file: string, name: string, classes: ReadonlySet<string>): Promise<number[]> {
  return parseOwned(source, file, (root) =>
    root.namedChildren.flatMap((statement) => {
      const definition = statement?.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
      if (definition?.type !== 'class_definition' || !classes.has(definition.childForFieldName('name')?.text ?? '')) return [];
      return (definition.childForFieldName('body')?.namedChildren ?? []).flatMap((line) => {
        const assignment = line?.type === 'expression_statement' ? line.namedChild(0) : null;
        const target = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : null;
        return target?.type === 'identifier' && target.text === name ? [target.startPosition.row + 1] : [];
      });
    }),
  );
}

/** A decorator that lets a name be defined again in its scope: `@overload`, `@x.setter`. */
const REDEFINING_DECORATOR = /^@\s*(?:(?:typing\.)?overload|[\w.]+\.(?:setter|getter|deleter))\s*$/;

/** What a Python file does with its names, from one parse. */
export interface FileNames {
  /**
   * The names bound in each scope (the module, or a class body) by a def, a class, an import or
   * an assignment, each with the 1-based lines that bind it. A name bound twice is what ruff's
   * F811 reports, and the later one wins silently (a second test of one name never runs). A
   * definition under `@overload` or a property's `@x.setter` is meant to be defined again, and is
   * left out. Keyed by the scope's path: `get`, `UserUpdate.check`.
   */
  bound: Map<string, number[]>;
  /**
   * The names read where Python would find none (ruff's F821, a NameError when the line runs),
   * each with the 1-based line of its first such read. Scopes are Python's: a parameter or a
   * local of one function defines nothing for another. Where Python's rules are finer (a name
   * read before its assignment, an `except` name after its block, `global` names), this counts
   * the name as defined, so it finds fewer than Python would, never more. A file with
   * `from m import *` defines names no one can see, and reports none.
   */
  unbound: Map<string, number>;
}

export function fileNames(source: string): Promise<FileNames> {
  return withTree(source, (root) => ({ bound: boundByScope(root), unbound: unboundIn(root) }));
}

function boundByScope(root: Node): Map<string, number[]> {
  const bound = new Map<string, number[]>();
  const visit = (block: Node, scope: string) => {
    const bind = (name: string, node: Node) => {
      const key = `${scope}${name}`;
      bound.set(key, [...(bound.get(key) ?? []), node.startPosition.row + 1]);
    };
    for (const statement of block.namedChildren) {
      if (!statement) continue;
      let definition: Node | null = statement;
      if (statement.type === 'decorated_definition') {
        if (statement.namedChildren.some((child) => child?.type === 'decorator' && REDEFINING_DECORATOR.test(compact(child)))) continue;
        definition = statement.childForFieldName('definition');
      }
      if (definition?.type === 'function_definition' || definition?.type === 'class_definition') {
        const name = definition.childForFieldName('name');
        if (name) bind(name.text, statement);
        const body = definition.childForFieldName('body');
        if (definition.type === 'class_definition' && body && name) visit(body, `${scope}${name.text}.`);
      } else if (statement.type === 'import_statement' || statement.type === 'import_from_statement') {
        for (const name of boundNames(statement)) bind(name, statement);
      } else if (statement.type === 'expression_statement') {
        const target = statement.namedChild(0)?.type === 'assignment' ? statement.namedChild(0)?.childForFieldName('left') : undefined;
        if (target?.type === 'identifier') bind(target.text, statement);
      }
    }
  };
  visit(root, '');
  return bound;
}

/**
 * Python's builtins (`dir(builtins)` on 3.11, 3.12 and 3.13, the private ones left out): names a
 * module reads without defining. Any `__dunder__` name counts as defined too (`__file__`,
 * `__path__`, a class body's `__qualname__`).
 */
const PYTHON_BUILTINS = new Set(
  (
    'ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError BrokenPipeError ' +
    'BufferError BytesWarning ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError ' +
    'ConnectionResetError DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception ' +
    'ExceptionGroup FileExistsError FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError ' +
    'ImportError ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError ' +
    'KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError NotADirectoryError NotImplemented ' +
    'NotImplementedError OSError OverflowError PendingDeprecationWarning PermissionError ProcessLookupError ' +
    'PythonFinalizationError RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning ' +
    'StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TimeoutError ' +
    'TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError ' +
    'UnicodeWarning UserWarning ValueError Warning ZeroDivisionError abs aiter all anext any ascii bin bool ' +
    'breakpoint bytearray bytes callable chr classmethod compile complex copyright credits delattr dict dir divmod ' +
    'enumerate eval exec exit filter float format frozenset getattr globals hasattr hash help hex id input int ' +
    'isinstance issubclass iter len license list locals map max memoryview min next object oct open ord pow print ' +
    'property quit range repr reversed round set setattr slice sorted staticmethod str sum super tuple type vars zip'
  ).split(' '),
);

/** Nodes a target nests its names in (`a, (b, *c) = ...`, `*args`): inside a target, they bind too. */
const TARGET_NESTING = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'list_splat_pattern', 'dictionary_splat_pattern', 'parenthesized_expression', 'tuple', 'list', 'expression_list']);

/** Nodes every name inside of binds one (or names a module): imports, `case` patterns, `[T]`, `global`. */
const BINDING_REGIONS = new Set(['import_statement', 'import_from_statement', 'future_import_statement', 'case_pattern', 'type_parameter', 'global_statement', 'nonlocal_statement']);

const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);

/**
 * A scope of Python's: the names bound in it, and the scope it is nested in. A `signature` holds
 * a def's or a class's parameters, type parameters, defaults, annotations and bases, which Python
 * evaluates in the scope around it, a class body's too; its body is a scope inside it.
 */
interface Scope {
  kind: 'module' | 'function' | 'class' | 'comprehension' | 'signature';
  outer: Scope | undefined;
  bound: Set<string>;
}

/**
 * Whether `name`, read in `scope`, is one Python finds: bound there, or in a scope around it but
 * a class's (a class's names are not seen by the functions inside it, but by a signature or a
 * comprehension directly in its body, whose first iterable Python evaluates there).
 */
function resolves(name: string, scope: Scope): boolean {
  let seesClass = true;
  for (let around: Scope | undefined = scope; around; around = around.outer) {
    if ((around.kind !== 'class' || seesClass) && around.bound.has(name)) return true;
    seesClass &&= around.kind === 'comprehension' || around.kind === 'signature';
  }
  return false;
}

/** Where each name of a module is bound, scope by scope, and where each is read. */
function scopesOf(root: Node): { module: Scope; reads: Array<{ name: string; scope: Scope; line: number }>; starImport: boolean } {
  const module: Scope = { kind: 'module', outer: undefined, bound: new Set() };
  const reads: Array<{ name: string; scope: Scope; line: number }> = [];
  let starImport = false;
  const cursor = root.walk();
  const inner = (kind: Scope['kind'], outer: Scope): Scope => ({ kind, outer, bound: new Set() });
  /** Visits each named child of the cursor's node, `how` deciding from the child's field. */
  const children = (how: (field: string | null) => void) => {
    if (!cursor.gotoFirstChild()) return;
    do if (cursor.nodeIsNamed) how(cursor.currentFieldName);
    while (cursor.gotoNextSibling());
    cursor.gotoParent();
  };
  /** `mode`: how an identifier at the cursor counts, read or bound (`region`: all below bind). */
  const visit = (scope: Scope, mode: 'read' | 'bind' | 'region'): void => {
    const type = cursor.nodeType;
    if (type === 'identifier') {
      if (mode === 'read') reads.push({ name: cursor.nodeText, scope, line: cursor.startPosition.row + 1 });
      else scope.bound.add(cursor.nodeText);
      return;
    }
    if (type === 'wildcard_import') starImport = true;
    if (mode === 'region' || BINDING_REGIONS.has(type)) {
      // `global x` makes x the module's: bound there too, where it may be read.
      if (type === 'global_statement' || type === 'nonlocal_statement') children(() => visit(module, 'region'));
      children(() => visit(scope, 'region'));
      return;
    }
    const keep = mode === 'bind' && TARGET_NESTING.has(type) ? 'bind' : 'read';
    switch (type) {
      case 'function_definition':
      case 'lambda':
      case 'class_definition': {
        const signature = inner('signature', scope);
        const body = inner(type === 'class_definition' ? 'class' : 'function', signature);
        children((field) => {
          if (field === 'name') visit(scope, 'bind');
          else if (field === 'body') visit(body, 'read');
          else visit(signature, field === 'parameters' ? 'bind' : 'read');
        });
        return;
      }
      case 'parameters':
      case 'lambda_parameters':
      case 'as_pattern_target':
        children(() => visit(scope, 'bind'));
        return;
      case 'typed_parameter':
        children((field) => visit(scope, field === 'type' ? 'read' : mode));
        return;
      case 'default_parameter':
      case 'typed_default_parameter':
        children((field) => visit(scope, field === 'name' ? 'bind' : 'read'));
        return;
      case 'assignment':
      case 'augmented_assignment':
      case 'for_statement':
      case 'for_in_clause':
        children((field) => visit(scope, field === 'left' ? 'bind' : 'read'));
        return;
      case 'type_alias_statement':
        children((field) => visit(scope, field === 'left' ? 'region' : 'read'));
        return;
      case 'named_expression': {
        // The walrus binds in the function around a comprehension, not in the comprehension.
        let target = scope;
        while (target.kind === 'comprehension' && target.outer) target = target.outer;
        children((field) => visit(field === 'name' ? target : scope, field === 'name' ? 'bind' : 'read'));
        return;
      }
      case 'attribute':
        children((field) => field === 'attribute' || visit(scope, 'read'));
        return;
      case 'keyword_argument':
        children((field) => field === 'name' || visit(scope, 'read'));
        return;
      default: {
        const own = COMPREHENSIONS.has(type) ? inner('comprehension', scope) : scope;
        children(() => visit(own, keep));
      }
    }
  };
  try {
    visit(module, 'read');
  } finally {
    cursor.delete();
  }
  return { module, reads, starImport };
}

function unboundIn(root: Node): Map<string, number> {
  const unbound = new Map<string, number>();
  const { reads, starImport } = scopesOf(root);
  if (starImport) return unbound;
  for (const { name, scope, line } of reads) {
    if (!unbound.has(name) && !PYTHON_BUILTINS.has(name) && !/^__\w+__$/.test(name) && !resolves(name, scope)) unbound.set(name, line);
  }
  return unbound;
}

/** The names `source` binds at module level, wherever in it (under an `if`, a `try`, a `global`): what importing it gives. */
export function moduleNames(source: string): Promise<ReadonlySet<string>> {
  return withTree(source, (root) => scopesOf(root).module.bound);
}

/** A module-level import statement, as `moduleImports` reads it. */
export interface ImportStatement {
  /** Its lines as written (without their line endings). */
  lines: string[];
  /** 0-based rows of its first and last line. */
  row: number;
  endRow: number;
  /** The names it binds: `a` for `import a.b`, `c` for `from m import b as c`. */
  names: string[];
  /** A `from` import's module and names; undefined for `import a.b`. */
  from?: FromStatement;
  /** The module `import a.b` names (the first, of `import a, b`), or the `from` import's module. */
  module: string;
  /** Every module it names: `import a, b` names two. */
  modules: string[];
}

/**
 * The import statements of texts read lately: a merge reads those of the same three versions of
 * a file (the user's, as generated, as generated now) at several of its steps.
 */
const importsRead = new Map<string, readonly ImportStatement[]>();

/** The module-level import statements of `source`, in order (a `from __future__` one too); shared, so read-only. */
export async function moduleImports(source: string, file: string): Promise<readonly ImportStatement[]> {
  const known = importsRead.get(source);
  if (known) return known;
  const statements = await readModuleImports(source, file);
  if (importsRead.size >= REMEMBERED_TEXTS) importsRead.clear();
  importsRead.set(source, statements);
  return statements;
}

function readModuleImports(source: string, file: string): Promise<ImportStatement[]> {
  return parseOwned(source, file, (root) => {
    const lines = source.split('\n');
    return root.namedChildren
      .filter((node): node is Node => node?.type === 'import_statement' || node?.type === 'import_from_statement' || node?.type === 'future_import_statement')
      .map((statement) => {
        const [row, endRow] = [statement.startPosition.row, statement.endPosition.row];
        const names = boundNames(statement);
        // `import a.b as c, d`: each module, as named before any `as`.
        const modules =
          statement.type === 'import_statement'
            ? statement.childrenForFieldName('name').map((name) => compact(name.type === 'aliased_import' ? name.childForFieldName('name') : name))
            : [compact(statement.childForFieldName('module_name'))];
        const module = modules[0] as string;
        const imported = statement.childrenForFieldName('name').map(
          (name): ImportedName => (name.type === 'aliased_import' ? { name: compact(name.childForFieldName('name')), alias: compact(name.childForFieldName('alias')) } : { name: compact(name) }),
        );
        const from: FromStatement | undefined =
          statement.type === 'import_statement' ? undefined : { module: statement.type === 'future_import_statement' ? '__future__' : module, names: imported };
        return { lines: lines.slice(row, endRow + 1).map((line) => line.replace(/\r$/, '')), row, endRow, names, ...(from ? { from } : {}), module: from?.module ?? module, modules };
      });
  });
}

/** Where a name is bound rather than read: a parameter, an assignment's or a loop's target, a definition's name, `as x`. */
function isBinding(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  const is = (field: string) => parent.childForFieldName(field)?.id === node.id;
  switch (parent.type) {
    case 'parameters':
    case 'lambda_parameters':
    case 'list_splat_pattern':
    case 'dictionary_splat_pattern':
    case 'as_pattern_target':
    case 'pattern_list':
    case 'tuple_pattern':
      return true;
    case 'typed_parameter':
      return parent.namedChild(0)?.id === node.id;
    case 'default_parameter':
    case 'typed_default_parameter':
    case 'function_definition':
    case 'class_definition':
    case 'named_expression':
      return is('name');
    case 'assignment':
    case 'augmented_assignment':
    case 'for_statement':
    case 'for_in_clause':
      return is('left');
    default:
      return false;
  }
}

/**
 * Whether `child` of the scope `scope` is read in the scope around it: a function's parameters
 * (their annotations and defaults: the names themselves are bindings) and its return type.
 */
function readAround(scope: Node, child: Node): boolean {
  const is = (field: string) => scope.childForFieldName(field)?.id === child.id;
  return (scope.type === 'function_definition' || scope.type === 'lambda') && (is('parameters') || is('return_type'));
}

const ANNOTATION_CALLS = new Set(['cast', 'TypeVar', 'NewType']);

/** What has names of its own: a name bound in one is that scope's, not the module's. */
const SCOPES = new Set(['function_definition', 'lambda', 'list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);

/**
 * Which of `names` code in `source` reads outside import statements, as the module-level names
 * they are: not an attribute's or a keyword argument's name, not where a name is bound, not inside
 * a function that binds that name itself (a parameter `date`); and in a string annotation
 * (`-> "date"`, `cast("Decimal", x)`), which a type checker reads too.
 */
export function namesUsedOutsideImports(source: string, file: string, names: string[]): Promise<Set<string>> {
  return parseOwned(source, file, (root) => {
    const used = new Set<string>();
    const bindsLocally = new Map<number, Set<string>>();
    /** The scope a binding binds in: a definition's name in the one around the definition. */
    const scopeOf = (binding: Node) => {
      let up = binding.parent;
      if (up && (up.type === 'function_definition' || up.type === 'class_definition') && up.childForFieldName('name')?.id === binding.id) up = up.parent;
      while (up && !SCOPES.has(up.type)) up = up.parent;
      return up;
    };
    /** The names a scope binds itself (in its parameters and body, not in the scopes inside it). */
    const localNames = (scope: Node) => {
      let bound = bindsLocally.get(scope.id);
      if (!bound) {
        const own = scope.descendantsOfType('identifier').filter((node): node is Node => node !== null && isBinding(node) && scopeOf(node)?.id === scope.id);
        bound = new Set(own.map((node) => node.text));
        bindsLocally.set(scope.id, bound);
      }
      return bound;
    };
    for (const node of root.descendantsOfType(['identifier', 'string'])) {
      if (!node) continue;
      if (node.type === 'string') {
        // `__all__ = ["Decimal", ...]` re-exports the name: ruff's F822 wants it defined.
        const list = node.parent?.type === 'list' || node.parent?.type === 'tuple' ? node.parent.parent : null;
        const exported = (list?.type === 'assignment' || list?.type === 'augmented_assignment') && compact(list.childForFieldName('left')) === '__all__';
        if (exported && names.includes(stringValue(node) ?? '')) used.add(stringValue(node) as string);
        const annotation = node.parent?.type === 'type' || (node.parent?.type === 'argument_list' && ANNOTATION_CALLS.has(compact(node.parent.parent?.childForFieldName('function')).split('.').pop() ?? ''));
        const content = node.namedChildren.filter((child) => child?.type === 'string_content').map((child) => child?.text ?? '').join('');
        if (annotation) for (const name of names) if (new RegExp(`(^|[^\\w.])${name}(?![\\w])`).test(content)) used.add(name);
        continue;
      }
      if (!names.includes(node.text) || used.has(node.text) || isBinding(node)) continue;
      const parent = node.parent;
      if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id) continue;
      if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === node.id) continue;
      let outside = true;
      for (let up = parent, from: Node = node; up && outside; from = up, up = up.parent) {
        if (up.type === 'import_statement' || up.type === 'import_from_statement') outside = false;
        // A function's annotations and defaults are read where it is defined, not in its scope
        // (`def label(date: date) -> date`).
        else if (SCOPES.has(up.type) && !readAround(up, from) && localNames(up).has(node.text)) outside = false;
      }
      if (outside) used.add(node.text);
    }
    return used;
  });
}

/**
 * What the model of `table` maps in `source`, with 1-based lines: its columns (each `name:
 * Mapped[...]`, bare or set to a `mapped_column` or `Column` call, and each `name = Column(...)`
 * or `mapped_column(...)`; not relationships or other properties), those of the classes it
 * inherits that the file defines (a mixin's), and the other tables the file's classes map.
 */
export function mappedColumns(source: string, file: string, table: string): Promise<{ columns: Array<{ name: string; line: number }>; otherTables: Array<{ name: string; line: number }> }> {
  return parseOwned(source, file, (root) => {
    const classes = root.descendantsOfType('class_definition').filter((node): node is Node => node !== null);
    const assignmentsOf = (model: Node) =>
      (model.childForFieldName('body')?.namedChildren ?? [])
        .map((statement) => (statement?.type === 'expression_statement' ? statement.namedChild(0) : null))
        .filter((node): node is Node => node?.type === 'assignment');
    const tableOf = (model: Node) => {
      const named = assignmentsOf(model).find((assignment) => compact(assignment.childForFieldName('left')) === '__tablename__');
      const value = named?.childForFieldName('right');
      return value ? stringValue(value) : undefined;
    };
    const columnsOf = (model: Node) =>
      assignmentsOf(model).flatMap((assignment) => {
        const left = assignment.childForFieldName('left');
        const right = assignment.childForFieldName('right');
        const called = right?.type === 'call' ? (compact(right.childForFieldName('function')).split('.').pop() ?? '') : undefined;
        const mapped = /(^|\.)Mapped\[/.test(compact(assignment.childForFieldName('type')));
        const column = left?.type === 'identifier' && ((mapped && right === null) || called === 'mapped_column' || called === 'Column');
        return column ? [{ name: left.text, line: assignment.startPosition.row + 1 }] : [];
      });
    const model = classes.find((node) => tableOf(node) === table);
    if (!model) return { columns: [], otherTables: [] };
    // The file's own classes it inherits from, and theirs in turn.
    const inherited: Node[] = [];
    const visit = (node: Node) => {
      for (const base of node.childForFieldName('superclasses')?.namedChildren ?? []) {
        const parent = classes.find((candidate) => candidate.childForFieldName('name')?.text === base?.text);
        if (parent && !inherited.includes(parent)) {
          inherited.push(parent);
          visit(parent);
        }
      }
    };
    visit(model);
    const otherTables = classes.flatMap((node) => {
      const name = tableOf(node);
      return name !== undefined && name !== table ? [{ name, line: node.startPosition.row + 1 }] : [];
    });
    return { columns: [model, ...inherited].flatMap(columnsOf).sort((a, b) => a.line - b.line), otherTables };
  });
}

/** The module a file is, from its path in the src layout (`src/pkg/services/a.py` -> `pkg.services.a`). */
export function moduleOfFile(path: string): string | undefined {
  const match = /^src\/(.+)\.py$/.exec(path);
  if (!match) return undefined;
  return (match[1] as string).replace(/\/__init__$/, '').replaceAll('/', '.');
}

/** Absolute module names `node` (a relative or absolute module reference) names, seen from `file`. */
function absoluteModule(node: Node, file: string): string | undefined {
  if (node.type !== 'relative_import') return compact(node);
  const text = compact(node);
  const dots = /^\.+/.exec(text)?.[0].length ?? 0;
  const self = moduleOfFile(file);
  if (self === undefined) return undefined;
  const isPackage = file.endsWith('/__init__.py');
  const base = self.split('.').slice(0, isPackage ? self.split('.').length - dots + 1 : -dots);
  const rest = text.slice(dots);
  return [...base, ...(rest ? [rest] : [])].join('.');
}

/**
 * Every module `source` imports, as absolute names with their 1-based lines: `import a.b`,
 * `from a.b import c` (both `a.b` and `a.b.c`, since c may be a module), relative imports resolved
 * from `file`'s place in the package; imports inside functions and conditionals included.
 */
export function importedModules(source: string, file: string): Promise<Array<{ module: string; line: number }>> {
  return parseOwned(source, file, (root) => {
    const found: Array<{ module: string; line: number }> = [];
    for (const statement of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
      if (!statement) continue;
      const line = statement.startPosition.row + 1;
      const names = statement.childrenForFieldName('name').map((name) =>
        compact(name.type === 'aliased_import' ? name.childForFieldName('name') : name),
      );
      if (statement.type === 'import_statement') {
        for (const name of names) found.push({ module: name, line });
        continue;
      }
      const from = statement.childForFieldName('module_name');
      const module = from ? absoluteModule(from, file) : undefined;
      if (module === undefined) continue;
      found.push({ module, line });
      for (const name of names) found.push({ module: `${module}.${name}`, line });
    }
    return found;
  });
}

/**
 * What each statement of `imported` takes: `from a import b` names both a and a.b, and takes a.b
 * (the module b, or a name of a); `import a.b` takes a.b.
 */
export function importedTargets(imported: Array<{ module: string; line: number }>): Array<{ module: string; line: number }> {
  return imported.filter(({ module, line }) => !imported.some((other) => other.line === line && other.module.startsWith(`${module}.`)));
}

/** The innermost of `modules` that is `module` or a package holding it; undefined for none. */
export function innermostModule(module: string, modules: Iterable<string>): string | undefined {
  let found: string | undefined;
  for (const candidate of modules) {
    if ((module === candidate || module.startsWith(`${candidate}.`)) && candidate.length > (found?.length ?? -1)) found = candidate;
  }
  return found;
}

function assignedValue(root: Node, name: string): Node | undefined {
  return assignmentStatement(root, name)?.namedChild(0)?.childForFieldName('right') ?? undefined;
}

/**
 * The value of a plain Python string literal (revision ids are plain): its text as written, or
 * undefined where Python would read the text otherwise: an f-string or a bytes literal, or an
 * escape (`\'`, `{{`) outside a raw string. tree-sitter puts escapes inside the content.
 */
function stringValue(node: Node): string | undefined {
  if (node.type !== 'string') return undefined;
  const prefix = node.child(0)?.text.replace(/["']+$/, '') ?? '';
  if (/[fb]/i.test(prefix)) return undefined;
  const content = node.namedChildren.filter((child) => child?.type === 'string_content');
  if (!/r/i.test(prefix) && content.some((child) => (child?.namedChildCount ?? 0) > 0)) return undefined;
  return content.map((child) => child?.text ?? '').join('');
}

/** A Python string, None, or tuple/list of strings, as string nodes (empty for None). */
function literalStrings(node: Node | undefined, file: string): Node[] {
  if (!node || node.type === 'none') return [];
  if (node.type === 'string' && stringValue(node) !== undefined) return [node];
  if (node.type === 'tuple' || node.type === 'list' || node.type === 'parenthesized_expression' || node.type === 'expression_list') {
    return node.namedChildren.flatMap((child) => (child?.type === 'comment' ? [] : literalStrings(child ?? undefined, file)));
  }
  throw new CliError(`${file}:${node.startPosition.row + 1}: expected a plain string literal (no f-string, bytes or escapes), found ${node.text}`);
}

export interface Revision {
  revision: string;
  downRevisions: string[];
}

function revisionIds(root: Node, file: string): Revision | undefined {
  const [revision] = literalStrings(assignedValue(root, 'revision'), file).map((node) => stringValue(node) as string);
  if (revision === undefined) return undefined;
  const downRevisions = literalStrings(assignedValue(root, 'down_revision'), file).map((node) => stringValue(node) as string);
  return { revision, downRevisions };
}

/** A revision file's text above its first function or class, where Alembic writes its ids; undefined without one. */
export function revisionHead(source: string): string | undefined {
  const body = /^(?:async\s+def|def|class|@)/m.exec(source);
  return body ? source.slice(0, body.index) : undefined;
}

/**
 * An Alembic revision file's own id and the ids it builds on. Alembic writes them above the first
 * function, and a project may hold hundreds of revisions, so that head of the file is parsed first;
 * the whole file only when the head does not parse on its own or does not hold both.
 */
export async function readRevision(source: string, file: string): Promise<Revision> {
  const head = revisionHead(source);
  if (head !== undefined) {
    const fromHead = await withTree(head, (root) =>
      root.hasError || !assignmentStatement(root, 'down_revision') ? undefined : revisionIds(root, file),
    );
    if (fromHead) return fromHead;
  }
  return parseOwned(source, file, (root) => {
    const ids = revisionIds(root, file);
    if (!ids) throw new CliError(`${file} has no "revision = ..." line; is it an Alembic revision?`);
    return ids;
  });
}

/** The plain string ids a revision's `depends_on` names (none when it names none, or not as literals). */
export function dependsOn(source: string): Promise<string[]> {
  return withTree(source, (root) => {
    const value = assignedValue(root, 'depends_on');
    if (!value) return [];
    const strings = value.type === 'string' ? [value] : value.descendantsOfType('string').filter((node): node is Node => node !== null);
    return strings.map(stringValue).filter((id): id is string => id !== undefined);
  });
}

/**
 * Points a revision that built on `removedId` at `replacement` instead (the removed revision's
 * parents, less those the revision has already or reaches through another parent): in a merge
 * tuple that id is replaced by them, or dropped if there are none, and the docstring's "Revises:"
 * line follows. The tuple is printed again as ruff format prints it, unless comments sit among its
 * ids; everything else in the file keeps its bytes.
 */
export function relinkRevision(source: string, file: string, removedId: string, replacement: string[]): Promise<string> {
  return editOwned(source, file, (root, splices) => {
    const value = assignedValue(root, 'down_revision');
    const parents = literalStrings(value, file);
    const target = parents.find((node) => stringValue(node) === removedId);
    if (!value || !target) return;
    if (value.type !== 'string' && target.parent?.id !== value.id) {
      throw new CliError(`${file}:${target.startPosition.row + 1}: down_revision holds ${removedId} in parentheses of its own; list the ids in one tuple, then run again`);
    }
    const lineEnd = /\r?\n|$/.exec(source.slice(value.endIndex)) as RegExpExecArray;
    if (value.type === 'string' || value.children.every((child) => child?.type !== 'comment' && (!child?.isNamed || child.type === 'string'))) {
      // A string, or a tuple or list of strings and nothing else: printed again whole, as ruff
      // format would print it on its line (which the new ids may have made too long).
      const ids = value.type === 'string' ? [target] : value.namedChildren.filter((child): child is Node => child !== null);
      const items = new Map<string, string>();
      for (const node of ids) {
        const id = stringValue(node) as string;
        if (id !== removedId) items.set(id, items.get(id) ?? node.text);
        else for (const parent of replacement) items.set(parent, items.get(parent) ?? pythonString(parent));
      }
      const before = source.slice(source.lastIndexOf('\n', value.startIndex - 1) + 1, value.startIndex);
      const after = source.slice(value.endIndex, value.endIndex + lineEnd.index);
      const printed = collection(value.type === 'list' ? '[' : '(', [...items.values()], before, after, lineEnd[0] || '\n');
      splices.replace(value.startIndex, value.endIndex, printed);
    } else if (replacement.length > 0) {
      // Comments among the ids stay where they are: only the id is replaced.
      splices.replace(target.startIndex, target.endIndex, replacement.map(pythonString).join(', '));
    } else if (parents.length === 1) {
      splices.replace(value.startIndex, value.endIndex, 'None');
    } else {
      // The id goes with its comma; the line too, when nothing else (a comment) is on it.
      const comma = target.nextSibling?.type === ',' ? target.nextSibling : undefined;
      let start = target.startIndex;
      let end = comma?.endIndex ?? target.endIndex;
      const lineStart = source.lastIndexOf('\n', start - 1) + 1;
      const rest = /^[ \t]*(\r?\n)/.exec(source.slice(end));
      if (/^[ \t]*$/.test(source.slice(lineStart, start)) && rest) {
        start = lineStart;
        end += rest[0].length;
      } else if (!comma) {
        // The last id, on the line of another: its comma before goes with it.
        const previous = target.previousSibling;
        if (previous?.type === ',') start = previous.startIndex;
      } else {
        end += /^[ \t]*/.exec(source.slice(end))?.[0].length ?? 0;
      }
      splices.replace(start, end, '');
    }
    const docstring = topLevel(root)[0]?.namedChild(0);
    if (docstring?.type === 'string') {
      // In the order of down_revision; one id a line, under the first, where they do not fit ruff's
      // 100 columns (and so read back: a line ending in a comma goes on under "Revises:").
      const revises = [...new Set(parents.flatMap((node) => (stringValue(node) === removedId ? replacement : [stringValue(node) as string])))];
      const listed = revises.length > 0 ? `Revises: ${revises.join(', ')}` : 'Revises: (nothing: the first migration)';
      const text = docstring.text.replace(/^Revises:(?:[^\r\n]*,\r?\n {9})*[^\r\n]*/m, () =>
        columns(listed) <= LINE_LENGTH ? listed : `Revises: ${revises.join(`,${lineEnd[0] || '\n'}         `)}`,
      );
      if (text !== docstring.text) splices.replace(docstring.startIndex, docstring.endIndex, text);
    }
  });
}
