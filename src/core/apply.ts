import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, describeError, withPath } from '../errors.js';
import { processAlive } from './lock.js';
import { bytesNow, type Change } from './plan.js';

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

/** What journal.json records: enough to undo every step, whichever of them had happened. */
export interface Journal {
  format: 1;
  command: string;
  pid: number;
  started: string;
  steps: Array<Pick<Change, 'kind' | 'path'>>;
}

/** The file operations apply performs; tests hand in one that fails on purpose. */
export interface FileSystem {
  writeDurably(path: string, content: Buffer, mode?: number): void;
  rename(from: string, to: string): void;
  /** A second name for the file `from`; fails (EEXIST) rather than replace anything at `to`. */
  link(from: string, to: string): void;
  mkdir(path: string): void;
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

export const nodeFileSystem: FileSystem = {
  writeDurably(path, content, mode) {
    beforeDiskChange();
    const fd = fs.openSync(path, 'wx');
    try {
      fs.writeFileSync(fd, content);
      // An edited or moved file keeps its mode exactly (umask does not apply to fchmod).
      if (mode !== undefined) fs.fchmodSync(fd, mode);
      fsyncNamed(fd, path);
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
  mkdir(path) {
    beforeDiskChange();
    fs.mkdirSync(path);
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

const changedMeanwhile = (path: string) =>
  new CliError(`${path} was changed by something else while this run was writing; nothing was written, run again`);

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

/** Whether `target` is the file this run placed from `stagedFile` (the same file, or the name it was renamed to). */
function isPlaced(target: string, stagedFile: string): boolean {
  const there = statIfThere(target);
  const mine = statIfThere(stagedFile);
  if (there === undefined) return false;
  return mine === undefined || (there.ino === mine.ino && there.dev === mine.dev);
}

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
 * Undoes one step from whatever state the disk is in: each case checks what had happened. A file
 * something else put at a path meanwhile is newer than anything in the journal, and stays.
 */
function undo(root: string, journal: string, step: Journal['steps'][number], index: number, io: FileSystem): void {
  const target = join(root, step.path);
  const original = saved(journal, index);
  switch (step.kind) {
    case 'mkdir':
      if (exists(target) && fs.readdirSync(target).length === 0) io.rmdir(target);
      return;
    case 'create':
      if (isPlaced(target, staged(journal, index))) io.unlink(target);
      return;
    case 'edit':
    case 'delete':
      if (!exists(original)) return;
      if (step.kind === 'edit' && isPlaced(target, staged(journal, index))) io.rename(original, target);
      else placeUnlessTaken(original, target, io);
      return;
    case 'rmdir':
      if (!exists(target)) io.mkdir(target);
      if (exists(original)) io.rename(original, join(target, CACHE_DIR));
      return;
  }
}

function rollBack(root: string, journal: string, steps: Journal['steps'], io: FileSystem): void {
  let firstError: unknown;
  for (let index = steps.length - 1; index >= 0; index -= 1) {
    try {
      undo(root, journal, steps[index] as Journal['steps'][number], index, io);
    } catch (error) {
      // Keep undoing the rest: one stuck file must not leave the others changed.
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
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
  const steps = changes.map(({ kind, path }) => ({ kind, path }));
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
    if (journaled) {
      try {
        rollBack(root, journal, steps, io);
      } catch {
        // The journal stays: it still holds every original the next run needs to finish the undo.
        throw new CliError(
          `${describeError(error)}; some files could not be put back yet, and the next create-layered-backend command in ${root} will restore them`,
        );
      }
    }
    fs.rmSync(journal, { recursive: true, force: true });
    throw error;
  }
  try {
    fs.rmSync(journal, { recursive: true, force: true });
  } catch {
    // Committed already: what is left of the journal folder is leftovers the next run removes.
  }
}

/** The interrupted run a journal left behind, if any. */
export function readJournal(root: string): Journal | 'leftovers' | undefined {
  const journal = join(root, JOURNAL_DIR);
  if (!exists(journal)) return undefined;
  try {
    const record = JSON.parse(fs.readFileSync(join(journal, JOURNAL_FILE), 'utf8')) as Journal;
    if (record.format !== 1) throw new CliError(`${journal} was written by a newer create-layered-backend; run that version to restore the project`);
    return record;
  } catch (error) {
    // No journal.json, or half of one: the run died while staging, before it changed anything,
    // or after its commit. Either way the project is consistent and the folder is leftovers.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return 'leftovers';
    throw error;
  }
}

/** Puts the project back as it was before the interrupted run, then removes its journal. */
export function rollBackJournal(root: string, journal: Journal | 'leftovers', io: FileSystem = nodeFileSystem): void {
  const dir = join(root, JOURNAL_DIR);
  if (journal !== 'leftovers') rollBack(root, dir, journal.steps, io);
  fs.rmSync(dir, { recursive: true, force: true });
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
      else if (change.kind === 'create') fs.writeFileSync(join(staging, change.path), change.content);
    }
    try {
      fs.renameSync(staging, root);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new CliError(`${root} was filled by something else meanwhile; nothing was written`);
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
    throw error;
  }
}
