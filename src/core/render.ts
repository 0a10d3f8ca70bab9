import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import Handlebars from 'handlebars';
import { TEMPLATES_DIR } from '../package.js';

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

interface Template {
  path: string;
  render: (data: object) => string;
}

const cache = new Map<string, Promise<Template[]>>();
const handlebars = Handlebars.create();

async function loadTree(name: string): Promise<Template[]> {
  const root = join(TEMPLATES_DIR, name);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile());
  return Promise.all(
    files.map(async (entry) => {
      const file = join(entry.parentPath, entry.name);
      const source = await readFile(file, 'utf8');
      const path = relative(root, file).split(sep).join('/');
      if (!path.endsWith('.hbs')) return { path, render: () => source };
      // noEscape: Python is not HTML. strict: a misspelt variable fails the render instead of printing nothing.
      const compiled = handlebars.compile(source, { noEscape: true, strict: true });
      return { path: path.slice(0, -'.hbs'.length), render: (data: object) => compiled(data) };
    }),
  );
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
      if (out.includes('__package__') || out.includes('__domain__')) {
        throw new Error(`template path ${path} uses a token that was not given`);
      }
      return out;
    })
    .join('/');
}

/** Renders every file of `templates/<name>` with `data`; paths come back relative to the project root. */
export async function renderTree(name: string, data: object, tokens: PathTokens): Promise<RenderedFile[]> {
  let templates = cache.get(name);
  if (!templates) {
    templates = loadTree(name);
    cache.set(name, templates);
  }
  return (await templates).map((template) => ({ path: targetPath(template.path, tokens), content: template.render(data) }));
}
