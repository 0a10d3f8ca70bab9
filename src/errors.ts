import { constants } from 'node:os';

/** An expected failure: its message is shown as one line and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * The command line itself is wrong (unknown flag, missing value without a prompt to ask for it).
 * `atPrompt`: the same refusal as the wizard says it, where no flag is typed (the message may
 * add what to type on the command line: "use --force", "with --name").
 */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly atPrompt: string = message,
  ) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** The user pressed Ctrl-C at a prompt. */
export class CancelledError extends CliError {
  constructor(message = 'Cancelled; nothing was written') {
    super(message, 130);
    this.name = 'CancelledError';
  }
}

/** What the file-system errors a user can cause or fix mean, in words. */
const OS_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EFBIG: 'larger than the file size limit (ulimit -f)',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EISDIR: 'it is a folder',
  ENOTDIR: 'part of the path is not a folder',
  EBUSY: 'the file or folder is busy',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the folder is not empty',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'input/output error',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  ENOENT: 'no such file or folder',
  EXDEV: 'cannot move across file systems',
};

/** A file of this package that is gone: a partial install, or a cleaned npx cache. */
export const incompleteInstallation = (file: string) =>
  `Cannot load ${file}: this installation of create-layered-backend is incomplete; reinstall it`;

/** What a file-system error means, with its code ("permission denied (EACCES)"); undefined for any other error. */
export function osReason(error: unknown): string | undefined {
  const { code } = (error ?? {}) as NodeJS.ErrnoException;
  return code !== undefined && code in OS_ERRORS ? `${OS_ERRORS[code]} (${code})` : undefined;
}

/**
 * One line for an error the environment caused (a full disk, a read-only folder), naming the path;
 * undefined for anything else, which is a bug.
 */
export function environmentFault(error: unknown): string | undefined {
  const { code, syscall, path, dest } = (error ?? {}) as NodeJS.ErrnoException & { dest?: string };
  if (code === 'MODULE_NOT_FOUND') {
    return incompleteInstallation(/Cannot find module '([^']+)'/.exec((error as Error).message)?.[1] ?? 'a file of the package');
  }
  const reason = osReason(error);
  if (reason === undefined) return undefined;
  if (syscall === 'uv_cwd') {
    return `Cannot read the current folder: ${reason}${code === 'ENOENT' ? ': it was deleted or moved away; cd into a folder that exists' : ''}`;
  }
  if (path === undefined) return undefined;
  const what = syscall ? `Cannot ${syscall} ${path}${dest ? ` to ${dest}` : ''}` : `Cannot use ${path}`;
  return `${what}: ${reason}`;
}

/**
 * A system call on a descriptor (fstat, read, fsync) fails with an error that names no path: the
 * file's is added, so environmentFault can say which file in one line. Errors of our own pass as they are.
 */
export function withPath(error: unknown, file: string): unknown {
  if (error instanceof CliError || !(error instanceof Error)) return error;
  return Object.assign(error, { path: (error as NodeJS.ErrnoException).path ?? file });
}

/** The one-line text of any error, for messages that wrap another failure. */
export function describeError(error: unknown): string {
  return environmentFault(error) ?? (error instanceof Error ? error.message : String(error));
}

/** A signal (Ctrl-C, a kill) arrived; the exit code is the shell's 128 + the signal's number. */
export class InterruptedError extends CliError {
  constructor(message: string, signal: NodeJS.Signals) {
    super(message, 128 + (constants.signals[signal] ?? 2));
    this.name = 'InterruptedError';
  }
}
