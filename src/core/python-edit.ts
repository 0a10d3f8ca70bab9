import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Node, Parser } from 'web-tree-sitter';
import { requireCached, setV8Flags } from '../code-cache.js';
import { CliError } from '../errors.js';
import { type RouterLines, routerImport, routerInclude } from './python-source.js';

/**
 * Edits of Python source through its syntax tree (tree-sitter), never by regex or markers:
 * they survive `ruff format`, hand edits and comments, keep the file's line endings, and are idempotent.
 * Edits work on whole lines located by the tree, so everything else in the file keeps its bytes.
 */

let parserPromise: Promise<Parser> | undefined;

/**
 * The build copies tree-sitter and the Python grammar next to the bundle, so a run resolves no
 * package and users install neither; from sources (tests) they come from node_modules.
 */
function shipped(file: string, specifier: string): string {
  const bundled = fileURLToPath(new URL(`./${file}`, import.meta.url));
  return existsSync(bundled) ? bundled : createRequire(import.meta.url).resolve(specifier);
}

function parser(): Promise<Parser> {
  parserPromise ??= (async () => {
    const { Parser, Language } = requireCached(
      shipped('web-tree-sitter.cjs', 'web-tree-sitter'),
    ) as typeof import('web-tree-sitter');
    // Liftoff (V8's baseline wasm compiler) parses a few small files just as well; letting V8
    // re-optimise the grammar in the background costs ~100 ms that the process waits for at exit.
    // Set after loading tree-sitter's code, whose cache was made under the default flags.
    setV8Flags('--liftoff-only');
    await Parser.init();
    const parser = new Parser();
    const grammar = shipped('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm');
    parser.setLanguage(await Language.load(readFileSync(grammar)));
    return parser;
  })();
  return parserPromise;
}

/**
 * Starts compiling the grammar now, so it overlaps with loading the command; the first edit awaits
 * the same promise (and reports any failure).
 */
export function warmUpPythonParser(): void {
  parser().catch(() => undefined);
}

async function parse(source: string, file: string): Promise<Node> {
  const tree = (await parser()).parse(source);
  if (!tree || tree.rootNode.hasError) throw new CliError(`${file} is not valid Python; fix it, then run again`);
  return tree.rootNode;
}

/** `from <module> import router as <alias>` plus `<registry>.include_router(<alias>)`, in `file`. */
export interface RouterRegistration extends RouterLines {
  file: string;
}

const compact = (node: Node | null) => (node ? node.text.replace(/\s+/g, '') : '');

function routerImports(root: Node, packagePrefix: string): Node[] {
  return root.namedChildren.filter(
    (node): node is Node =>
      node?.type === 'import_from_statement' && compact(node.childForFieldName('module_name')).startsWith(packagePrefix),
  );
}

function importsRouter(node: Node, registration: RouterRegistration): boolean {
  return (
    compact(node.childForFieldName('module_name')) === registration.module &&
    node.childrenForFieldName('name').some((name) => compact(name) === `routeras${registration.alias}`)
  );
}

/** Top-level `<registry>.include_router(...)` statements. */
function includeCalls(root: Node, registry: string): Node[] {
  return root.namedChildren.filter((node): node is Node => {
    const call = node?.type === 'expression_statement' ? node.namedChild(0) : null;
    return call?.type === 'call' && compact(call.childForFieldName('function')) === `${registry}.include_router`;
  });
}

function includesAlias(statement: Node, alias: string): boolean {
  const args = statement.namedChild(0)?.childForFieldName('arguments');
  return compact(args?.namedChild(0) ?? null) === alias;
}

/** The top-level statement `<name> = ...` (annotated or not). */
function assignmentStatement(root: Node, name: string): Node | undefined {
  return root.namedChildren.find((node): node is Node => {
    const assignment = node?.type === 'expression_statement' ? node.namedChild(0) : null;
    return assignment?.type === 'assignment' && compact(assignment.childForFieldName('left')) === name;
  });
}

const isImport = (node: Node | null) =>
  node?.type === 'import_statement' || node?.type === 'import_from_statement' || node?.type === 'future_import_statement';

class Lines {
  readonly eol: string;
  private readonly lines: string[];

  constructor(source: string) {
    this.eol = source.includes('\r\n') ? '\r\n' : '\n';
    this.lines = source.split(/(?<=\n)/);
  }

  /** Inserts new lines after row `row` (-1: at the top). */
  insertAfter(row: number, texts: string[]): void {
    const previous = this.lines[row];
    if (previous !== undefined && !previous.endsWith('\n')) this.lines[row] = previous + this.eol;
    this.lines.splice(row + 1, 0, ...texts.map((text) => text + this.eol));
  }

  /** Removes rows `start..end`; if that leaves two blank lines in a row, one of them goes too. */
  remove(start: number, end: number): void {
    this.lines.splice(start, end - start + 1);
    const blank = (row: number) => this.lines[row] !== undefined && this.lines[row].trim() === '';
    if (blank(start - 1) && (blank(start) || start === this.lines.length)) this.lines.splice(start - 1, 1);
  }

  toString(): string {
    return this.lines.join('');
  }
}

function packagePrefix(module: string): string {
  return module.slice(0, module.lastIndexOf('.') + 1);
}

/** Adds the import and the include_router call; returns `source` unchanged if both are there. */
export async function addRouterRegistration(source: string, registration: RouterRegistration): Promise<string> {
  const root = await parse(source, registration.file);
  const lines = new Lines(source);
  // Later rows first, so the row numbers found in the tree stay valid for the earlier insertion.
  const calls = includeCalls(root, registration.registry);
  if (!calls.some((call) => includesAlias(call, registration.alias))) {
    const anchor = calls.at(-1) ?? assignmentStatement(root, registration.registry);
    if (!anchor) {
      throw new CliError(
        `${registration.file} has no "${registration.registry} = APIRouter(...)"; add it back or register the router by hand`,
      );
    }
    lines.insertAfter(anchor.endPosition.row, [routerInclude(registration)]);
  }
  const imports = routerImports(root, packagePrefix(registration.module));
  if (!imports.some((node) => importsRouter(node, registration))) {
    const importLines = routerImport(registration).split('\n');
    // Keep the block sorted the way ruff's isort rule wants it.
    const next = imports.find((node) => compact(node.childForFieldName('module_name')) > registration.module);
    if (next) lines.insertAfter(next.startPosition.row - 1, importLines);
    else if (imports.length > 0) lines.insertAfter((imports.at(-1) as Node).endPosition.row, importLines);
    else {
      const lastImport = root.namedChildren.filter(isImport).at(-1);
      lines.insertAfter(lastImport ? lastImport.endPosition.row : -1, lastImport ? ['', ...importLines] : importLines);
    }
  }
  const edited = lines.toString();
  await parse(edited, registration.file);
  return edited;
}

/** Removes the import and the include_router call that addRouterRegistration adds. */
export async function removeRouterRegistration(source: string, registration: RouterRegistration): Promise<string> {
  const root = await parse(source, registration.file);
  const doomed = [
    ...routerImports(root, packagePrefix(registration.module)).filter((node) => importsRouter(node, registration)),
    ...includeCalls(root, registration.registry).filter((call) => includesAlias(call, registration.alias)),
  ].sort((a, b) => b.startPosition.row - a.startPosition.row);
  const lines = new Lines(source);
  for (const node of doomed) lines.remove(node.startPosition.row, node.endPosition.row);
  const edited = lines.toString();
  await parse(edited, registration.file);
  return edited;
}

function assignedValue(root: Node, name: string): Node | undefined {
  return assignmentStatement(root, name)?.namedChild(0)?.childForFieldName('right') ?? undefined;
}

/** A Python string, None, or tuple/list of strings, as JavaScript values. */
function literalStrings(node: Node | undefined, file: string): string[] {
  if (!node || node.type === 'none') return [];
  if (node.type === 'string') return [node.text.slice(1, -1)];
  if (node.type === 'tuple' || node.type === 'list') {
    return node.namedChildren.flatMap((child) => literalStrings(child ?? undefined, file));
  }
  throw new CliError(`${file}: expected a string literal, found "${node.text}"`);
}

/** An Alembic revision file's own id and the ids it builds on. */
export async function readRevision(source: string, file: string): Promise<{ revision: string; downRevisions: string[] }> {
  const root = await parse(source, file);
  const [revision] = literalStrings(assignedValue(root, 'revision'), file);
  if (revision === undefined) throw new CliError(`${file} has no "revision = ..." line; is it an Alembic revision?`);
  return { revision, downRevisions: literalStrings(assignedValue(root, 'down_revision'), file) };
}

/** Points a revision file's `down_revision` at another revision (or None), keeping the rest of the line. */
export async function setDownRevision(source: string, file: string, downRevision: string | null): Promise<string> {
  const root = await parse(source, file);
  const right = assignedValue(root, 'down_revision');
  if (!right || right.startPosition.row !== right.endPosition.row) {
    throw new CliError(`${file}: expected a one-line "down_revision = ..." to relink`);
  }
  const lines = source.split(/(?<=\n)/);
  const row = right.startPosition.row;
  const line = lines[row] as string;
  // tree-sitter columns count bytes; these lines are ASCII, where bytes and characters agree.
  const literal = downRevision === null ? 'None' : `"${downRevision}"`;
  lines[row] = line.slice(0, right.startPosition.column) + literal + line.slice(right.endPosition.column);
  const edited = lines.join('');
  await parse(edited, file);
  return edited;
}
