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

/** A Context whose logs are collected and whose prompt answers from a script (or refuses to be asked). */
export function testContext(cwd: string, answers?: Record<string, unknown>) {
  const output: string[] = [];
  const asked: string[] = [];
  const answer = async <T>(message: string, fallback: T): Promise<T> => {
    asked.push(message);
    if (!answers) throw new Error(`prompted without a TTY: ${message}`);
    const value = answers[message];
    if (value === 'CANCEL') throw new CancelledError();
    return (value === undefined ? fallback : value) as T;
  };
  const prompt: Prompter = {
    text: (q) => answer(q.message, q.initialValue ?? ''),
    select: (q) => answer(q.message, q.initialValue),
    multiselect: (q) => answer(q.message, q.initialValues),
    confirm: (q) => answer(q.message, q.initialValue),
  };
  const log = {
    info: (m: string) => output.push(m),
    success: (m: string) => output.push(m),
    warn: (m: string) => output.push(m),
    raw: (m: string) => output.push(m),
  };
  const ctx: Context = { cwd, interactive: answers !== undefined, log, prompt };
  return { ctx, output, asked };
}

/** The built bin (`npm test` builds first), run as a user would: no TTY, CI set. */
export const bin = resolve(import.meta.dirname, '../bin/create-layered-backend.cjs');

export function runCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  return execa(process.execPath, [bin, ...args], { cwd, reject: false, env: { CI: 'true', NO_COLOR: '1', ...env } });
}
