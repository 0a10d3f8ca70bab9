import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { byCodePoint } from './order.js';

/** The Handlebars options every template is compiled with, at build time and in development. */
export const HANDLEBARS_OPTIONS = {
  // Python is not HTML: `"` must stay `"`.
  noEscape: true,
  // A misspelt variable fails the render instead of printing nothing.
  strict: true,
  // Only the built-in block helpers (each, if, unless) and no @data variables: the compiled
  // templates call them directly instead of looking every name up at render time.
  knownHelpersOnly: true,
  data: false,
} as const;

/** One file of a template tree: `templates/<tree>/<path>`, tree being `project`, `domain` or `extras/<name>`. */
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
      const [tree, parts] = first === 'extras' ? [`extras/${second}`, rest] : [first as string, [second as string, ...rest]];
      return { tree, path: parts.join('/'), source: readFileSync(file, 'utf8') };
    })
    .sort((a, b) => byCodePoint(`${a.tree}/${a.path}`, `${b.tree}/${b.path}`));
}
