import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from '../../../context.js';
import { InterruptedError } from '../../../errors.js';
import { trapSignals } from '../../../core/transaction.js';

const MESSAGE = 'Initial commit from create-layered-backend';

/** The commands that make the repository, as a user would type them to make it later. */
export const gitCommandLine = `git init && git add --all && git commit --message '${MESSAGE}'`;

/**
 * The work tree `directory` would be inside of, as git itself answers from the nearest folder that
 * exists (a .git folder or file, GIT_DIR and GIT_WORK_TREE, a .git that is no repository): the
 * project then belongs to it, and gets no repository of its own. Undefined without git.
 * child_process (with net, dgram and streams, ~2 ms) is loaded here, so --no-git runs never load it.
 */
export async function enclosingRepository(directory: string): Promise<string | undefined> {
  const { spawnSync } = await import('node:child_process');
  let dir = directory;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const answer = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
  const top = answer.status === 0 ? answer.stdout.trim() : '';
  return top === '' ? undefined : top;
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
  // Made by this run whichever step fails, init's own half-made folder included.
  const made = !existsSync(join(directory, '.git'));
  try {
    await git('init', '--quiet');
    await git('add', '--all');
    await git('commit', '--quiet', '--message', MESSAGE);
    step.done('done');
  } catch (error) {
    if (made) rmSync(join(directory, '.git'), { recursive: true, force: true });
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
