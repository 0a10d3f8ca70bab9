import { isatty } from 'node:tty';
import pc from 'picocolors';

/**
 * Where output goes: results and next steps on stdout (and, with --json, nothing but the JSON);
 * warnings, progress and errors on stderr.
 */
export interface Logger {
  info(message: string): void;
  success(message: string): void;
  warn(message: string): void;
  /** Machine-readable output (`--dry-run --json`): printed as is, on stdout. */
  raw(text: string): void;
  /** A step that takes a while (git, the install): shown with its elapsed time until it ends. */
  step(label: string): Step;
}

export interface Step {
  done(outcome?: string): void;
  fail(outcome: string): void;
}

export interface TextQuestion {
  message: string;
  /** Shown greyed in the empty field, and taken when the answer is left empty. */
  placeholder?: string;
  /** A message when `value` will not do; undefined when it will. */
  validate?: (value: string) => string | undefined;
}
export interface Choice<T extends string> {
  value: T;
  label: string;
  hint?: string;
}

/** Everything the wizard may ask. Commands receive it on the Context, so tests hand in a scripted one. */
export interface Prompter {
  intro(title: string): Promise<void>;
  outro(message: string): Promise<void>;
  text(question: TextQuestion): Promise<string>;
  select<T extends string>(question: { message: string; options: Choice<T>[]; initialValue: T }): Promise<T>;
  multiselect<T extends string>(question: { message: string; options: Choice<T>[]; initialValues: T[] }): Promise<T[]>;
  confirm(question: { message: string; initialValue: boolean }): Promise<boolean>;
}

export interface Context {
  cwd: string;
  /** False without a TTY, on a dumb terminal, with CI set, or with --yes: then nothing may prompt. */
  interactive: boolean;
  log: Logger;
  prompt: Prompter;
}

/**
 * Colours for what goes to stderr, decided for stderr: picocolors decides for stdout, so a
 * warning redirected to a log file from a terminal carried escape codes, and a terminal whose
 * stdout was piped got no red. Its rule otherwise: NO_COLOR and --no-color, FORCE_COLOR and
 * --color, Windows, CI.
 */
export const stderrColors = pc.createColors(
  !process.env.NO_COLOR &&
    !process.argv.includes('--no-color') &&
    (Boolean(process.env.FORCE_COLOR) ||
      process.argv.includes('--color') ||
      process.platform === 'win32' ||
      (isatty(2) && process.env.TERM !== 'dumb') ||
      Boolean(process.env.CI)),
);

const seconds = (started: number) => `${Math.round((Date.now() - started) / 1000)} s`;

/**
 * A step on stderr: on a terminal one line that counts the seconds, rewritten when the step ends;
 * elsewhere (a CI log) a line when it starts and one when it ends. The counting line is cut to the
 * terminal's width: a line that wraps cannot be rewritten, and each second would print another.
 */
function stderrStep(label: string): Step {
  const started = Date.now();
  const room = (process.stderr.columns || 80) - ' ... 9999 s'.length;
  // Too narrow a terminal for a counting line that fits: lines, as in a CI log.
  const live = isatty(2) && room >= 10;
  const counting = label.length > room ? `${label.slice(0, room - 1)}…` : label;
  const timer = live ? setInterval(() => process.stderr.write(`\r${counting}... ${seconds(started)}`), 1000) : undefined;
  timer?.unref();
  process.stderr.write(live ? `${counting}...` : `${label}...\n`);
  const end = (text: string) => {
    clearInterval(timer);
    process.stderr.write(`${live ? '\r\x1b[K' : ''}${text}\n`);
  };
  return {
    done: (outcome = 'done') => end(`${label}: ${outcome} (${seconds(started)})`),
    fail: (outcome) => end(stderrColors.yellow(`${label}: ${outcome} (${seconds(started)})`)),
  };
}

export function consoleLogger(): Logger {
  return {
    info: (message) => console.log(message),
    success: (message) => console.log(pc.green(message)),
    warn: (message) => console.error(stderrColors.yellow(message)),
    raw: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    step: stderrStep,
  };
}

export function isInteractiveTerminal(): boolean {
  // isatty, not process.stdin.isTTY: reading that builds stdin's stream, which only prompts need.
  // A dumb terminal (Emacs' shell) would show the prompts' cursor moves as garbage.
  return !process.env.CI && process.env.TERM !== 'dumb' && isatty(0) && isatty(1);
}
