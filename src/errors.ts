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

/** The command line itself is wrong (unknown flag, missing value without a prompt to ask for it). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** The user pressed Ctrl-C at a prompt. */
export class CancelledError extends CliError {
  constructor() {
    super('cancelled', 130);
    this.name = 'CancelledError';
  }
}
