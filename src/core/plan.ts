import { closeSync, constants as fsConstants, type Dirent, fstatSync, type Stats, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { CliError, withPath } from '../errors.js';
import { STDLIB_MODULES } from './names.js';
import { byCodePoint } from './order.js';
import { decodeSource, encodeSource, inLineEndingsOf, reindent, type SourceText, UTF8 } from './source-text.js';

/** One step of a plan, in the order apply performs them: folders made, files changed, folders pruned. */
export type Change =
  | { kind: 'mkdir'; path: string }
  /** `mode`: a moved file's, kept; else the default a new file gets. */
  | { kind: 'create'; path: string; text: string; content: Buffer; mode?: number }
  | { kind: 'edit'; path: string; text: string; content: Buffer; before: Buffer; mode: number }
  | { kind: 'delete'; path: string; before: Buffer }
  /** A folder the plan empties; bytecode caches (`__pycache__`) inside it go with it. */
  | { kind: 'rmdir'; path: string };

export type FileChange = Extract<Change, { kind: 'create' | 'edit' | 'delete' }>;

interface Entry {
  /** The bytes on disk when the plan first looked (undefined: no file there). */
  before: Buffer | undefined;
  source: SourceText | undefined;
  mode: number | undefined;
  /** For a symlink (inside the root, as confine checks): the file it points to, which an edit changes. */
  target?: string;
  /** A folder stands where the plan looks for a file. */
  folder?: boolean;
  /** What the plan will leave: text, null for deleted, undefined for as it was. */
  after?: string | null;
  /** A file moved away (Plan.move): where to. */
  movedTo?: string;
  /** A new file that is another one moved (Plan.move): written in that one's encoding and mode. */
  movedFrom?: { source: SourceText; mode: number | undefined };
}

/** Files that must never be planned: the engine's own lock and journal. */
const ENGINE_FILES = ['.create-layered-backend.lock', '.create-layered-backend.journal'];

/** A path a plan may touch: inside the project, and not the engine's own lock or journal. */
export const isPlanPath = (path: string) => isConfinedPath(path) && !ENGINE_FILES.includes(path.split('/')[0] as string);

const CACHE_DIR = '__pycache__';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/**
 * A project-relative POSIX path that stays inside the root by its spelling: no absolute path, no
 * backslash or NUL, no empty, `.` or `..` segment. (One regular expression: a manifest holds thousands.)
 */
export function isConfinedPath(path: string): boolean {
  return !/^\/|[\\\0]|(^|\/)\.{0,2}(\/|$)/.test(path);
}

/** A new entry for a path with no file (each entry is changed in place as the plan goes on). */
const absent = (): Entry => ({ before: undefined, mode: undefined, folder: false, source: undefined });

/** Undefined on Windows, where a symlink is found by lstat first. */
const NO_FOLLOW = fsConstants.O_NOFOLLOW as number | undefined;
/** A FIFO opened without it would wait for a writer, and no signal handler could run meanwhile. */
const READ_NOW = fsConstants.O_RDONLY | ((fsConstants.O_NONBLOCK as number | undefined) ?? 0);

/**
 * A descriptor to read `file` by, 'link' when it is a symlink (not followed), 'socket' for one
 * (which cannot be opened), undefined when nothing is there.
 */
function openUnlessLink(file: string): number | 'link' | 'socket' | undefined {
  try {
    if (NO_FOLLOW === undefined && lstatSync(file).isSymbolicLink()) return 'link';
    return openSync(file, READ_NOW | (NO_FOLLOW ?? 0));
  } catch (error) {
    // O_NOFOLLOW refuses a symlink in the last place with ELOOP.
    if (errorCode(error) === 'ELOOP') return 'link';
    if (errorCode(error) === 'ENXIO') return 'socket';
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Where a symlink leads; undefined when nothing is there (a dangling link reads as no file). */
function realPathIfThere(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

const notRegular = (path: string) => new CliError(`${path} is not a regular file (a FIFO, socket or device); move it away, then run again`);

/**
 * The file behind `fd`, whose fstat gave `size`: read as readFileSync reads it (up to that size),
 * without the second fstat readFileSync makes first. A grown project's plan reads hundreds of files.
 */
function readOpened(fd: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  return bytes.subarray(0, readInto(fd, bytes, size));
}

/** Reads `fd` into `into` until it holds `length` bytes or the file ends; returns how many it holds. */
function readInto(fd: number, into: Buffer, length: number): number {
  let filled = 0;
  while (filled < length) {
    const read = readSync(fd, into, filled, length - filled, null);
    if (read === 0) break;
    filled += read;
  }
  return filled;
}

/**
 * A file's entry, read by descriptor (or by path, through a symlink): a folder there is marked, not
 * read. `file` names it in an error, which a descriptor's would not.
 */
function readEntry(path: string, file: string, from: number | string): Entry {
  let stats: Stats;
  let before: Buffer;
  try {
    stats = typeof from === 'number' ? fstatSync(from) : statSync(from);
    if (stats.isDirectory()) return { ...absent(), folder: true };
    if (!stats.isFile()) throw notRegular(path);
    before = typeof from === 'number' ? readOpened(from, stats.size) : readFileSync(from);
  } catch (error) {
    throw withPath(error, file);
  }
  return { before, mode: stats.mode & 0o7777, folder: false, source: decodeSource(path, before) };
}

/** The entries of the folder `dir`; none when it is missing (or a file). */
function entriesIn(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return [];
    throw error;
  }
}

/** A folder's entries as a plan compares them: names, a folder's with "/" after it; bytecode caches left out. */
const listing = (entries: Dirent[]) =>
  new Set(entries.filter((entry) => entry.name !== CACHE_DIR).map((entry) => (entry.isDirectory() ? `${entry.name}/` : entry.name)));

/** A descriptor to read `file` by, following a symlink; undefined when nothing that opens is there. */
function openIfThere(file: string): number | undefined {
  try {
    return openSync(file, READ_NOW);
  } catch (error) {
    // ENXIO: a socket, which cannot be opened at all.
    if (['ENOENT', 'ENOTDIR', 'ENXIO'].includes(errorCode(error) as string)) return undefined;
    throw error;
  }
}

/**
 * What is at `file` now, following a symlink as the plan's read did; undefined for no file, or for
 * anything but a regular one (a FIFO or a device is not waited on or read).
 */
export function bytesNow(file: string): Buffer | undefined {
  const fd = openIfThere(file);
  if (fd === undefined) return undefined;
  try {
    const stats = fstatSync(fd);
    return stats.isFile() ? readOpened(fd, stats.size) : undefined;
  } catch (error) {
    throw withPath(error, file);
  } finally {
    closeSync(fd);
  }
}

/** Reused by holdsBytes: comparing hundreds of files allocates nothing per file. */
let scratch = Buffer.allocUnsafe(0);

/**
 * Whether the regular file at `file` holds exactly `expected` now (the plan's check before writing):
 * bytesNow's answer compared, without its fstat or a buffer per file. A read one byte longer than
 * `expected` that stops at its length is the whole file; a folder fails its read, and a FIFO or
 * device reads otherwise. An empty `expected` cannot tell a FIFO from a file so: bytesNow decides.
 */
export function holdsBytes(file: string, expected: Buffer): boolean {
  if (expected.length === 0) return bytesNow(file)?.length === 0;
  const fd = openIfThere(file);
  if (fd === undefined) return false;
  try {
    const want = expected.length + 1;
    if (scratch.length < want) scratch = Buffer.allocUnsafe(Math.max(want, 2 * scratch.length));
    const filled = readInto(fd, scratch, want);
    return filled === expected.length && scratch.compare(expected, 0, filled, 0, filled) === 0;
  } catch (error) {
    if (['EISDIR', 'EAGAIN'].includes(errorCode(error) as string)) return false;
    throw withPath(error, file);
  } finally {
    closeSync(fd);
  }
}

/**
 * Every change a command will make, built in memory before anything is written: the virtual tree
 * the command reads and writes. Paths are POSIX and relative to `root`; each must stay inside it,
 * through symlinks too. Reading through the plan sees earlier planned writes, so later steps (router
 * registration, the manifest) build on what earlier steps planned. What each file held when first
 * read is kept, so apply can check nothing changed it meanwhile and the journal can put it back.
 */
export class Plan {
  private readonly entries = new Map<string, Entry>();
  /** Files whose planned content is what the templates rendered (their hash goes in the manifest). */
  private readonly rendered = new Map<string, string>();
  /** Rendered files whose every form the build has parsed already (RenderedFile.parsedByBuild). */
  private readonly buildParsed = new Set<string>();
  /** Files written with conflict markers for the user to resolve. */
  private readonly conflicted = new Set<string>();
  /** The indentation the project's ruff format gives Python files, where not four spaces (indentPythonWith). */
  private pythonIndent: string | undefined;
  /** What each folder the plan listed held then: a file saved into one meanwhile changes what it decides. */
  private readonly listed = new Map<string, Set<string>>();
  /** Null once the root is found missing: a new project's plan looks once, not once per file. */
  private realRoot: string | null | undefined;

  /** The root with a separator after it, normalised as path.join would: see onDisk. */
  private readonly prefix: string;

  constructor(readonly root: string) {
    this.prefix = join(root, sep);
  }

  /**
   * Where a plan path is on disk: path.join's result, put together by hand. A plan path has no
   * `.`, `..` or empty segment to normalise (isPlanPath), and path.join costs ~5 µs a call before V8
   * optimises it: a grown project's plan reads hundreds of files, then reads them again.
   */
  private onDisk(path: string): string {
    return this.prefix + (sep === '/' ? path : path.replaceAll('/', sep));
  }

  /** The root's real path, or undefined when the root does not exist (a new project). */
  private rootOnDisk(): string | undefined {
    if (this.realRoot === undefined) {
      try {
        this.realRoot = realpathSync(this.root);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
        this.realRoot = null;
      }
    }
    return this.realRoot ?? undefined;
  }

  /** Folders already resolved inside the root, so a project's hundreds of files need one check each. */
  private readonly insideFolders = new Set<string>();

  private refuseOutside(path: string, real: string): void {
    const inside = relative(this.rootOnDisk() as string, real);
    if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
      throw new CliError(`Refusing to touch "${path}": it leads outside the project (to ${real})`);
    }
  }

  /** The folder, or its deepest part that exists, resolved: it must be inside the root. */
  private confineFolder(dir: string, path: string): void {
    if (dir === '.' || this.insideFolders.has(dir)) return;
    let real: string;
    try {
      real = realpathSync(join(this.root, dir));
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return this.confineFolder(dirname(dir), path);
      throw error;
    }
    this.refuseOutside(path, real);
    this.insideFolders.add(dir);
  }

  /** Refuses a path that is not plainly inside the root, or whose folder a symlink leads out of it. */
  private confineFolderOf(path: string): void {
    if (!isPlanPath(path)) {
      throw new CliError(`Refusing to touch "${path}": not a path inside the project`);
    }
    if (this.rootOnDisk() !== undefined) this.confineFolder(dirname(path), path);
  }

  /** As confineFolderOf, and the path itself must not be a symlink that leads out. */
  private confine(path: string): void {
    this.confineFolderOf(path);
    if (this.rootOnDisk() === undefined) return;
    try {
      if (lstatSync(join(this.root, path)).isSymbolicLink()) this.refuseOutside(path, realpathSync(join(this.root, path)));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
    }
  }

  private entry(path: string): Entry {
    let entry = this.entries.get(path);
    if (entry) return entry;
    this.confineFolderOf(path);
    if (this.rootOnDisk() === undefined) {
      // A new project: nothing of it is on disk to read.
      entry = absent();
      this.entries.set(path, entry);
      return entry;
    }
    const file = this.onDisk(path);
    // Synchronous, and through one descriptor (no stat and lstat by name besides): a plan reads
    // from a few to hundreds of small files (a grown project's migrations), where each system call
    // and thread-pool round trip shows.
    const opened = openUnlessLink(file);
    if (opened === 'socket') throw notRegular(path);
    if (opened === 'link') {
      const real = realPathIfThere(file);
      if (real === undefined) entry = absent();
      else {
        this.refuseOutside(path, real);
        entry = readEntry(path, file, file);
        if (!entry.folder) entry.target = relative(this.rootOnDisk() as string, real).split(sep).join('/');
      }
    } else if (opened === undefined) {
      entry = absent();
    } else {
      try {
        entry = readEntry(path, file, opened);
      } finally {
        closeSync(opened);
      }
    }
    this.entries.set(path, entry);
    return entry;
  }

  /** The entry of a path the plan reads or changes as a file: a folder there is refused. */
  private file(path: string): Entry {
    const entry = this.entry(path);
    if (entry.folder) throw new CliError(`${path} is a folder where a file belongs; move it away, then run again`);
    return entry;
  }

  /** The file as it will be after the plan: planned text, else what is on disk, else undefined. */
  read(path: string): string | undefined {
    const entry = this.file(path);
    return entry.after === undefined ? entry.source?.text : (entry.after ?? undefined);
  }

  /** Where the symlink at `path` points (a path in the root), or undefined for a plain file. */
  linkTarget(path: string): string | undefined {
    return this.file(path).target;
  }

  /** Whether the plan leaves the file as it is on disk (or leaves it absent). */
  untouched(path: string): boolean {
    return this.file(path).after === undefined;
  }

  /** The bytes on disk before the plan, or undefined if there was no file. */
  original(path: string): Buffer | undefined {
    return this.file(path).before;
  }

  /** The text on disk before the plan, decoded as `read` decodes it. */
  originalText(path: string): string | undefined {
    return this.file(path).source?.text;
  }

  write(path: string, text: string): void {
    const entry = this.file(path);
    entry.after = entry.source?.text === text ? undefined : text;
  }

  /**
   * A file as the templates rendered it: the manifest records its hash as generated. `written` is
   * what goes on disk when that differs (the rendering merged with the user's changes).
   */
  generate(file: { path: string; content: string; parsedByBuild: boolean }, written = file.content): void {
    // A rendering written as it is, in a project that formats Python with tabs or another width,
    // goes in that indentation, and is recorded so (a merge's text is already in the file's own).
    const respaced = written === file.content && this.pythonIndent !== undefined && file.path.endsWith('.py');
    const content = respaced ? reindent(file.content, '    ', this.pythonIndent as string) : file.content;
    this.write(file.path, respaced ? content : written);
    this.rendered.set(file.path, content);
    if (file.parsedByBuild && !respaced) this.buildParsed.add(file.path);
    else this.buildParsed.delete(file.path);
  }

  /** Python renderings from here on are written indented with `unit` (a tab, two spaces) instead of four spaces. */
  indentPythonWith(unit: string | undefined): void {
    this.pythonIndent = unit;
  }

  /**
   * A rendering merged with the user's file where the two clash: `written` holds conflict markers
   * for the user to resolve, so it is not expected to parse. The manifest records the rendering.
   */
  generateConflicted(file: { path: string; content: string; parsedByBuild: boolean }, written: string): void {
    this.generate(file, written);
    this.conflicted.add(file.path);
  }

  /** Whether the file's planned text is its rendering, one whose every form the build parsed. */
  parsedByBuild(path: string): boolean {
    return this.buildParsed.has(path) && this.read(path) === this.rendered.get(path);
  }

  /** Whether the file is planned with conflict markers (generateConflicted). */
  holdsConflicts(path: string): boolean {
    return this.conflicted.has(path);
  }

  /**
   * The file at `from` moved to `to`, with `text`: it keeps its encoding, byte order mark, mode and
   * CRLF line endings, as an edit in place would. Returns the text as planned. `from` is a plain
   * file (see linkTarget).
   */
  move(from: string, to: string, text: string): string {
    const moved = this.file(from);
    const source = moved.source as SourceText;
    this.delete(from);
    // Text that has CRLF already kept the user's endings (mixed ones too): left as it is.
    const planned = text.includes('\r\n') ? text : inLineEndingsOf(source.text, text);
    this.write(to, planned);
    this.file(to).movedFrom = { source, mode: moved.mode };
    moved.movedTo = to;
    return planned;
  }

  delete(path: string): void {
    const entry = this.file(path);
    entry.after = entry.before === undefined ? undefined : null;
    this.rendered.delete(path);
    this.buildParsed.delete(path);
    this.conflicted.delete(path);
  }

  /** Every file the templates rendered in this plan, with its text. */
  renderedFiles(): ReadonlyMap<string, string> {
    return this.rendered;
  }

  /** Whether anything (a file, a folder, a symlink) will be at `path` after the plan. */
  occupied(path: string): boolean {
    const entry = this.entries.get(path);
    if (entry?.after === null) return false;
    if (entry?.after !== undefined) return true;
    this.confine(path);
    try {
      lstatSync(join(this.root, path));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return false;
      throw error;
    }
  }

  private listDisk(dir: string): Dirent[] {
    if (dir !== '.') this.confine(dir);
    const entries = entriesIn(join(this.root, dir));
    if (!this.listed.has(dir)) this.listed.set(dir, listing(entries));
    return entries;
  }

  /** The files directly inside `dir` as they will be after the plan, sorted. */
  filesIn(dir: string): string[] {
    const paths = new Set(
      this.listDisk(dir)
        .filter((entry) => entry.isFile())
        .map((entry) => `${dir}/${entry.name}`),
    );
    for (const [path, entry] of this.entries) {
      if (dirname(path) !== dir) continue;
      if (entry.after === null) paths.delete(path);
      else if (entry.after !== undefined) paths.add(path);
    }
    return [...paths].sort(byCodePoint);
  }

  /** The folders directly inside `dir` after the plan (on disk, or made for planned files), sorted. */
  foldersIn(dir: string): string[] {
    const folders = new Set(
      this.listDisk(dir)
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${dir}/${entry.name}`),
    );
    for (const [path, entry] of this.entries) {
      if (typeof entry.after !== 'string' || !path.startsWith(`${dir}/`)) continue;
      const [first] = path.slice(dir.length + 1).split('/');
      if (path.slice(dir.length + 1).includes('/')) folders.add(`${dir}/${first}`);
    }
    return [...folders].sort(byCodePoint);
  }

  /**
   * The files made read-only (no write permission for their owner) whose content the plan
   * changes: edited, deleted, or moved with other text (a move alone keeps the file as it is).
   */
  readOnlyChanged(): string[] {
    const changed: string[] = [];
    this.entries.forEach((entry, path) => {
      if (entry.after === undefined || entry.source === undefined || ((entry.mode ?? 0o200) & 0o200) !== 0) return;
      const after = entry.after === null && entry.movedTo !== undefined ? this.entries.get(entry.movedTo)?.after : entry.after;
      if (after !== entry.source.text) changed.push(path);
    });
    return changed.sort(byCodePoint);
  }

  /** The changed files, sorted by path. */
  fileChanges(): FileChange[] {
    const changes: FileChange[] = [];
    // The planned changes only, then sorted: a plan may hold hundreds of files it only read.
    const changed: Array<[string, Entry & { after: string | null }]> = [];
    this.entries.forEach((entry, path) => {
      if (entry.after !== undefined) changed.push([path, entry as Entry & { after: string | null }]);
    });
    for (const [path, entry] of changed.sort((a, b) => byCodePoint(a[0], b[0]))) {
      if (entry.after === null) {
        changes.push({ kind: 'delete', path, before: entry.before as Buffer });
      } else if (entry.before === undefined) {
        const { source = UTF8, mode } = entry.movedFrom ?? {};
        changes.push({ kind: 'create', path, text: entry.after, content: encodeSource(path, entry.after, source), ...(mode === undefined ? {} : { mode }) });
      } else {
        const content = encodeSource(path, entry.after, entry.source as SourceText);
        // Edited through a symlink: the file it points to changes, and the link stays a link.
        const target = entry.target ?? path;
        changes.push({ kind: 'edit', path: target, text: entry.after, content, before: entry.before, mode: entry.mode as number });
      }
    }
    return changes;
  }

  /**
   * Every step, in order: the folders new files need (parents first), the file changes, then the
   * folders the deletions leave empty (deepest first; a folder holding only bytecode caches is empty).
   */
  changes(): Change[] {
    const files = this.fileChanges();
    const made = new Set<string>();
    const mkdirs: Change[] = [];
    for (const change of files) {
      if (change.kind !== 'create') continue;
      const missing: string[] = [];
      for (let dir = dirname(change.path); dir !== '.' && !made.has(dir) && !this.occupied(dir); dir = dirname(dir)) {
        missing.unshift(dir);
      }
      for (const dir of missing) {
        made.add(dir);
        mkdirs.push({ kind: 'mkdir', path: dir });
      }
    }
    const rmdirs: Change[] = [];
    const emptied = new Set<string>();
    const isEmptyAfter = (dir: string) =>
      this.listDisk(dir).every((entry) => {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) return entry.name === CACHE_DIR || emptied.has(path);
        return this.entries.get(path)?.after === null;
      }) && ![...this.entries].some(([path, entry]) => path.startsWith(`${dir}/`) && typeof entry.after === 'string');
    const candidates = new Set(files.filter((change) => change.kind === 'delete').map((change) => dirname(change.path)));
    for (const start of [...candidates].sort((a, b) => b.length - a.length)) {
      for (let dir = start; dir !== '.' && !emptied.has(dir) && isEmptyAfter(dir); dir = dirname(dir)) {
        emptied.add(dir);
        rmdirs.push({ kind: 'rmdir', path: dir });
      }
    }
    rmdirs.sort((a, b) => b.path.split('/').length - a.path.split('/').length || byCodePoint(a.path, b.path));
    return [...mkdirs, ...files, ...rmdirs];
  }

  /**
   * Paths the plan read or changed whose bytes on disk are no longer what it read, and entries that
   * appeared in or left a folder it listed (a migration saved meanwhile would be a second head).
   */
  changedSinceRead(): string[] {
    const changed = new Set<string>();
    this.entries.forEach((entry, path) => {
      const file = this.onDisk(path);
      const same = entry.before === undefined ? bytesNow(file) === undefined : holdsBytes(file, entry.before);
      if (!same) changed.add(path);
    });
    for (const [dir, before] of this.listed) {
      const now = listing(entriesIn(join(this.root, dir)));
      for (const name of [...before, ...now]) {
        if (before.has(name) !== now.has(name)) changed.add(`${dir === '.' ? '' : `${dir}/`}${name.replace(/\/$/, '')}`);
      }
    }
    return [...changed].sort(byCodePoint);
  }
}

/**
 * Where the project keeps `module` as the file at `importer` imports it, as a path without `.py`
 * or `/__init__.py`: the package's modules under src/, a test's own modules beside it (pytest puts
 * the test's folder on the path; ruff's `src` lists tests/, so it sorts them with the package's).
 * Undefined for a module that is not the project's: the standard library's, a dependency's.
 */
export function projectModulePlace(plan: Plan, module: string, importer: string): string | undefined {
  const top = module.split('.')[0] as string;
  const folder = module.replaceAll('.', '/');
  if (plan.occupied(`src/${top}`) || plan.occupied(`src/${top}.py`)) return `src/${folder}`;
  const beside = (path: string) => posix.join(dirname(importer), path);
  if (!STDLIB_MODULES.has(top) && (plan.occupied(beside(`${top}.py`)) || plan.occupied(beside(top)))) return beside(folder);
  return undefined;
}
