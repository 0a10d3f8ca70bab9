import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { transform } from 'esbuild';
import { defineConfig, type Options } from 'tsup';
import { compileTemplate } from './src/core/template-codegen.js';
import { readTemplateFiles, type TemplateFile } from './src/core/template-files.js';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Minified text is half as long for a run to read. import() becomes require(): a file loaded from a
 * code cache (src/code-cache.ts) cannot run import(), and these files import only CommonJS.
 */
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
 * Modules that stay files of their own beside the bundle: code-cache.ts, so the bin and the bundle share
 * it, and esm-packages.ts, whose import() needs Node's own loader (see each file).
 */
const OWN_FILES = ['code-cache', 'esm-packages'];
const ownFiles: Plugin = {
  name: 'own-files',
  setup(build) {
    build.onResolve({ filter: new RegExp(`/(${OWN_FILES.join('|')})\\.js$`) }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: `./${basename(args.path, '.js')}.cjs`, external: true },
    );
  },
};

/** Every field type, so the cache holds what each one compiles. */
const TRAINING_FIELDS = 'name:str, note:text?, count:int=1, price:decimal, ratio:float, ok:bool=true, day:date, at:datetime, ref:uuid';

/**
 * Makes the V8 code caches (src/code-cache.ts) by running the CLI just built over its commands:
 * each run loads the caches the previous ones wrote, fails if V8 rejects one, and adds what it compiled.
 */
function trainCodeCaches(): void {
  const work = mkdtempSync(join(tmpdir(), 'clb-train-'));
  const project = join(work, 'trained');
  const run = (cwd: string, ...args: string[]) => {
    try {
      execFileSync(process.execPath, [resolve('bin/create-layered-backend.cjs'), ...args], {
        cwd,
        env: { ...process.env, CI: 'true', CLB_TRAIN_CODE_CACHE: '1' },
        stdio: 'pipe',
      });
    } catch (error) {
      // A rejected cache or a file using import(): the run's own message says which.
      throw new Error(`training run "${args.join(' ')}" failed:\n${(error as { stderr?: Buffer }).stderr}`);
    }
  };
  try {
    run(work, 'everything', '--yes', '--no-install', '--no-git', '--db', 'postgres', '--extras', 'crawlers,schedulers,clients,workers');
    run(work, 'trained', '--yes', '--no-install', '--no-git');
    run(project, 'add-domain', 'products', '--fields', TRAINING_FIELDS);
    run(project, 'remove-domain', 'products');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The packages whose code dist/ carries, with their licence texts, as their licences ask. */
const SHIPPED_PACKAGES = ['commander', 'picocolors', 'pluralize', 'change-case', 'valibot', 'web-tree-sitter', 'tree-sitter-python'];

async function writeThirdPartyNotices(): Promise<void> {
  const notices = [];
  for (const name of SHIPPED_PACKAGES) {
    const dir = `node_modules/${name}`;
    const meta = JSON.parse(await readFile(`${dir}/package.json`, 'utf8')) as { version: string; license: string };
    const licence = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'].find((file) => existsSync(`${dir}/${file}`));
    const text = licence ? await readFile(`${dir}/${licence}`, 'utf8') : '(no licence file in the package)\n';
    notices.push(`${name} ${meta.version} (${meta.license})\n\n${text}`);
  }
  await writeFile('dist/THIRD_PARTY_LICENSES.txt', notices.join(`\n${'-'.repeat(72)}\n\n`));
}

const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };

export default defineConfig({
  entry: ['src/index.ts', ...OWN_FILES.map((file) => `src/${file}.ts`)],
  define: { __CLB_VERSION__: JSON.stringify(version) },
  // Bundled, so a run resolves nothing in node_modules for them (they are dev dependencies).
  // Handlebars is not: only development, without dist/templates/, renders with it.
  noExternal: ['commander', 'picocolors', 'pluralize', 'change-case', 'valibot'],
  external: ['handlebars'],
  esbuildPlugins: [lazyChildProcessInCommander, ownFiles],
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
    trainCodeCaches();
  },
});
