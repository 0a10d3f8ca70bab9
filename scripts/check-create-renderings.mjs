#!/usr/bin/env node
// Run by the build on the CLI it just built: every file `create` can write parses, for every
// option combination, so a run of create parses nothing (~25 ms of tree-sitter per run).
//
// Why the combinations are all there is: create renders its templates from the options (database,
// extras, layout), from names and from the default fields. The names are checked identifiers
// (core/names.ts: no keywords, [a-z0-9_] modules, PascalCase classes), so in Python they are single
// tokens and cannot change a file's syntax; only their length can, where a template splits a long
// line as ruff does, so each combination renders at both ends of the allowed lengths.
// test/commands/generative.test.ts renders random names and options and compiles what they give.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { parse as parseToml } from 'smol-toml';

const require = createRequire(import.meta.url);
const { main } = require('../dist/index.cjs');

const EXTRAS = ['crawlers', 'schedulers', 'clients', 'workers'];
const NAMES = [
  // The shortest names core/names.ts accepts, and the longest (project 64, package 24, domain 25 characters).
  { directory: 'a', domains: 'bc' },
  { directory: 'p'.repeat(64), name: 'q'.repeat(24), domains: ['d'.repeat(24) + 's', 'e'.repeat(24) + 's', 'fg'].join(',') },
];
const combinations = [];
for (const db of ['sqlite', 'postgres']) {
  for (const layout of ['layer-first', 'domain-first']) {
    for (let mask = 0; mask < 2 ** EXTRAS.length; mask += 1) {
      const extras = EXTRAS.filter((_, bit) => mask & (1 << bit)).join(',');
      for (const names of NAMES) combinations.push({ db, layout, extras, ...names });
    }
  }
}

await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(readFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm'))));

/** Problems found, each with the first combination that shows it; a text seen before is not parsed again. */
const problems = new Map();
const checked = new Set();
const cwd = mkdtempSync(join(tmpdir(), 'clb-renderings-'));
try {
  for (const { db, layout, extras, directory, name, domains } of combinations) {
    const argv = [directory, '--yes', '--no-git', '--no-install', '--dry-run', '--json', '--db', db, '--layout', layout, '--domains', domains];
    if (extras) argv.push('--extras', extras);
    if (name) argv.push('--name', name);
    let json = '';
    const log = { info() {}, success() {}, warn() {}, raw: (text) => (json += text), step: () => ({ done() {}, fail() {} }) };
    const code = await main(argv, { cwd, interactive: false, log });
    if (code !== 0) throw new Error(`create ${argv.join(' ')} exited ${code}`);
    for (const change of JSON.parse(json).changes) {
      if (change.content === undefined || checked.has(change.content)) continue;
      checked.add(change.content);
      let broken = false;
      if (change.path.endsWith('.py')) {
        const tree = parser.parse(change.content);
        broken = !tree || tree.rootNode.hasError;
        tree?.delete();
      } else if (change.path.endsWith('.toml')) {
        try {
          parseToml(change.content);
        } catch {
          broken = true;
        }
      }
      if (broken && !problems.has(change.path)) problems.set(change.path, argv.join(' '));
    }
  }
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
if (problems.size > 0) {
  for (const [path, argv] of problems) console.error(`create ${argv}: ${path} does not parse`);
  process.exit(1);
}
console.error(`create's renderings parse: ${combinations.length} option combinations, ${checked.size} distinct files.`);
