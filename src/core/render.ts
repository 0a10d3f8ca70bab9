import { templateTree } from './package-files.js';
import type { TemplateTree } from './template-files.js';

/**
 * npm drops some dotfiles from packages and editors hide the rest, so they ship under a visible name.
 * Only these exact names are renamed.
 */
const DOTFILES: Record<string, string> = {
  _gitignore: '.gitignore',
  '_env.example': '.env.example',
  _dockerignore: '.dockerignore',
  _github: '.github',
  '_pre-commit-config.yaml': '.pre-commit-config.yaml',
};

/** The only tokens a template path may carry; each is replaced by a value the caller computed. */
export interface PathTokens {
  __package__: string;
  __domain__?: string;
  __revision__?: string;
  __flow__?: string;
}

export interface RenderedFile {
  path: string;
  content: string;
  /**
   * Every form this file takes was parsed when the package was built, so a run need not parse it:
   * a template with nothing to fill in, or a rendering of a tree scripts/check-renderings.mjs
   * renders at every option, name length and field shape (BUILD_PARSED_TREES).
   */
  parsedByBuild: boolean;
}

/**
 * The trees whose renderings depend only on the options, on checked names (single identifier
 * tokens in Python, whose lengths decide where a line splits) and on field shapes: each field's
 * type, markers, reference and default (a literal of a fixed form: fields.ts). The build renders
 * each at both ends of the names' and defaults' lengths and parses every distinct file.
 */
const BUILD_PARSED_TREES = new Set(['project', 'layouts', 'extras', 'registry', 'domain', 'migration']);

const trees = new Map<string, TemplateTree | undefined>();

function tree(name: string): TemplateTree | undefined {
  if (!trees.has(name)) trees.set(name, templateTree(name));
  return trees.get(name);
}

function targetPath(path: string, tokens: PathTokens): string {
  return path
    .split('/')
    .map((segment) => {
      let out = DOTFILES[segment] ?? segment;
      for (const [token, value] of Object.entries(tokens)) {
        if (value === undefined) continue;
        out = out.replaceAll(token, value);
      }
      if (/__(package|domain|revision|flow)__/.test(out)) {
        throw new Error(`template path ${path} uses a token that was not given`);
      }
      return out;
    })
    .join('/');
}

/** Renders every file of `templates/<name>` with `data`; paths come back relative to the project root. */
export function renderTree(name: string, data: object, tokens: PathTokens): RenderedFile[] {
  const templates = tree(name);
  if (!templates) throw new Error(`no template tree "${name}"`);
  return templates.map((template) => ({
    path: targetPath(template.path, tokens),
    content: template.render(data),
    parsedByBuild: template.verbatim || BUILD_PARSED_TREES.has(name),
  }));
}
