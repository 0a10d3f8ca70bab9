import { fileURLToPath } from 'node:url';
import { requireCached } from '../code-cache.js';
import { CliError, incompleteInstallation } from '../errors.js';
import type { TemplateTree } from './template-files.js';
import { type CompiledTemplate, templateHelpers } from './template-runtime.js';

/**
 * The package's own files as the built package has them, beside the bundle (the build puts this
 * module in place of package-files.ts): templates compiled to functions, one file per tree
 * (dist/templates/<tree>.cjs, so add-domain loads only the domain's), tree-sitter and the grammar.
 */

const beside = (file: string) => fileURLToPath(new URL(`./${file}`, import.meta.url));

/** What the build writes per tree: each file's path and its compiled template, or its text. */
type CompiledTree = Array<[path: string, template: CompiledTemplate | string]>;

/** A file of the package's, run as CommonJS; a missing one is an incomplete install, said as such. */
function requirePackageFile(file: string): unknown {
  try {
    return requireCached(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && (error as NodeJS.ErrnoException).path === file) throw new CliError(incompleteInstallation(file));
    throw error;
  }
}

export function templateTree(name: string): TemplateTree | undefined {
  // Every tree the code names is built.
  return (requirePackageFile(beside(`templates/${name}.cjs`)) as CompiledTree).map(([path, template]) =>
    typeof template === 'string'
      ? { path, render: () => template, verbatim: true }
      : { path: path.slice(0, -'.hbs'.length), render: (data: object) => template(data, templateHelpers), verbatim: false },
  );
}

/** The package's CHANGELOG.md, beside dist/. */
export const changelogFile = () => beside('../CHANGELOG.md');
export const treeSitterGlue = () => beside('web-tree-sitter.cjs');
export const treeSitterRuntime = () => beside('web-tree-sitter.wasm');
export const pythonGrammar = () => beside('tree-sitter-python.wasm');
