import { accessSync, constants, existsSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Context } from '../../../context.js';
import { InterruptedError } from '../../../errors.js';
import { trapSignals } from '../../../core/transaction.js';

/**
 * How the project's dependencies get installed: `uv sync` when uv is on PATH (it also writes
 * uv.lock, which the Dockerfile and CI install from), else a virtualenv and pip (upgraded first:
 * the dev tools are a PEP 735 dependency group, which pip reads from 25.1 on).
 */
export interface Installer {
  tool: 'uv' | 'pip' | 'none';
  commands: string[][];
}

/** Whether an executable of that name is on PATH (looked up, not run: a dry run or --no-install spawns nothing). */
function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return dir !== '';
    } catch {
      return false;
    }
  });
}

export function chooseInstaller(): Installer {
  if (onPath('uv')) return { tool: 'uv', commands: [['uv', 'sync']] };
  const pip = ['.venv/bin/python', '-m', 'pip', 'install', '--quiet'];
  const commands = [['python3', '-m', 'venv', '.venv'], [...pip, '--upgrade', 'pip'], [...pip, '--editable', '.', '--group', 'dev']];
  return { tool: onPath('python3') ? 'pip' : 'none', commands };
}

/** The commands as a user would type them, to retry. */
export const installCommandLine = (installer: Installer) => installer.commands.map((command) => command.join(' ')).join(' && ');

/**
 * Runs the install with its progress on stderr and its own output kept for a failure. Ctrl-C stops
 * it and says how to run it later (`cd` to `shown`, the folder as a shell reads it), with
 * `thenRun`, what the run would have done after it. A failed or stopped install leaves no
 * half-made .venv. Resolves to whether it worked.
 */
export async function installDependencies(
  directory: string,
  shown: string,
  installer: Installer,
  thenRun: string | undefined,
  ctx: Pick<Context, 'log'>,
): Promise<boolean> {
  const retry = installCommandLine(installer);
  if (installer.tool === 'none') {
    ctx.log.warn(`Neither uv nor python3 is on PATH: install uv (https://docs.astral.sh/uv/) or Python 3.11+, then run: ${retry}`);
    return false;
  }
  const { execa } = await import('../../../on-demand.js');
  if (installer.tool === 'pip') {
    // pip would fail only after a minute, in its resolver's words ("No matching distribution").
    const asked = await execa('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { reject: false });
    const version = /^(\d+)\.(\d+)$/.exec(String(asked.stdout).trim());
    if (asked.exitCode === 0 && version && Number(version[1]) * 100 + Number(version[2]) < 311) {
      ctx.log.warn(`python3 on PATH is Python ${version[0]}; the project needs 3.11 or newer. Install it (or uv: https://docs.astral.sh/uv/), then run: cd ${shown} && ${retry}`);
      return false;
    }
  }
  const venv = join(directory, '.venv');
  const venvExisted = existsSync(venv);
  const step = ctx.log.step(`Installing dependencies (${retry})`);
  let running: { kill(signal: NodeJS.Signals): boolean } | undefined;
  // A terminal's Ctrl-C reaches the installer too; a signal sent to this process alone is passed on.
  const signals = trapSignals((signal) => running?.kill(signal));
  try {
    for (const [command, ...args] of installer.commands) {
      const run = execa(command as string, args, { cwd: directory, all: true, reject: false });
      running = run;
      const result = await run;
      const signal = signals.received();
      // The installer has stopped; a half-made .venv is of no use.
      if ((signal || result.exitCode !== 0) && !venvExisted) rmSync(venv, { recursive: true, force: true });
      if (signal) {
        step.fail('interrupted');
        const then = thenRun === undefined ? '' : ` && ${thenRun}`;
        throw new InterruptedError(`Install interrupted; the project is complete. To install it: cd ${shown} && ${retry}${then}`, signal);
      }
      if (result.exitCode !== 0) {
        step.fail(`failed: ${[command, ...args].join(' ')} exited with ${result.exitCode}`);
        ctx.log.warn(String(result.all ?? '').trim().split('\n').slice(-15).join('\n'));
        return false;
      }
    }
    step.done();
    return true;
  } finally {
    signals.release();
  }
}
