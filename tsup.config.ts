import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { transform } from 'esbuild';
import { defineConfig, type Options } from 'tsup';
import { compileTemplate } from './src/core/template-codegen.js';
import { readTemplateFiles, type TemplateFile } from './src/core/template-files.js';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/** Minified text is half as long for a run to read; these files import only CommonJS. */
async function writeMinified(path: string, source: string): Promise<void> {
  const { code } = await transform(source, {
    minify: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    supported: { 'dynamic-import': false },
  });
  await writeFile(path, code);
}

/**
 * A Python template with nothing to fill in is the same bytes in every run, so the run-time syntax
 * check (core/transaction.ts) skips it; it is parsed here, once, instead.
 */
async function parseVerbatimPython(files: TemplateFile[]): Promise<void> {
  const { Parser, Language } = await import('web-tree-sitter');
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(await readFile(createRequire(import.meta.url).resolve('tree-sitter-python/tree-sitter-python.wasm'))));
  for (const file of files) {
    if (!file.path.endsWith('.py')) continue;
    const tree = parser.parse(file.source);
    if (!tree || tree.rootNode.hasError) throw new Error(`templates/${file.tree}/${file.path} is not valid Python`);
    tree.delete();
  }
}

/**
 * Compiles templates/ into dist/templates/<tree>.cjs as plain functions (core/template-codegen.ts),
 * so a run loads no template engine and compiles nothing. Text files are embedded as they are.
 */
async function compileTemplates(): Promise<void> {
  const trees = new Map<string, string[]>();
  const templates = readTemplateFiles('templates');
  await parseVerbatimPython(templates);
  for (const file of templates) {
    const template = file.path.endsWith('.hbs')
      ? compileTemplate(file.source, `templates/${file.tree}/${file.path}`)
      : JSON.stringify(file.source);
    trees.set(file.tree, [...(trees.get(file.tree) ?? []), `[${JSON.stringify(file.path)}, ${template}]`]);
  }
  for (const [tree, files] of trees) {
    await mkdir(dirname(`dist/templates/${tree}`), { recursive: true });
    await writeMinified(`dist/templates/${tree}.cjs`, `module.exports = [\n${files.join(',\n')}\n];\n`);
  }
}

/**
 * Commander requires child_process at load time for executable subcommands, which this CLI does not
 * have; loading it (with net, dgram and streams) costs ~5 ms per run. Required on first use instead.
 */
const lazyChildProcessInCommander: Plugin = {
  name: 'lazy-child-process-in-commander',
  setup(build) {
    build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(eager)) throw new Error(`${args.path} changed: update the lazy-child-process-in-commander plugin`);
      const lazy = "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

/**
 * Entry points bundled on their own, which the main bundle requires as the files they are:
 * dist/on-demand.cjs only when a run prompts or spawns a process (see src/on-demand.ts), and
 * dist/code-cache.cjs, which the bin loads the bundle with, so that both share its one instance
 * (see src/code-cache.ts).
 */
const siblingEntries: Plugin = {
  name: 'sibling-entries',
  setup(build) {
    build.onResolve({ filter: /\/(on-demand|code-cache)\.js$/ }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: `./${/([\w-]+)\.js$/.exec(args.path)?.[1]}.cjs`, external: true },
    );
  },
};

/** The bundle finds the package's files beside itself, never in templates/ or node_modules. */
const builtPackageFiles: Plugin = {
  name: 'built-package-files',
  setup(build) {
    build.onResolve({ filter: /\/package-files\.js$/ }, () => ({ path: resolve('src/core/package-files.built.ts') }));
  },
};

/**
 * The packages whose code the bundles hold, by esbuild's metafile (read, then removed: it is not
 * shipped), with those shipped as files of their own (tree-sitter's glue, runtime and grammar).
 * A package nested in another's node_modules is its own copy, with its own licence.
 */
async function shippedPackages(): Promise<string[]> {
  const dirs = new Set(['node_modules/web-tree-sitter', 'node_modules/tree-sitter-python']);
  const metafile = 'dist/metafile-cjs.json';
  const { inputs } = JSON.parse(await readFile(metafile, 'utf8')) as { inputs: Record<string, unknown> };
  for (const input of Object.keys(inputs)) {
    const dir = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
    if (dir) dirs.add(dir);
  }
  await rm(metafile);
  return [...dirs].sort();
}

/**
 * The MIT licence's text (https://opensource.org/license/mit), for a package that declares it but
 * ships no licence file (change-case): the licence asks that its notice go with every copy.
 */
const mitLicence = (holder: string) => `MIT License

Copyright (c) ${holder}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

interface PackageMeta {
  name: string;
  version: string;
  license: string;
  author?: string | { name: string };
}

/** The packages whose code dist/ carries, with their licence texts, as their licences ask. */
async function writeThirdPartyNotices(): Promise<void> {
  const notices = [];
  for (const dir of await shippedPackages()) {
    const meta = JSON.parse(await readFile(`${dir}/package.json`, 'utf8')) as PackageMeta;
    const licence = (await readdir(dir)).find((file) => /^licen[cs]e(\.md|\.txt)?$/i.test(file));
    let text: string;
    if (licence) text = await readFile(`${dir}/${licence}`, 'utf8');
    else if (meta.license === 'MIT' && meta.author) text = mitLicence(typeof meta.author === 'string' ? meta.author : meta.author.name);
    else throw new Error(`${dir}: no licence file, and no text for its licence "${meta.license}" here; add one before shipping it`);
    notices.push(`${meta.name} ${meta.version} (${meta.license})\n\n${text}`);
  }
  await writeFile('dist/THIRD_PARTY_LICENSES.txt', notices.join(`\n${'-'.repeat(72)}\n\n`));
}

const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };

export default defineConfig({
  entry: ['src/index.ts', 'src/on-demand.ts', 'src/code-cache.ts'],
  define: { __CLB_VERSION__: JSON.stringify(version) },
  // Everything bundled: the package has no dependencies, so npx installs one package and a run
  // resolves nothing in node_modules.
  noExternal: [/.*/],
  esbuildPlugins: [lazyChildProcessInCommander, siblingEntries, builtPackageFiles],
  esbuildOptions(options) {
    // import() of dist/on-demand.cjs becomes a require: the bundle is CommonJS through and through.
    options.supported = { ...options.supported, 'dynamic-import': false };
  },
  // One CommonJS file: Node 20 loads it without the ES module loader's per-module resolve, link and
  // built-in facades (~12 ms per run). Commands are still evaluated only when run.
  format: 'cjs',
  // `import.meta.url` (locating templates and the grammar) becomes the bundle's own file URL.
  shims: true,
  target: 'node20',
  platform: 'node',
  // Minified text, but names kept, so an internal error's stack still says where it came from.
  minifyWhitespace: true,
  minifySyntax: true,
  clean: true,
  // Which packages the bundles hold, for their licences (read, then removed, in onSuccess).
  metafile: true,
  async onSuccess() {
    await compileTemplates();
    // The bin answers --help and --version from these, captured from the CLI just built.
    for (const [flag, file] of [['--help', 'help.txt'], ['--version', 'version.txt']]) {
      const script = `require('./dist/index.cjs').main(['${flag}']).then((code) => { process.exitCode = code; });`;
      await writeFile(`dist/${file}`, execFileSync(process.execPath, ['-e', script]));
    }
    // tree-sitter and the Python grammar ship inside our package (see core/python-edit.ts).
    const { resolve } = createRequire(import.meta.url);
    await writeMinified('dist/web-tree-sitter.cjs', await readFile(resolve('web-tree-sitter'), 'utf8'));
    await copyFile(resolve('web-tree-sitter/web-tree-sitter.wasm'), 'dist/web-tree-sitter.wasm');
    await copyFile(resolve('tree-sitter-python/tree-sitter-python.wasm'), 'dist/tree-sitter-python.wasm');
    await writeThirdPartyNotices();
    // What create and a domain's commands render is parsed here, for every option combination and
    // field shape, instead of on each run.
    execFileSync(process.execPath, ['scripts/check-renderings.mjs'], { stdio: 'inherit' });
  },
});
