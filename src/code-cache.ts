import { hash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { VERSION } from './package.js';

/**
 * V8's compiled code of the bundle and the templates, kept on the user's machine so that the next
 * run deserializes it instead of parsing and compiling again. Node's own compile cache
 * (`module.enableCompileCache`, 22.1 and later) saves a file's code right after compiling it,
 * before it runs, so it holds only the little V8 compiles eagerly; this one is saved after a
 * command succeeded and holds every function the command ran, on Node 20 as well. Built as
 * dist/code-cache.cjs, a file of its own: the bin loads the bundle through it, and the bundle
 * (its templates, the save after a run) shares the same instance.
 *
 * A cache is used only when V8 accepts it (same V8 version and flags, same source length), the
 * file it was made from is the same file, unchanged (V8 does not compare the text, and would run
 * the old code of a file changed to the same length), its bytes are those saved (V8 verifies no
 * checksum, and crashes on damaged bytecode: a tail a crash left zeroed, a copied cache folder),
 * and it is in a folder only this user can write. Everything here is an optimisation: a cache
 * that cannot be read or written is not mentioned.
 */

interface Loaded {
  script: Script;
  cacheFile: string;
  source: string;
  /** The commands whose code the cache V8 accepted already holds; undefined: none accepted. */
  covered: string[] | undefined;
}

const loaded: Loaded[] = [];
let flagsChanged = false;

/**
 * The per-user folder, as Node's own settings name it: NODE_DISABLE_COMPILE_CACHE turns it off,
 * NODE_COMPILE_CACHE moves it; otherwise the platform's cache folder. One subfolder per version
 * of this package and of Node, so that two installs or two Nodes do not replace each other's.
 */
function cacheFolder(): string | undefined {
  const { NODE_DISABLE_COMPILE_CACHE, NODE_COMPILE_CACHE, XDG_CACHE_HOME, LOCALAPPDATA } = process.env;
  if (NODE_DISABLE_COMPILE_CACHE) return undefined;
  let root: string | undefined;
  try {
    if (NODE_COMPILE_CACHE) root = NODE_COMPILE_CACHE;
    else if (process.platform === 'win32') root = LOCALAPPDATA;
    else if (process.platform === 'darwin') root = join(homedir(), 'Library', 'Caches');
    else root = XDG_CACHE_HOME && isAbsolute(XDG_CACHE_HOME) ? XDG_CACHE_HOME : join(homedir(), '.cache');
  } catch {
    // No home folder (a container's user without a passwd entry): no cache.
    return undefined;
  }
  return root ? join(root, 'create-layered-backend', `${VERSION}-node${process.versions.node}-${process.arch}`) : undefined;
}

const folder = cacheFolder();
let folderTrusted: boolean | undefined;

/**
 * Makes `dir` and the folders it is in that are missing, one level at a time (only this user may
 * use them): Node's recursive mkdir never returns on some paths (under /proc).
 */
function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let level = dir; !existsSync(level) && dirname(level) !== level; level = dirname(level)) missing.unshift(level);
  for (const level of missing) mkdirSync(level, { mode: 0o700 });
}

/**
 * Node's own compile cache (22.1 and later: tree-sitter's glue, the prompts and process packages,
 * which Node's loader compiles) in a folder of this one, not in the temporary folder every user
 * shares, where another user could plant its cache.
 */
export function enableNodeCompileCache(): void {
  // Not in @types/node 20, whose Node lacks it.
  const { enableCompileCache } = createRequire(import.meta.url)('node:module') as { enableCompileCache?: (directory: string) => unknown };
  if (folder === undefined || enableCompileCache === undefined) return;
  try {
    const dir = join(folder, 'node');
    makeFolder(dir);
    if (ownedByUser(folder) && ownedByUser(dir)) enableCompileCache(dir);
  } catch {
    // Not writable, or not this user's: Node compiles as it would without a cache.
  }
}

/** FNV-1a: a short name for the folder a file is in, so that two installs keep a cache each. */
function folderKey(path: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i += 1) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(36);
}

/**
 * Whether code read from `dir` can be trusted as this user's own: V8 runs a cache's bytecode as it
 * is, so a folder another user could write to must not supply it.
 */
function ownedByUser(dir: string): boolean {
  if (process.getuid === undefined) return true;
  const stat = statSync(dir);
  return stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
}

/**
 * What the cache was made from: V8 compares only the length of the text. A file written again has
 * another change time, which no one can set back (its modification time can be).
 */
function fileIdentity(file: string): string {
  const stat = statSync(file);
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

/** The header line of a cache file, then V8's data; undefined when there is none to use. */
function readCache(cacheFile: string, source: string): { data: Buffer; covered: string[] } | undefined {
  let bytes: Buffer;
  try {
    // A FIFO or a device there would hold the read (or never end it): regular files only.
    if (!statSync(cacheFile).isFile()) return undefined;
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  try {
    const newline = bytes.indexOf(10);
    const header = JSON.parse(bytes.toString('utf8', 0, newline)) as { source?: unknown; commands?: unknown; sha256?: unknown };
    if (header.source !== source || !Array.isArray(header.commands)) return undefined;
    folderTrusted ??= ownedByUser(dirname(cacheFile));
    if (!folderTrusted) return undefined;
    const data = bytes.subarray(newline + 1);
    // node:crypto is loaded here rather than by the bundle (its manifest hashes): no run loads it twice.
    if (header.sha256 !== hash('sha256', data)) return undefined;
    return { data, covered: header.commands.map(String) };
  } catch {
    return undefined;
  }
}

/** Runs a CommonJS file as Node's loader would, compiled from its cache where there is one. */
export function requireCached(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  const source = folder === undefined ? '' : fileIdentity(file);
  const cacheFile = folder === undefined ? '' : join(folder, `${basename(file)}-${folderKey(dirname(file))}.v8`);
  const cache = folder === undefined ? undefined : readCache(cacheFile, source);
  // The wrapper on a line of its own, so that stack traces keep the file's line numbers.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${text}\n})`, {
    filename: file,
    lineOffset: -1,
    cachedData: cache?.data,
  });
  if (folder !== undefined) loaded.push({ script, cacheFile, source, covered: cache && !script.cachedDataRejected ? cache.covered : undefined });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/**
 * Sets V8 flags for the rest of the run. V8 refuses a cache made under other flags than a run
 * starts with, so none is saved after this.
 */
export function setV8Flags(flags: string): void {
  flagsChanged = true;
  // Required here: loading node:v8 (its heap and profiler bindings) costs ~1.5 ms, and most runs never set a flag.
  (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString(flags);
}

/** A cache left this long unwritten belongs to an install or a Node no longer run. */
const STALE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Each version of this package, each Node and each install folder keeps caches of its own, ~0.6 MB
 * a set: those not written for a month (an earlier version, a Node since upgraded, an npx folder
 * since cleared) are removed when a cache is saved, which is seldom.
 */
function pruneStaleCaches(current: string): void {
  const stale = (path: string) => Date.now() - statSync(path).mtimeMs > STALE_MS;
  const root = dirname(current);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(root, name);
    try {
      if (path === current) {
        for (const file of readdirSync(path)) if (file.endsWith('.v8') && stale(join(path, file))) rmSync(join(path, file), { force: true });
      } else if (statSync(path).isDirectory() && readdirSync(path).every((file) => stale(join(path, file)))) {
        rmSync(path, { recursive: true, force: true });
      }
    } catch {
      // Gone meanwhile (another run pruned it), or not ours to remove: left.
    }
  }
}

/**
 * After `command` succeeded: saves the code of each file loaded through the cache whose cache
 * was missing, refused, stale, or made by other commands only (a cache grows to hold each
 * command's code once). Written beside and renamed into place, so concurrent runs each leave a
 * whole cache.
 */
export function saveCodeCaches(command: string): void {
  if (folder === undefined || flagsChanged) return;
  try {
    let pruned = false;
    for (const entry of loaded) {
      if (entry.covered?.includes(command)) continue;
      makeFolder(folder);
      if (!ownedByUser(folder)) return;
      if (!pruned) pruneStaleCaches(folder);
      pruned = true;
      const data = entry.script.createCachedData();
      const header = JSON.stringify({ source: entry.source, commands: [...(entry.covered ?? []), command], sha256: hash('sha256', data) });
      const temporary = `${entry.cacheFile}.${process.pid}`;
      try {
        // On the disk before it is renamed into place: a crash leaves the old cache or the new one.
        const fd = openSync(temporary, 'w', 0o600);
        try {
          writeSync(fd, Buffer.concat([Buffer.from(`${header}\n`), data]));
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(temporary, entry.cacheFile);
      } catch (error) {
        rmSync(temporary, { force: true });
        throw error;
      }
      entry.covered = [...(entry.covered ?? []), command];
    }
  } catch {
    // Not writable, full, or gone: the next run compiles as this one did.
  }
}
