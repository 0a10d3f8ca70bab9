import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../../../context.js';

/**
 * git init and a first commit holding the whole project (uv.lock included, as the install ran
 * first). A missing git, identity or any other failure is a warning with git's own reason, and
 * leaves no half-made repository: the project itself is complete either way.
 */
export async function initGit(directory: string, ctx: Pick<Context, 'log'>): Promise<void> {
  const { execa } = await import('../../../on-demand.js');
  const git = (...args: string[]) => execa('git', args, { cwd: directory });
  if (await git('rev-parse', '--is-inside-work-tree').then(() => true, () => false)) {
    ctx.log.info('git: already inside a repository; leaving it to you');
    return;
  }
  const step = ctx.log.step('git: first commit');
  let initialised = false;
  try {
    await git('init', '--quiet');
    initialised = true;
    await git('add', '--all');
    await git('commit', '--quiet', '--message', 'Initial commit from create-layered-backend');
    step.done('done');
  } catch (error) {
    if (initialised) rmSync(join(directory, '.git'), { recursive: true, force: true });
    const { stderr, shortMessage, message } = error as { stderr?: string; shortMessage?: string; message: string };
    const reason = stderr?.trim().split('\n').find((line) => line.trim() !== '') ?? shortMessage ?? message;
    step.fail(`no repository made (${reason}); run git init yourself once git works`);
  }
}
