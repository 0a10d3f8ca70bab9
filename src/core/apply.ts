import * as fs from 'node:fs';
import { hash } from 'node:crypto';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { CliError, describeError, osReason, withPath } from '../errors.js';
import { processAlive } from './lock.js';
import { bytesNow, type Change, isPlanPath } from './plan.js';

/**
 * Applies a plan to an existing folder as one transaction, the way SQLite's rollback journal does:
 * new contents are staged in a journal folder inside the project (same file system, so every move
 * is an atomic rename), the list of steps is made durable, and only then does the project change,
 * one step at a time: each original moved into the journal rather than overwritten, each new file
 * linked into place, which fails rather than replace a file saved there meanwhile. Removing
 * journal.json is the commit. A run that dies before it (kill -9, a power cut) leaves the journal
 * behind, and the next run puts every file back from it (rollBackJournal) before doing anything else.
 */
export const JOURNAL_DIR = '.create-layered-backend.journal';
const JOURNAL_FILE = 'journal.json';

/**
 * One step as journal.json records it. `sha256`: what a create or an edit put at the path, so the
 * undo can tell it from a save made there since (journals of 0.2.0 and before have none). `mode`:
 * a removed folder's, to make it again with.
 */
export interface JournalStep extends Pick<Change, 'kind' | 'path'> {
  sha256?: string;
  mode?: number;
}

/** What journal.json records: enough to undo every step, whichever of them had happened. */
export interface Journal {
  format: 1;
  command: string;
  pid: number;
  started: string;
  steps: JournalStep[];
}

/** The file operations apply performs; tests hand in one that fails on purpose. */
export interface FileSystem {
  writeDurably(path: string, content: Buffer, mode?: number): void;
  rename(from: string, to: string): void;
  /** A second name for the file `from`; fails (EEXIST) rather than replace anything at `to`. */
  link(from: string, to: string): void;
  mkdir(path: string, mode?: number): void;
  rmdir(path: string): void;
  unlink(path: string): void;
}

function fsyncNamed(fd: number, path: string): void {
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    throw withPath(error, path);
  }
}

function fsyncPath(path: string): void {
  const fd = fs.openSync(path, 'r');
  try {
    fsyncNamed(fd, path);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Tests only, set through the environment: CLB_TEST_APPLY_DELAY_MS pauses before every change to
 * the disk, so a test can signal the process between any two of them; CLB_TEST_KILL_AT=n kills the
 * process (SIGKILL, as a power cut or the OOM killer would) just before its n-th change.
 */
const stepDelay = Number(process.env.CLB_TEST_APPLY_DELAY_MS ?? 0);
const killAt = Number(process.env.CLB_TEST_KILL_AT ?? 0);
let diskChanges = 0;
function beforeDiskChange(): void {
  if (stepDelay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stepDelay);
  diskChanges += 1;
  if (diskChanges === killAt) process.kill(process.pid, 'SIGKILL');
}

/** fs.writeFileSync whose failure names the file: a write that fills the disk (ENOSPC, EFBIG) names none. */
export function writeFileNamed(path: string, content: string | Buffer): void {
  try {
    fs.writeFileSync(path, content);
  } catch (error) {
    throw withPath(error, path);
  }
}

export const nodeFileSystem: FileSystem = {
  writeDurably(path, content, mode) {
    beforeDiskChange();
    const fd = fs.openSync(path, 'wx');
    try {
      fs.writeFileSync(fd, content);
      // An edited or moved file keeps its mode exactly (umask does not apply to fchmod).
      if (mode !== undefined) fs.fchmodSync(fd, mode);
      fs.fsyncSync(fd);
    } catch (error) {
      throw withPath(error, path);
    } finally {
      fs.closeSync(fd);
    }
  },
  rename(from, to) {
    beforeDiskChange();
    fs.renameSync(from, to);
  },
  link(from, to) {
    beforeDiskChange();
    fs.linkSync(from, to);
  },
  mkdir(path, mode) {
    beforeDiskChange();
    fs.mkdirSync(path);
    // The mode exactly (umask does not apply to chmod), as the folder had it.
    if (mode !== undefined) fs.chmodSync(path, mode);
  },
  rmdir(path) {
    beforeDiskChange();
    fs.rmdirSync(path);
  },
  unlink(path) {
    beforeDiskChange();
    fs.unlinkSync(path);
  },
};

const statIfThere = (path: string) => {
  try {
    return fs.lstatSync(path);
  } catch {
    return undefined;
  }
};
const exists = (path: string) => statIfThere(path) !== undefined;

const staged = (journal: string, index: number) => join(journal, `${index}.new`);
const saved = (journal: string, index: number) => join(journal, `${index}.old`);
const CACHE_DIR = '__pycache__';

const changedBySomethingElse = (path: string) => `${path} was changed by something else while this run was writing`;

/** A file something else changed or put at a path while this run was writing there. */
class ChangedMeanwhile extends CliError {
  constructor(readonly path: string) {
    super(`${changedBySomethingElse(path)}; nothing was written, run again`);
  }
}
const changedMeanwhile = (path: string) => new ChangedMeanwhile(path);

/**
 * The file just moved into the journal must still hold what the plan read: an editor that saved it
 * while the run was writing (after the plan's last check) would otherwise lose that save. The
 * rollback then puts the saved version back.
 */
function refuseChangedMeanwhile(change: Extract<Change, { kind: 'edit' | 'delete' }>, original: string): void {
  if (!bytesNow(original)?.equals(change.before)) throw changedMeanwhile(change.path);
}

/** Where a file system has no hard links (FAT, some network shares), link fails with one of these. */
const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'];

/**
 * Gives the file `from` the name `to` unless something is there; false when something is. A hard
 * link fails rather than replace: a file an editor saves at a path this run has just moved away
 * is kept, where a rename would have replaced it. Without hard links, a look, then a rename.
 */
function placeUnlessTaken(from: string, to: string, io: FileSystem): boolean {
  try {
    io.link(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.includes(code as string)) throw error;
  }
  if (exists(to)) return false;
  io.rename(from, to);
  return true;
}

/**
 * Whether `target` holds what this run put there: the bytes it staged. A file saved there since,
 * in place or anew, differs, and is the user's. A journal without hashes (0.2.0 and before) counts
 * whatever file is there, as those versions did.
 */
function holdsWhatWasPlaced(target: string, step: JournalStep): boolean {
  if (!statIfThere(target)?.isFile()) return false;
  if (step.sha256 === undefined) return true;
  const now = bytesNow(target);
  return now !== undefined && stagedHash(now) === step.sha256;
}

const stagedHash = (content: Buffer) => hash('sha256', content);

function perform(root: string, journal: string, change: Change, index: number, io: FileSystem): void {
  const target = join(root, change.path);
  switch (change.kind) {
    case 'mkdir':
      io.mkdir(target);
      return;
    case 'create':
      // Planned under the lock as absent; anything there now was put there by hand meanwhile.
      if (!placeUnlessTaken(staged(journal, index), target, io)) throw changedMeanwhile(change.path);
      return;
    case 'edit':
      io.rename(target, saved(journal, index));
      refuseChangedMeanwhile(change, saved(journal, index));
      if (!placeUnlessTaken(staged(journal, index), target, io)) throw changedMeanwhile(change.path);
      return;
    case 'delete':
      io.rename(target, saved(journal, index));
      refuseChangedMeanwhile(change, saved(journal, index));
      return;
    case 'rmdir':
      if (exists(join(target, CACHE_DIR))) io.rename(join(target, CACHE_DIR), saved(journal, index));
      io.rmdir(target);
      return;
  }
}

/**
 * Whether `target`'s folder still leads where the run left it: a real folder inside the project. A
 * folder replaced since by a file, or by a symlink leading out, is the user's doing, and what is
 * there is left alone (a journal is a file in the project, which a clone or an archive can carry).
 */
function leadsInside(root: string, target: string): boolean {
  let folder = dirname(target);
  while (!exists(folder)) folder = dirname(folder);
  try {
    if (!fs.statSync(folder).isDirectory()) return false;
    const inside = relative(fs.realpathSync(root), fs.realpathSync(folder));
    return !inside.startsWith('..') && !isAbsolute(inside);
  } catch {
    // A dangling symlink where a folder was.
    return false;
  }
}

/** Two regular files with the same bytes (a restore a killed recovery had already made). */
const sameFile = (a: string, b: string) => statIfThere(a)?.isFile() === true && bytesNow(a)?.equals(bytesNow(b) ?? Buffer.alloc(0)) === true;

/**
 * Undoes one step from whatever state the disk is in: each case checks what had happened. What
 * something else made or saved at a path meanwhile is newer than anything in the journal: it is
 * left as it is, and the path returned.
 */
function undo(root: string, journal: string, step: JournalStep, index: number, io: FileSystem): string | undefined {
  const target = join(root, step.path);
  const original = saved(journal, index);
  if (!leadsInside(root, target)) return exists(original) || exists(target) ? step.path : undefined;
  switch (step.kind) {
    case 'mkdir':
      if (!statIfThere(target)?.isDirectory()) return exists(target) ? step.path : undefined;
      if (fs.readdirSync(target).length === 0) io.rmdir(target);
      return undefined;
    case 'create':
      if (step.sha256 === undefined) {
        // 0.2.0 and before renamed files into place: one still staged was never placed.
        if (!exists(staged(journal, index)) && exists(target)) io.unlink(target);
        return undefined;
      }
      if (holdsWhatWasPlaced(target, step)) io.unlink(target);
      else if (exists(target)) return step.path;
      return undefined;
    case 'edit':
    case 'delete':
      if (!exists(original)) return undefined;
      if (step.kind === 'edit' && holdsWhatWasPlaced(target, step)) io.rename(original, target);
      else if (!placeUnlessTaken(original, target, io) && !sameFile(target, original)) return step.path;
      return undefined;
    case 'rmdir':
      if (!exists(target)) io.mkdir(target, step.mode);
      // Only into the real folder: not through a symlink put there since.
      else if (!statIfThere(target)?.isDirectory()) return step.path;
      if (exists(original)) {
        // Python made the cache again meanwhile: the one in the journal is only a cache too.
        if (exists(join(target, CACHE_DIR))) fs.rmSync(original, { recursive: true, force: true });
        else io.rename(original, join(target, CACHE_DIR));
      }
      return undefined;
  }
}

/** Undoes every step, last first; returns the paths left as something else made them meanwhile. */
function rollBack(root: string, journal: string, steps: JournalStep[], io: FileSystem): string[] {
  let firstError: unknown;
  const kept: string[] = [];
  for (let index = steps.length - 1; index >= 0; index -= 1) {
    try {
      const keptPath = undo(root, journal, steps[index] as JournalStep, index, io);
      if (keptPath !== undefined) kept.push(keptPath);
    } catch (error) {
      // Keep undoing the rest: one stuck file must not leave the others changed.
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
  return kept.reverse();
}

function writeJournal(journal: string, record: Journal, io: FileSystem): void {
  io.writeDurably(join(journal, JOURNAL_FILE), Buffer.from(JSON.stringify(record)));
  fsyncPath(journal);
}

/** Commits: once journal.json is gone the new state stands; the rest of the folder is leftovers. */
function commit(root: string, journal: string, changes: Change[], io: FileSystem): void {
  // Every renamed-into folder made durable first, so the commit cannot outlive the steps it commits.
  for (const dir of new Set(changes.map((change) => dirname(join(root, change.path))))) {
    if (exists(dir)) fsyncPath(dir);
  }
  io.unlink(join(journal, JOURNAL_FILE));
  fsyncPath(journal);
}

/**
 * Writes `changes` into the existing folder `root`, all or nothing. If any step fails, every step
 * taken is undone and the error rethrown; if the process dies, the journal lets the next run undo them.
 */
export function applyChanges(root: string, changes: Change[], command: string, io: FileSystem = nodeFileSystem): void {
  const journal = join(root, JOURNAL_DIR);
  io.mkdir(journal);
  const steps = changes.map((change): JournalStep => {
    if (change.kind === 'create' || change.kind === 'edit') return { kind: change.kind, path: change.path, sha256: stagedHash(change.content) };
    if (change.kind === 'rmdir') return { kind: change.kind, path: change.path, mode: fs.lstatSync(join(root, change.path)).mode & 0o7777 };
    return { kind: change.kind, path: change.path };
  });
  let journaled = false;
  try {
    for (const [index, change] of changes.entries()) {
      if (change.kind === 'create' || change.kind === 'edit') io.writeDurably(staged(journal, index), change.content, change.mode);
    }
    writeJournal(journal, { format: 1, command, pid: process.pid, started: new Date().toISOString(), steps }, io);
    journaled = true;
    for (const [index, change] of changes.entries()) perform(root, journal, change, index, io);
    commit(root, journal, changes, io);
  } catch (error) {
    let failure = error;
    if (journaled) {
      let kept: string[];
      try {
        kept = rollBack(root, journal, steps, io);
      } catch {
        // The journal stays: it still holds every original the next run needs to finish the undo.
        throw new CliError(
          `${describeError(error)}; some files could not be put back yet, and the next create-layered-backend command in ${root} will restore them`,
        );
      }
      const others = kept.filter((path) => !(error instanceof ChangedMeanwhile && error.path === path));
      if (others.length > 0) {
        const reason = error instanceof ChangedMeanwhile ? changedBySomethingElse(error.path) : describeError(error);
        failure = new CliError(
          `${reason}; the run was undone except ${others.join(', ')}, which something else changed meanwhile and which are left as they are: check them, then run again`,
        );
      }
    }
    fs.rmSync(journal, { recursive: true, force: true });
    throw failure;
  }
  try {
    fs.rmSync(journal, { recursive: true, force: true });
  } catch {
    // Committed already: what is left of the journal folder is leftovers the next run removes.
  }
}

const STEP_KINDS: ReadonlyArray<Change['kind']> = ['mkdir', 'create', 'edit', 'delete', 'rmdir'];

/** Steps as this CLI writes them: known kinds, paths a plan may touch, a hex sha256, a file mode. */
const isJournal = (record: Journal) =>
  Array.isArray(record.steps) &&
  record.steps.every(
    (step: Partial<JournalStep> | null) =>
      step !== null &&
      typeof step === 'object' &&
      STEP_KINDS.includes(step.kind as Change['kind']) &&
      typeof step.path === 'string' &&
      isPlanPath(step.path) &&
      (step.sha256 === undefined || /^[0-9a-f]{64}$/.test(String(step.sha256))) &&
      (step.mode === undefined || (Number.isInteger(step.mode) && step.mode >= 0 && step.mode <= 0o7777)),
  );

/** The interrupted run a journal left behind, if any. */
export function readJournal(root: string): Journal | 'leftovers' | undefined {
  const journal = join(root, JOURNAL_DIR);
  if (!exists(journal)) return undefined;
  try {
    const record = JSON.parse(fs.readFileSync(join(journal, JOURNAL_FILE), 'utf8')) as Journal | null;
    if (typeof record?.format === 'number' && record.format > 1) {
      throw new CliError(`${journal} was written by a newer create-layered-backend; run that version to restore the project`);
    }
    if (record === null || typeof record !== 'object' || record.format !== 1 || !isJournal(record)) {
      throw new CliError(`${join(journal, JOURNAL_FILE)} is not a journal this CLI wrote; remove ${journal} if no create-layered-backend command is running`);
    }
    return record;
  } catch (error) {
    // No journal.json, or half of one: the run died while staging, before it changed anything,
    // or after its commit. Either way the project is consistent and the folder is leftovers.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return 'leftovers';
    throw error;
  }
}

/**
 * Puts the project back as it was before the interrupted run, then removes its journal. Returns the
 * paths left as something else made them since.
 */
export function rollBackJournal(root: string, journal: Journal | 'leftovers', io: FileSystem = nodeFileSystem): string[] {
  const dir = join(root, JOURNAL_DIR);
  const kept = journal === 'leftovers' ? [] : rollBack(root, dir, journal.steps, io);
  fs.rmSync(dir, { recursive: true, force: true });
  return kept;
}

const STAGING_MARK = '.create-layered-backend-';

/** A staging folder left by a create that was killed (its process is gone) is removed. */
function removeOrphanedStaging(parent: string, name: string): void {
  const prefix = `.${name}${STAGING_MARK}`;
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    if (!processAlive(Number(entry.slice(prefix.length)))) fs.rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

/**
 * Writes a new project: everything goes into a hidden staging folder beside `root`, which one
 * rename then moves into place (onto a missing or empty folder), so the project appears whole or
 * not at all. A staging folder left by a killed run is removed by the next create of that name.
 */
export function writeNewFolder(root: string, changes: Change[]): void {
  const parent = dirname(root);
  const name = root.slice(parent.length + 1);
  const made = fs.mkdirSync(parent, { recursive: true });
  removeOrphanedStaging(parent, name);
  const staging = join(parent, `.${name}${STAGING_MARK}${process.pid}`);
  try {
    fs.mkdirSync(staging);
    for (const change of changes) {
      beforeDiskChange();
      if (change.kind === 'mkdir') fs.mkdirSync(join(staging, change.path));
      else if (change.kind === 'create') writeFileNamed(join(staging, change.path), change.content);
    }
    try {
      fs.renameSync(staging, root);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new CliError(`${root} was filled by something else meanwhile; nothing was written`);
      // The rename's source is the run's own staging folder: what failed is putting the project at root.
      const reason = osReason(error);
      if (reason !== undefined) throw new CliError(`Cannot put the project in place at ${root}: ${reason}; nothing was written`);
      throw error;
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    // Parent folders this run made for the project go too.
    for (let dir = parent; made !== undefined && dir.length >= made.length; dir = dirname(dir)) {
      try {
        fs.rmdirSync(dir);
      } catch {
        break;
      }
    }
    // The staging folder is the run's own: a failure names the project's path the user gave.
    const failed = error as { path?: unknown; dest?: unknown };
    for (const key of ['path', 'dest'] as const) {
      const path = failed[key];
      if (typeof path === 'string' && (path === staging || path.startsWith(`${staging}/`))) failed[key] = root + path.slice(staging.length);
    }
    throw error;
  }
}
