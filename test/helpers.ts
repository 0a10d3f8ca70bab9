import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { Context, Prompter } from '../src/context.js';
import { CancelledError } from '../src/errors.js';

const tempDirs: string[] = [];

/** A new empty folder, removed when the test file is done (test/setup.ts). */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'clb-test-'));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * A Context whose output is collected and whose prompt answers from a script: each answer is a
 * value, or a list of values given in turn until one passes the question's validation (the ones
 * refused, with their messages, are in `refused`). Without a script it refuses to be asked.
 */
export function testContext(cwd: string, answers?: Record<string, unknown>) {
  const output: string[] = [];
  const asked: string[] = [];
  const refused: string[] = [];
  const answer = async <T>(message: string, fallback: T, validate?: (value: T) => string | undefined): Promise<T> => {
    asked.push(message);
    if (!answers) throw new Error(`prompted without a TTY: ${message}`);
    const scripted = answers[message];
    for (const value of (Array.isArray(scripted) && typeof fallback === 'string' ? scripted : [scripted]) as Array<T | undefined>) {
      if (value === 'CANCEL') throw new CancelledError();
      const given = value === undefined || value === '' ? fallback : value;
      const problem = validate?.(given);
      if (problem === undefined) return given;
      refused.push(`${String(value)}: ${problem}`);
    }
    throw new Error(`no scripted answer to "${message}" passes its validation: ${refused.join('; ')}`);
  };
  const prompt: Prompter = {
    intro: async (title) => void output.push(`[intro] ${title}`),
    outro: async (message) => void output.push(`[outro] ${message}`),
    text: (q) => answer(q.message, q.placeholder ?? '', q.validate),
    select: (q) => answer(q.message, q.initialValue),
    multiselect: (q) => answer(q.message, q.initialValues),
    confirm: (q) => answer(q.message, q.initialValue),
  };
  const log = {
    info: (m: string) => output.push(m),
    success: (m: string) => output.push(m),
    warn: (m: string) => output.push(m),
    raw: (m: string) => output.push(m),
    step: (label: string) => ({
      done: (outcome = 'done') => void output.push(`${label}: ${outcome}`),
      fail: (outcome: string) => void output.push(`${label}: ${outcome}`),
    }),
  };
  const ctx: Context = { cwd, interactive: answers !== undefined, log, prompt };
  return { ctx, output, asked, refused };
}

/** The built bin (`npm test` builds first), run as a user would: no TTY, CI set. */
export const bin = resolve(import.meta.dirname, '../bin/create-layered-backend.cjs');

export function runCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, env: { CI: 'true', NO_COLOR: '1', ...env } });
}
