import type { Context } from '../../../context.js';

/** git init + a first commit. A missing git or identity is a warning: the project itself is fine. */
export async function initGit(directory: string, ctx: Pick<Context, 'log'>): Promise<void> {
  const { execa } = await import('../../../on-demand.js');
  const git = (...args: string[]) => execa('git', args, { cwd: directory });
  try {
    const inside = await git('rev-parse', '--is-inside-work-tree').then(
      () => true,
      () => false,
    );
    if (inside) {
      ctx.log.info('git: already inside a repository, leaving it alone');
      return;
    }
    await git('init', '--quiet');
    await git('add', '--all');
    await git('commit', '--quiet', '--message', 'Initial commit from create-layered-backend');
    ctx.log.info('git: initialised with a first commit');
  } catch (error) {
    ctx.log.warn(`git: skipped (${(error as Error & { shortMessage?: string }).shortMessage ?? (error as Error).message})`);
  }
}
