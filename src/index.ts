import { CommanderError } from 'commander';
import { saveCodeCaches } from './code-cache.js';
import { consoleLogger, isInteractiveTerminal, stderrColors, type Context } from './context.js';
import { CliError, environmentFault } from './errors.js';
import { runCommandLine } from './program.js';
import { clackPrompter } from './prompter.js';

let pipesWatched = false;

/**
 * A reader that stops early (`| head`) closes the pipe: what is left to print is dropped, and the
 * command goes on to its end (a transaction left half-written for that would be worse).
 */
function ignoreClosedPipes(): void {
  if (pipesWatched) return;
  pipesWatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/**
 * Runs the CLI and returns the exit code: the one place that turns errors into codes.
 * 0 success, 1 failure, 2 usage error, 130 cancelled.
 */
export async function main(argv: string[], overrides: Partial<Context> = {}): Promise<number> {
  ignoreClosedPipes();
  try {
    const ctx: Context = {
      // Fails when the shell's folder was deleted or moved away meanwhile: a fault like any other.
      cwd: overrides.cwd ?? process.cwd(),
      interactive: isInteractiveTerminal(),
      log: consoleLogger(),
      prompt: overrides.prompt ?? clackPrompter(),
      ...overrides,
    };
    saveCodeCaches(await runCommandLine(argv, ctx));
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed help, the version or its own one-line error.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      console.error(stderrColors.red(error.message));
      return error.exitCode;
    }
    const fault = environmentFault(error);
    if (fault !== undefined) {
      console.error(stderrColors.red(fault));
      return 1;
    }
    console.error(stderrColors.red(`Internal error: ${(error as Error)?.stack ?? String(error)}`));
    console.error('This is a bug in create-layered-backend; please report it with the command you ran.');
    return 1;
  }
}
