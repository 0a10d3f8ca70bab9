import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HANDLEBARS_OPTIONS, readTemplateFiles, stripHbs, type TemplateTree } from './template-files.js';

/**
 * The package's own files as a source checkout has them (development, the in-process tests):
 * templates rendered by Handlebars from templates/, tree-sitter from node_modules. The build puts
 * package-files.built.ts in this module's place, so the bundle holds none of this.
 */

const require = createRequire(import.meta.url);
const checkout = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let trees: Map<string, TemplateTree> | undefined;

/** Every template tree under `dir` (a checkout's templates/), rendered by Handlebars. */
export function compileTemplateTrees(dir: string): Map<string, TemplateTree> {
  const handlebars = (require('handlebars') as typeof import('handlebars')).create();
  const compiled = new Map<string, TemplateTree>();
  for (const file of readTemplateFiles(dir)) {
    const entry = file.path.endsWith('.hbs')
      ? { path: stripHbs(file.path), render: handlebars.compile(file.source, HANDLEBARS_OPTIONS), verbatim: false }
      : { path: file.path, render: () => file.source, verbatim: true };
    compiled.set(file.tree, [...(compiled.get(file.tree) ?? []), entry]);
  }
  return compiled;
}

export function templateTree(name: string): TemplateTree | undefined {
  trees ??= compileTemplateTrees(join(checkout, 'templates'));
  return trees.get(name);
}

/** The release notes, one entry per version (upgrade prints those it crosses). */
export const changelogFile = () => join(checkout, 'CHANGELOG.md');

/** tree-sitter's JavaScript glue (CommonJS), its WebAssembly runtime and the Python grammar. */
export const treeSitterGlue = () => require.resolve('web-tree-sitter');
export const treeSitterRuntime = () => join(dirname(treeSitterGlue()), 'web-tree-sitter.wasm');
export const pythonGrammar = () => require.resolve('tree-sitter-python/tree-sitter-python.wasm');
