import { isatty } from 'node:tty';
import pc from 'picocolors';

export interface Logger {
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  /** Machine-readable output (e.g. `--dry-run --json`): printed as is, on stdout. */
  raw(text: string): void;
}

export interface TextQuestion {
  message: string;
  initialValue?: string;
  validate?: (value: string) => string | undefined;
}
export interface Choice<T extends string> {
  value: T;
  label: string;
  hint?: string;
}

/** Everything a command may ask. Commands receive it on the Context, so tests hand in a scripted one. */
export interface Prompter {
  text(question: TextQuestion): Promise<string>;
  select<T extends string>(question: { message: string; options: Choice<T>[]; initialValue: T }): Promise<T>;
  multiselect<T extends string>(question: { message: string; options: Choice<T>[]; initialValues: T[] }): Promise<T[]>;
  confirm(question: { message: string; initialValue: boolean }): Promise<boolean>;
}

export interface Context {
  cwd: string;
  /** False without a TTY, with CI set, or with --yes: then nothing may prompt. */
  interactive: boolean;
  log: Logger;
  prompt: Prompter;
}

export function consoleLogger(): Logger {
  return {
    info: (message) => console.error(message),
    success: (message) => console.error(pc.green(message)),
    warn: (message) => console.error(pc.yellow(message)),
    raw: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

export function isInteractiveTerminal(): boolean {
  // isatty, not process.stdin.isTTY: reading that builds stdin's stream, which only prompts need.
  return !process.env.CI && isatty(0) && isatty(1);
}
