import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { templatesDir } from '../package.js';
import { HANDLEBARS_OPTIONS, readTemplateFiles } from './template-files.js';
import { type CompiledTemplate, templateHelpers } from './template-runtime.js';

/**
 * npm drops some dotfiles from packages and editors hide the rest, so they ship under a visible name.
 * Only these exact names are renamed.
 */
const DOTFILES: Record<string, string> = {
  _gitignore: '.gitignore',
  '_env.example': '.env.example',
  _dockerignore: '.dockerignore',
  _github: '.github',
};

/** The only tokens a template path may carry; each is replaced by a value the caller computed. */
export interface PathTokens {
  __package__: string;
  __domain__?: string;
  __revision__?: string;
}

export interface RenderedFile {
  path: string;
  content: string;
  /** A template file with nothing to fill in: the same bytes every run (the build parses it once). */
  verbatim: boolean;
}

type Render = (data: object) => string;
type Tree = Array<{ path: string; render: Render; verbatim: boolean }>;

const stripHbs = (path: string) => (path.endsWith('.hbs') ? path.slice(0, -'.hbs'.length) : path);

/**
 * The build writes each tree to dist/templates/<tree>.cjs: each file's path and compiled template or
 * text. One file per tree, so add-domain loads only the domain's.
 */
const compiledDir = fileURLToPath(new URL('./templates/', import.meta.url));
type CompiledTree = Array<[path: string, template: CompiledTemplate | string]>;

function loadCompiled(name: string): Tree {
  const files = createRequire(import.meta.url)(join(compiledDir, `${name}.cjs`)) as CompiledTree;
  return files.map(([path, template]) =>
    typeof template === 'string'
      ? { path, render: () => template, verbatim: true }
      : { path: stripHbs(path), render: (data) => template(data, templateHelpers), verbatim: false },
  );
}

/** From sources (development, tests) Handlebars renders templates/ itself. */
function compileFromSources(): Map<string, Tree> {
  // Required, not imported: the bundle holds no import() (see code-cache.ts), and Handlebars is CommonJS.
  const handlebars = (createRequire(import.meta.url)('handlebars') as typeof import('handlebars')).create();
  const trees = new Map<string, Tree>();
  for (const file of readTemplateFiles(templatesDir())) {
    const entry = file.path.endsWith('.hbs')
      ? { path: stripHbs(file.path), render: handlebars.compile(file.source, HANDLEBARS_OPTIONS), verbatim: false }
      : { path: file.path, render: () => file.source, verbatim: true };
    trees.set(file.tree, [...(trees.get(file.tree) ?? []), entry]);
  }
  return trees;
}

const trees = new Map<string, Tree>();
let sourceTrees: Map<string, Tree> | undefined;

function tree(name: string): Tree | undefined {
  if (!trees.has(name)) {
    if (existsSync(compiledDir)) {
      if (existsSync(join(compiledDir, `${name}.cjs`))) trees.set(name, loadCompiled(name));
    } else {
      const fromSources = (sourceTrees ??= compileFromSources()).get(name);
      if (fromSources) trees.set(name, fromSources);
    }
  }
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
      if (/__(package|domain|revision)__/.test(out)) {
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
    verbatim: template.verbatim,
  }));
}
