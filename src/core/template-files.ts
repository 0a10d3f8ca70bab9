import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { byCodePoint } from './order.js';

/**
 * How Handlebars renders the templates in development; the build's compiler (template-codegen.ts)
 * gives the same output without Handlebars.
 */
export const HANDLEBARS_OPTIONS = {
  // Python is not HTML: `"` must stay `"`.
  noEscape: true,
  // A misspelt variable fails the render instead of printing nothing.
  strict: true,
  // Only the built-in block helpers (each, if, unless) and no @data variables: all that the
  // build's compiler supports.
  knownHelpersOnly: true,
  data: false,
} as const;

/** A template tree ready to render: each file's path in the project and how to render it. */
export type TemplateTree = Array<{ path: string; render: (data: object) => string; verbatim: boolean }>;

export const stripHbs = (path: string) => (path.endsWith('.hbs') ? path.slice(0, -'.hbs'.length) : path);

/**
 * One file of a template tree: `templates/<tree>/<path>`, tree being `project`, `domain`,
 * `extras/<name>` (an optional folder) or `layouts/<name>` (the files only that layout has).
 */
export interface TemplateFile {
  tree: string;
  path: string;
  source: string;
}

export function readTemplateFiles(templatesDir: string): TemplateFile[] {
  return readdirSync(templatesDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = join(entry.parentPath, entry.name);
      const [first, second, ...rest] = relative(templatesDir, file).split(sep);
      const [tree, parts] = first === 'extras' || first === 'layouts' ? [`${first}/${second}`, rest] : [first as string, [second as string, ...rest]];
      return { tree, path: parts.join('/'), source: readFileSync(file, 'utf8') };
    })
    .sort((a, b) => byCodePoint(`${a.tree}/${a.path}`, `${b.tree}/${b.path}`));
}
