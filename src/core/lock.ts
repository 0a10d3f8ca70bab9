import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CliError, InterruptedError, withPath } from '../errors.js';

/**
 * One command at a time per project, the way git's index.lock works: the lock file is created with
 * O_EXCL, so exactly one run gets it. A lock whose process has died (kill -9) is stale: the next run
 * takes it over, since a command never outlives its process.
 */
export const LOCK_FILE = '.create-layered-backend.lock';

interface LockHolder {
  pid: number;
  host: string;
  command: string;
  started: string;
}

/** How long a run waits for another to finish before giving up. */
const WAIT_MS = 15_000;
const POLL_MS = 50;

/** Whether a process with this id is running (on this machine). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder's record; undefined if the lock is gone. An unreadable record is still being written. */
function readHolder(path: string): { text: string; holder?: LockHolder } | undefined {
  try {
    const text = fs.readFileSync(path, 'utf8');
    try {
      return { text, holder: JSON.parse(text) as LockHolder };
    } catch {
      return { text };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function isStale(path: string, lock: { holder?: LockHolder }): boolean {
  if (lock.holder) return lock.holder.host === hostname() && !processAlive(lock.holder.pid);
  // Created but never written: the writer died between open and write, or is about to write.
  try {
    return Date.now() - fs.statSync(path).mtimeMs > 5_000;
  } catch {
    return false;
  }
}

/**
 * Moves a stale lock aside and removes it, unless another run replaced it in the meantime: the
 * rename is atomic, so only one run takes over a given stale lock.
 */
function breakStaleLock(path: string, judged: string): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    fs.renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (fs.readFileSync(aside, 'utf8') !== judged) {
    // A fresh lock taken between the check and the rename: give it back.
    try {
      fs.linkSync(aside, path);
    } catch {
      // A third run holds the lock now; it is judged again on the next try.
    }
  }
  fs.unlinkSync(aside);
}

function tryCreate(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = fs.openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeSync(fd, JSON.stringify(holder));
  } catch (error) {
    // A full disk: an empty lock would hold the next run up until it judged it stale.
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
    throw withPath(error, path);
  }
  fs.closeSync(fd);
  return true;
}

/** The holder as a message names it. */
const described = (lock: { holder?: LockHolder } | undefined) =>
  lock?.holder ? `${lock.holder.command} (pid ${lock.holder.pid}, since ${lock.holder.started})` : 'another run';

/** Who holds the project's lock, if a live run does: a dry run does not wait for it, but can say so. */
export function liveHolder(root: string): string | undefined {
  const path = join(root, LOCK_FILE);
  const lock = readHolder(path);
  return lock && !isStale(path, lock) ? described(lock) : undefined;
}

/**
 * Takes the project's lock, waiting up to WAIT_MS for a live holder; returns the function that
 * releases it. `onWait` is told once who holds it; a signal (`interrupted`) ends the wait.
 */
export async function lockProject(
  root: string,
  command: string,
  onWait: (message: string) => void,
  interrupted: () => NodeJS.Signals | undefined,
): Promise<() => void> {
  const path = join(root, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, host: hostname(), command, started: new Date().toISOString() };
  const deadline = Date.now() + WAIT_MS;
  let told = false;
  for (;;) {
    if (tryCreate(path, mine)) {
      return () => fs.rmSync(path, { force: true });
    }
    const lock = readHolder(path);
    if (lock && isStale(path, lock)) {
      breakStaleLock(path, lock.text);
      continue;
    }
    const who = described(lock);
    if (Date.now() > deadline) {
      throw new CliError(
        `${root} is locked by ${who}; wait for it to finish, or delete ${path} if no create-layered-backend command is running`,
      );
    }
    const signal = interrupted();
    if (signal) throw new InterruptedError('Cancelled while waiting for the lock; nothing was written', signal);
    if (!told) onWait(`Waiting for ${who} to finish...`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
