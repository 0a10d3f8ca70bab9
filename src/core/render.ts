import { createRequire } from 'node:module';
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
}

export interface RenderedFile {
  path: string;
  content: string;
}

type Render = (data: object) => string;
type Trees = Map<string, Array<{ path: string; render: Render }>>;

/** What the build writes to dist/templates.cjs: per tree, each file's path and compiled template or text. */
type CompiledTrees = Record<string, Array<[path: string, template: CompiledTemplate | string]>>;

const stripHbs = (path: string) => (path.endsWith('.hbs') ? path.slice(0, -'.hbs'.length) : path);

function loadCompiled(): Trees | undefined {
  let bundled: CompiledTrees;
  try {
    // Only the build writes this file (next to the bundle); from sources Handlebars renders.
    bundled = createRequire(import.meta.url)('./templates.cjs');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  const trees: Trees = new Map();
  for (const [tree, files] of Object.entries(bundled)) {
    trees.set(
      tree,
      files.map(([path, template]) =>
        typeof template === 'string'
          ? { path, render: () => template }
          : { path: stripHbs(path), render: (data) => template(data, templateHelpers) },
      ),
    );
  }
  return trees;
}

async function compileFromSources(): Promise<Trees> {
  const { default: Handlebars } = await import('handlebars');
  const handlebars = Handlebars.create();
  const trees: Trees = new Map();
  for (const file of readTemplateFiles(templatesDir())) {
    const entry = file.path.endsWith('.hbs')
      ? { path: stripHbs(file.path), render: handlebars.compile(file.source, HANDLEBARS_OPTIONS) }
      : { path: file.path, render: () => file.source };
    trees.set(file.tree, [...(trees.get(file.tree) ?? []), entry]);
  }
  return trees;
}

let trees: Promise<Trees> | undefined;

function targetPath(path: string, tokens: PathTokens): string {
  return path
    .split('/')
    .map((segment) => {
      let out = DOTFILES[segment] ?? segment;
      for (const [token, value] of Object.entries(tokens)) {
        if (value === undefined) continue;
        out = out.replaceAll(token, value);
      }
      if (out.includes('__package__') || out.includes('__domain__')) {
        throw new Error(`template path ${path} uses a token that was not given`);
      }
      return out;
    })
    .join('/');
}

/** Renders every file of `templates/<name>` with `data`; paths come back relative to the project root. */
export async function renderTree(name: string, data: object, tokens: PathTokens): Promise<RenderedFile[]> {
  trees ??= Promise.resolve(loadCompiled() ?? compileFromSources());
  const templates = (await trees).get(name);
  if (!templates) throw new Error(`no template tree "${name}"`);
  return templates.map((template) => ({ path: targetPath(template.path, tokens), content: template.render(data) }));
}
