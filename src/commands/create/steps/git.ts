import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from '../../../context.js';
import { InterruptedError } from '../../../errors.js';
import { trapSignals } from '../../../core/transaction.js';

const MESSAGE = 'Initial commit from create-layered-backend';

/** The commands that make the repository, as a user would type them to make it later. */
export const gitCommandLine = `git init && git add --all && git commit --message '${MESSAGE}'`;

/**
 * The repository `directory` would be inside of: the nearest folder at or above it holding a .git,
 * as git looks for one. The project then belongs to that repository, and gets none of its own.
 */
export function enclosingRepository(directory: string): string | undefined {
  for (let dir = directory; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** git's reason for a failure, in one line, with what to do about the usual ones. */
function reasonOf(error: unknown): string {
  const { code, stderr, shortMessage, message } = error as { code?: string; stderr?: string; shortMessage?: string; message: string };
  if (code === 'ENOENT') return 'git is not on PATH';
  if (stderr && /Author identity unknown|Please tell me who you are/.test(stderr)) {
    return 'git does not know who commits: git config --global user.name "Your Name" && git config --global user.email you@example.com';
  }
  return stderr?.trim().split('\n').find((line) => line.trim() !== '') ?? shortMessage ?? message;
}

/**
 * git init and a first commit holding the whole project (uv.lock included, as the install ran
 * first). A missing git, identity or any other failure is a warning with git's own reason, and
 * leaves no half-made repository: the project itself is complete either way. So does Ctrl-C,
 * which then ends the run (130) with the commands to make the repository later. `shown`: the
 * project's folder as a shell reads it, for those commands.
 */
export async function initGit(directory: string, shown: string, ctx: Pick<Context, 'log'>): Promise<void> {
  const { execa } = await import('../../../on-demand.js');
  const later = `cd ${shown} && ${gitCommandLine}`;
  const step = ctx.log.step('git: first commit');
  let running: { kill(signal: NodeJS.Signals): boolean } | undefined;
  // A terminal's Ctrl-C reaches git too; a signal sent to this process alone is passed on.
  const signals = trapSignals((signal) => running?.kill(signal));
  const git = async (...args: string[]) => {
    running = execa('git', args, { cwd: directory });
    await running;
  };
  let initialised = false;
  try {
    await git('init', '--quiet');
    initialised = true;
    await git('add', '--all');
    await git('commit', '--quiet', '--message', MESSAGE);
    step.done('done');
  } catch (error) {
    if (initialised) rmSync(join(directory, '.git'), { recursive: true, force: true });
    const signal = signals.received();
    if (signal) {
      step.fail('interrupted');
      throw new InterruptedError(`Interrupted; no repository made, and the project is complete. To make one: ${later}`, signal);
    }
    step.fail(`no repository made (${reasonOf(error)}); to make one: ${later}`);
  } finally {
    signals.release();
  }
}
