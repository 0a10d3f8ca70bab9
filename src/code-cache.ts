import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/**
 * Loads the largest files a run executes (the bundle and tree-sitter) from V8 code caches,
 * so V8 deserializes bytecode instead of parsing and compiling them again each run (create
 * ~8-10 ms faster, add-domain ~17-24 ms). Node 22 offers module.enableCompileCache; Node 20 does not.
 *
 * The build makes the caches by running the CLI over its own commands with CLB_TRAIN_CODE_CACHE=1;
 * each run loads the caches the runs before it wrote, so a file's cache ends up holding every function
 * those runs compiled. V8 checks a cache against its own version, its flags and the source's length,
 * and compiles as usual when one does not match (another Node version, for one).
 *
 * The build keeps this module outside the bundle, so the bin and the bundle share one copy.
 */

const training = process.env.CLB_TRAIN_CODE_CACHE === '1';
const modules = new Map<string, unknown>();
// A cache is made under V8's default flags; once they change, V8 would reject every cache.
let flagsChanged = false;

const cacheOf = (file: string) => `${file}.v8-cache`;

/** The cache, unless the file was changed after the build made it (an edit that kept its length). */
function readCache(file: string): Buffer | undefined {
  const cache = cacheOf(file);
  if (flagsChanged || !existsSync(cache) || statSync(cache).mtimeMs < statSync(file).mtimeMs) return undefined;
  return readFileSync(cache);
}

/** `require(file)` for a CommonJS file, through its code cache when the build made one. */
export function requireCached(file: string): unknown {
  if (modules.has(file)) return modules.get(file);
  const cachedData = readCache(file);
  if (!training && !cachedData) return createRequire(file)(file);
  const source = readFileSync(file, 'utf8');
  // import() needs a loader callback that vm.Script only takes behind --experimental-vm-modules.
  if (training && /[^\w$.]import\(/.test(source)) throw new Error(`${file} uses import(), which a code-cached file cannot`);
  // The wrapper Node's CommonJS loader puts around a file, on its own line so positions stay true.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`;
  const script = new Script(wrapped, { filename: file, lineOffset: -1, cachedData });
  // Each training run extends the cache the run before wrote, so each cache is also checked here.
  if (training && script.cachedDataRejected) throw new Error(`V8 rejected the code cache the build made for ${file}`);
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    createRequire(file),
    module,
    file,
    dirname(file),
  );
  modules.set(file, module.exports);
  if (training) process.once('exit', () => writeFileSync(cacheOf(file), script.createCachedData()));
  return module.exports;
}

/**
 * Changes V8's flags for the rest of the run; files loaded afterwards skip their caches. Training
 * keeps the defaults, as caches written under other flags would be rejected.
 */
export function setV8Flags(flags: string): void {
  if (training) return;
  flagsChanged = true;
  // Required here, not imported: most runs never change a flag.
  (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString(flags);
}
