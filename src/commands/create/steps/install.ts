import type { Context } from '../../../context.js';

export interface InstallResult {
  installer: 'uv' | 'pip';
  failed: boolean;
  /** The command a user runs to try again. */
  retry: string;
}

/** `uv sync` when uv is on PATH, else a venv with pip. Output streams through so progress shows. */
export async function installDependencies(directory: string, ctx: Pick<Context, 'log'>): Promise<InstallResult> {
  const { execa } = await import('../../../on-demand.js');
  const hasUv = await execa('uv', ['--version']).then(
    () => true,
    () => false,
  );
  const steps: Array<[string, string[]]> = hasUv
    ? [['uv', ['sync', '--extra', 'dev']]]
    : [
        ['python3', ['-m', 'venv', '.venv']],
        ['.venv/bin/python', ['-m', 'pip', 'install', '--quiet', '-e', '.[dev]']],
      ];
  const retry = steps.map(([command, args]) => [command, ...args].join(' ')).join(' && ');
  ctx.log.info(`Installing dependencies: ${retry}`);
  for (const [command, args] of steps) {
    try {
      await execa(command, args, { cwd: directory, stdout: 'inherit', stderr: 'inherit' });
    } catch {
      return { installer: hasUv ? 'uv' : 'pip', failed: true, retry };
    }
  }
  return { installer: hasUv ? 'uv' : 'pip', failed: false, retry };
}
