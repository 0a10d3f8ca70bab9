#!/usr/bin/env node
// Run by the build on the CLI it just built: every form a build-parsed template tree renders
// (core/render.ts, BUILD_PARSED_TREES) parses, so a run writes those files without parsing them
// (~25 ms of tree-sitter per create or add-domain).
//
// Why the forms checked are all there is:
// - create renders from the options (database, extras, layout), from names and from the default
//   fields. The names are checked identifiers (core/names.ts: no keywords, [a-z0-9_] modules,
//   PascalCase classes), so in Python they are single tokens and cannot change a file's syntax;
//   only their length can, where a template splits a long line as ruff does. So each option
//   combination renders at both ends of the allowed lengths.
// - A domain (add-domain, add-field, remove-field) renders from the layout, names and its fields.
//   A field's part is decided by its shape: type, markers, reference and whether it has a default,
//   whose literal has a fixed form per type (core/fields.ts: a string token, a number, True/False,
//   Decimal("..."), date.fromisoformat("...")) and whose length decides where its line splits. So
//   every shape renders alone and all of them together, at both ends of the lengths, in each layout.
// - Its migration prints its parent's revision id inside a string and a docstring, so only the
//   id's length could count; an id that would end or escape them is refused (core/domain.ts,
//   migrationChain).
// - A registry printed whole holds the lines create prints, and a flow's (add-flow's run here).
// test/commands/generative.test.ts renders random names, field specs and options and compiles
// what they give.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { parse as parseToml } from 'smol-toml';

const require = createRequire(import.meta.url);
const { main } = require('../dist/index.cjs');

const EXTRAS = ['crawlers', 'schedulers', 'clients', 'workers'];
// The generated project's line-length (ruff), which the templates split long lines to keep.
const LINE_LENGTH = 100;
// The shortest names core/names.ts accepts, and the longest (project 64, package 24, domain 25,
// field 30 characters; a reference's column adds "_id").
const SHORT = { directory: 'a', domains: ['bc'], domain: 'gh', flow: 'jk', field: (n) => `f${n || ''}`, refField: (n) => `r${n || ''}` };
const LONG = {
  directory: 'p'.repeat(64),
  name: 'q'.repeat(24),
  domains: ['d'.repeat(24) + 's', 'e'.repeat(24) + 's', 'fg'],
  domain: 'g'.repeat(24) + 's',
  flow: 'j'.repeat(25),
  field: (n) => `f${String(n).padStart(3, '0')}`.padEnd(30, 'f'),
  refField: (n) => `r${String(n).padStart(3, '0')}`.padEnd(27, 'r'),
};

// Each type's defaults: none, and literals at both ends of their lengths (a default whose line
// does not fit goes on a line of its own, which the longest string fills: 100 columns, less the
// indent and quotes); a string with both quotes takes an escape.
const LONGEST_DEFAULT = 'x'.repeat(90);
const DEFAULTS = {
  str: [undefined, 'a', LONGEST_DEFAULT, `it's "quoted"`],
  text: [undefined, 'a', LONGEST_DEFAULT],
  int: [undefined, '0', '-2147483648'],
  float: [undefined, '1.5', '-1.7976931348623157e308'],
  bool: [undefined, 'true'],
  decimal: [undefined, '0', '-9999999999.99'],
  date: [undefined, '2024-02-29'],
  datetime: [undefined],
  uuid: [undefined],
};
const MARKERS = ['', '?', '!', '+', '?!', '?+', '!+', '?!+'];
const ON_DELETE = ['', ', on_delete=cascade', ', on_delete=set_null'];

/** Every field shape, as specs for `names`: values, then references to each kind of domain. */
function fieldShapes(names) {
  const values = Object.entries(DEFAULTS).flatMap(([type, defaults]) =>
    MARKERS.flatMap((markers) => defaults.map((value) => `${type}${markers}${value === undefined ? '' : `=${value}`}`)),
  );
  const targets = [names.domains[0], names.domain];
  const references = targets.flatMap((target) => ON_DELETE.flatMap((option) => MARKERS.map((markers) => `ref(${target}${option})${markers}`)));
  return {
    values: values.map((shape, n) => `${names.field(n)}:${shape}`),
    references: references.map((shape, n) => `${names.refField(n)}:${shape}`),
  };
}

await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(readFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm'))));

/** Problems found, each with the first command that shows it; a text seen before is not parsed again. */
const problems = new Map();
const checked = new Set();
let runs = 0;

/** The test modules a test file imports, by its syntax tree. */
function treeTestImports(root) {
  const modules = [];
  for (const statement of root.namedChildren) {
    if (statement.type === 'import_from_statement') modules.push(statement.childForFieldName('module_name').text);
    if (statement.type === 'import_statement') {
      for (const name of statement.namedChildren) modules.push((name.childForFieldName('name') ?? name).text);
    }
  }
  return modules.filter((module) => /^test_\w+$/.test(module)).sort();
}

/**
 * Whether ruff's E501 holds `line` too long. The names and defaults here are ASCII, one column a
 * character; like ruff, a line of one word, or ending in a URL that starts within the limit, passes.
 */
function overlong(line) {
  if (line.length <= LINE_LENGTH) return false;
  const words = line.trim().split(/\s+/);
  const last = words.at(-1);
  return words.length > 1 && !(last.includes('://') && line.length - last.length <= LINE_LENGTH);
}

/** Runs the CLI in `cwd`; with --dry-run --json, parses each distinct file it would write. */
async function run(cwd, argv, { refusable = false } = {}) {
  let json = '';
  const log = { info() {}, success() {}, warn() {}, raw: (text) => (json += text), step: () => ({ done() {}, fail() {} }) };
  // The CLI reports a refusal on stderr: kept to say why a run failed, quiet for a refused shape.
  const printError = console.error;
  let error = '';
  console.error = (message) => (error += `${message}\n`);
  const code = await main(argv, { cwd, interactive: false, log }).finally(() => (console.error = printError));
  runs += 1;
  if (code === 2 && refusable) return false;
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${error}`);
  if (!argv.includes('--json')) return true;
  for (const change of JSON.parse(json).changes) {
    if (change.content === undefined || checked.has(change.content)) continue;
    checked.add(change.content);
    let problem;
    if (change.path.endsWith('.py')) {
      const tree = parser.parse(change.content);
      const long = change.content.split('\n').findIndex(overlong);
      if (!tree || tree.rootNode.hasError) problem = 'does not parse';
      else if (long >= 0) problem = `has line ${long + 1} longer than ${LINE_LENGTH} columns`;
      // core/domain.ts reads a rendered test file's helper imports by their printed lines.
      else if (/^tests\/[^/]+\.py$/.test(change.path)) {
        const printed = [...change.content.matchAll(/^from (test_\w+) import /gm)].map((match) => match[1]).sort();
        if (printed.join() !== treeTestImports(tree.rootNode).join()) problem = 'imports a test module other than on a "from test_... import" line';
      }
      tree?.delete();
    } else if (change.path.endsWith('.toml')) {
      try {
        parseToml(change.content);
      } catch {
        problem = 'does not parse';
      }
    }
    if (problem && !problems.has(change.path)) problems.set(change.path, `${argv.join(' ')}: ${change.path} ${problem}`);
  }
  return true;
}

const cwd = mkdtempSync(join(tmpdir(), 'clb-renderings-'));
try {
  // create, every option combination at both ends of the names' lengths.
  for (const db of ['sqlite', 'postgres']) {
    for (const layout of ['layer-first', 'domain-first']) {
      for (let mask = 0; mask < 2 ** EXTRAS.length; mask += 1) {
        const extras = EXTRAS.filter((_, bit) => mask & (1 << bit)).join(',');
        for (const names of [SHORT, LONG]) {
          const argv = [names.directory, '--yes', '--no-git', '--no-install', '--dry-run', '--json', '--db', db, '--layout', layout, '--domains', names.domains.join(',')];
          if (extras) argv.push('--extras', extras);
          if (names.name) argv.push('--name', names.name);
          await run(cwd, argv);
        }
      }
    }
  }
  // A domain's files, each field shape alone and all together, in a project of each layout.
  for (const layout of ['layer-first', 'domain-first']) {
    for (const names of [SHORT, LONG]) {
      const directory = `${layout}-${names === SHORT ? 'short' : 'long'}`;
      const argv = [directory, '--yes', '--no-git', '--no-install', '--layout', layout, '--domains', names.domains.join(',')];
      if (names.name) argv.push('--name', names.name);
      await run(cwd, argv);
      const project = join(cwd, directory);
      const addDomain = (fields, options) => run(project, ['add-domain', names.domain, '--fields', fields, '--dry-run', '--json'], options);
      const { values, references } = fieldShapes(names);
      const accepted = [];
      for (const field of values) if (await addDomain(field, { refusable: true })) accepted.push(field);
      // A reference alone is refused (a domain holds a value of its own): each goes with one.
      for (const field of references) if (await addDomain(`${values[0]}, ${field}`, { refusable: true })) accepted.push(field);
      // Each shape can be refused only for what it is alone (a bool cannot be unique, set_null
      // needs an optional reference); together, every accepted one must still be accepted.
      for (const value of Object.values(DEFAULTS).flat()) {
        if (value !== undefined && !accepted.some((field) => field.endsWith(`=${value}`))) throw new Error(`no field with the default ${value} was accepted`);
      }
      await addDomain(accepted.join(', '));
      await addDomain(accepted.filter((field) => !field.includes(':ref(')).join(', '));
      await run(project, ['add-flow', names.flow, '--uses', names.domains[0], '--dry-run', '--json']);
    }
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
if (problems.size > 0) {
  for (const problem of problems.values()) console.error(problem);
  process.exit(1);
}
console.error(`Renderings parse: ${runs} runs, ${checked.size} distinct files.`);
