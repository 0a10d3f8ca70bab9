// One command of the smoke, asynchronous so that two combinations run at once (2 cores) and each
// keeps draining the output of the servers it started meanwhile.
import { spawn } from 'node:child_process';

/** Runs `command` to its end: { ok, seconds, output (stdout and stderr together), stdout }. */
export function run(command, args, options = {}) {
  const started = Date.now();
  return new Promise((resolveRun) => {
    const output = [];
    const stdout = [];
    let settled = false;
    const settle = (ok) => {
      if (settled) return;
      settled = true;
      resolveRun({ ok, seconds: (Date.now() - started) / 1000, output: output.join(''), stdout: stdout.join('') });
    };
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => {
      output.push(String(chunk));
      stdout.push(String(chunk));
    });
    child.stderr.on('data', (chunk) => output.push(String(chunk)));
    child.on('error', (error) => {
      output.push(String(error));
      settle(false);
    });
    child.on('close', (code) => settle(code === 0));
  });
}

/** Runs each job, `width` at a time, in order of the list. */
export async function inParallel(jobs, width) {
  const queue = [...jobs];
  const worker = async () => {
    while (queue.length > 0) await queue.shift()();
  };
  await Promise.all(Array.from({ length: width }, worker));
}
