// The next steps create prints, followed literally in a shell, as a newcomer would type them: every
// line but the last (which starts the server and never returns) in one `bash -e`, then the last one
// in the background, on a free port (uvicorn reads UVICORN_PORT), until a POST answers 201.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, freePort, waitForHealth } from './live.mjs';
import { run } from './run.mjs';

/** Returns { ok, output } like the other smoke steps. */
export async function followNextSteps(bin, parent, args, env) {
  const created = await run(bin, args, { cwd: parent, env });
  if (!created.ok) return { ok: false, output: `create failed\n${created.output}` };
  const steps = created.stdout.split('\nNext steps:\n')[1]?.split('\n').filter((line) => line.startsWith('  ')).map((line) => line.slice(2));
  if (!steps || steps.length < 2) return { ok: false, output: `no next steps printed\n${created.stdout}` };
  const server = steps.pop();
  const typed = await run('bash', ['-e', '-c', steps.join('\n')], { cwd: parent, env });
  if (!typed.ok) return { ok: false, output: `the steps failed:\n${steps.join('\n')}\n${typed.output}`.slice(-4000) };

  const project = join(parent, steps[0].replace(/^cd /, '').replace(/^'(.*)'$/, '$1'));
  const port = await freePort();
  const output = [];
  // Its own process group, so that --reload's watcher and the server it starts stop together.
  const running = spawn('bash', ['-c', `${steps[0]}\n${server}`], { cwd: parent, env: { ...env, UVICORN_PORT: String(port) }, detached: true });
  running.stdout.on('data', (chunk) => output.push(String(chunk)));
  running.stderr.on('data', (chunk) => output.push(String(chunk)));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, running, Date.now() + 30_000);
    const [domain] = Object.keys(JSON.parse(readFileSync(join(project, '.create-layered-backend.json'), 'utf8')).domains);
    const posted = await call(base, 'POST', `/${domain}`, { name: 'from the next steps' });
    if (posted.status !== 201) throw new Error(`POST /${domain}: ${posted.status} ${JSON.stringify(posted.body)}`);
    return { ok: true, output: '' };
  } catch (error) {
    return { ok: false, output: `${error.message}\n${steps.join('\n')}\n${server}\n${output.join('').slice(-3000)}` };
  } finally {
    process.kill(-running.pid, 'SIGTERM');
    await new Promise((resolveExit) => (running.exitCode !== null ? resolveExit() : running.on('exit', resolveExit)));
  }
}
