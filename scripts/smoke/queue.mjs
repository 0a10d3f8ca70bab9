// Live checks of the queue, the schedulers and the shared rate limit on a real Redis (loopback),
// with the generated project's own processes: uvicorn, `docker-entrypoint.sh worker|scheduler`.
// Each check is bounded: every wait has a deadline, and every process it starts is stopped.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { call, freePort, waitForHealth } from './live.mjs';

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

async function until(what, deadline, probe) {
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A process of the project, its output kept; `logs()` parses the JSON lines it wrote. */
function start(project, env, command, args) {
  const venv = join(project, '.venv', 'bin');
  const child = spawn(command, args, { cwd: project, env: { ...env, PATH: `${venv}:${process.env.PATH}` } });
  const output = [];
  child.stdout.on('data', (chunk) => output.push(String(chunk)));
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise((resolveExit) => child.on('exit', (code, signal) => resolveExit({ code, signal })));
  const logs = () =>
    output
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
  const stop = async (signal = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return { child, output, logs, stop, exited };
}

/** `alembic upgrade head`, through the image's entry point as compose.yaml runs it. */
async function migrate(project, env) {
  const migration = start(project, env, 'sh', ['docker-entrypoint.sh', 'migrate']);
  expect((await migration.exited).code === 0, `migrate failed: ${migration.output.join('')}`);
}

async function startApp(project, env, pkg) {
  const port = await freePort();
  const app = start(project, env, 'uvicorn', [`${pkg}.main:app`, '--host', '127.0.0.1', '--port', String(port)]);
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base, app.child, Date.now() + 30_000);
  return { ...app, base };
}

/** Holds SQLite's exclusive lock on the app's database until released: a job writing waits on it. */
async function lockDatabase(project) {
  const script = "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\nsys.stdin.read()";
  const holder = spawn('python3', ['-c', script, join(project, 'smoke.db')]);
  await new Promise((resolveLock, reject) => {
    holder.stdout.on('data', resolveLock);
    holder.on('exit', () => reject(new Error('could not lock the database')));
  });
  return () => {
    holder.stdin.end();
    return new Promise((resolveExit) => holder.on('exit', resolveExit));
  };
}

const finished = (logs, jobId) => logs.filter((line) => line.message === 'job finished' && line.job_id === jobId && line.ok);
const started = (logs, jobId) => logs.some((line) => line.message === 'job started' && line.job_id === jobId);

/**
 * Two workers behind one app on a real Redis: 20 jobs over HTTP, each run once; a worker SIGKILLed
 * mid-job loses nothing (the other runs it after the redelivery time); a worker SIGTERMed mid-job
 * finishes it and exits 0. The jobs write rows, so "once" is counted in the database too.
 * `firstDomain` is the one the jobs' examples use.
 */
export async function liveWorkers(project, env, pkg, firstDomain) {
  const started_ = Date.now();
  const domain = firstDomain.replaceAll('_', '-');
  const prefix = pkg.toUpperCase();
  // A job unacknowledged for 3 s goes to another worker: the SIGKILL check waits that long.
  const workerEnv = { ...env, [`${prefix}_LOG_JSON`]: 'true', [`${prefix}_WORKER_REDELIVERY_SECONDS`]: '3', [`${prefix}_WORKER_DRAIN_SECONDS`]: '10' };
  const processes = [];
  const log = [];
  try {
    await migrate(project, env);
    const app = await startApp(project, env, pkg);
    processes.push(app);
    const workers = [0, 1].map(() => start(project, workerEnv, 'sh', ['docker-entrypoint.sh', 'worker']));
    processes.push(...workers);
    const listening = (worker) => worker.logs().some((line) => line.message === 'Listening started.');
    await until('both workers to listen', Date.now() + 30_000, () => workers.every(listening));
    const allLogs = () => workers.flatMap((worker) => worker.logs());
    const names = async () => (await call(app.base, 'GET', `/${domain}?limit=200`)).body.items.map((item) => item.name);

    // 1. Each of 20 jobs runs once.
    const items = Array.from({ length: 20 }, (_, i) => ({ name: `job-${i}` }));
    const posted = await call(app.base, 'POST', `/imports/${domain}`, items);
    expect(posted.status === 202 && posted.body.job_ids.length === 20, `POST /imports/${domain}: ${posted.status}`);
    await until('20 rows', Date.now() + 30_000, async () => (await names()).filter((name) => name.startsWith('job-')).length >= 20);
    await sleep(500);
    const rows = (await names()).filter((name) => name.startsWith('job-'));
    expect(rows.length === 20 && new Set(rows).size === 20, `rows after 20 jobs: ${rows.join(', ')}`);
    const runs = posted.body.job_ids.map((id) => finished(allLogs(), id).length);
    expect(runs.every((count) => count === 1), `runs per job: ${runs.join(', ')}`);
    const shares = workers.map((worker) => worker.logs().filter((line) => line.message === 'job finished').length);
    log.push(`20 jobs, each run once (worker shares ${shares.join(' + ')})`);

    // 2. SIGKILL mid-job: the job waits on the locked database when its worker dies.
    let release = await lockDatabase(project);
    const killed = await call(app.base, 'POST', `/imports/${domain}`, [{ name: 'survives-sigkill' }]);
    const [killedId] = killed.body.job_ids;
    const holder = await until('the job to start', Date.now() + 15_000, () => workers.find((worker) => started(worker.logs(), killedId)));
    const other = workers.find((worker) => worker !== holder);
    await holder.stop('SIGKILL');
    await release();
    const killedAt = Date.now();
    await until('the other worker to run the job', Date.now() + 30_000, () => finished(other.logs(), killedId).length > 0);
    const rerunAfter = ((Date.now() - killedAt) / 1000).toFixed(1);
    const survivors = (await names()).filter((name) => name === 'survives-sigkill');
    expect(survivors.length === 1, `rows of the killed job: ${survivors.length}`);
    expect(finished(holder.logs(), killedId).length === 0, 'the killed worker finished the job?');
    log.push(`SIGKILL mid-job: run by the other worker ${rerunAfter} s later, one row`);

    // 3. SIGTERM mid-job: the worker finishes the job, then exits 0.
    release = await lockDatabase(project);
    const drained = await call(app.base, 'POST', `/imports/${domain}`, [{ name: 'drained' }]);
    const [drainedId] = drained.body.job_ids;
    await until('the job to start', Date.now() + 15_000, () => started(other.logs(), drainedId));
    const stopping = other.stop('SIGTERM');
    await sleep(1000);
    expect(other.child.exitCode === null, 'the worker exited before its job was done');
    await release();
    const { code } = await Promise.race([stopping, sleep(15_000).then(() => ({ code: 'still running after 15 s' }))]);
    expect(code === 0, `worker exit after SIGTERM: ${code}`);
    expect(finished(other.logs(), drainedId).length === 1, 'the drained job did not finish');
    expect((await names()).filter((name) => name === 'drained').length === 1, 'no row for the drained job');
    log.push('SIGTERM mid-job: finished, exit 0');
    return { ok: true, output: log.join('; '), seconds: (Date.now() - started_) / 1000 };
  } catch (error) {
    const tails = processes.map((p, i) => `--- process ${i} ---\n${p.output.join('').slice(-800)}`).join('\n');
    return { ok: false, output: `${tails}\n${log.join('\n')}\n${error.message}` };
  } finally {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  }
}

/**
 * Two schedulers on a 1 s interval, watched for 6 s once both have started: every slot between
 * the first and the last ran once, and SIGTERM stops both with exit 0.
 */
export async function liveSchedulers(project, env, pkg, firstDomain) {
  const begun = Date.now();
  const job = `count_${firstDomain}`;
  const prefix = pkg.toUpperCase();
  const schedulerEnv = { ...env, [`${prefix}_LOG_JSON`]: 'true', [`${prefix}_SCHEDULES`]: JSON.stringify({ [job]: { every_seconds: 1 } }) };
  const schedulers = [];
  try {
    await migrate(project, env);
    schedulers.push(...[0, 1].map(() => start(project, schedulerEnv, 'sh', ['docker-entrypoint.sh', 'scheduler'])));
    const running = (s) => s.logs().some((line) => line.message === 'scheduler started');
    await until('both schedulers to start', Date.now() + 30_000, () => schedulers.every(running));
    await sleep(6000);
    const exits = await Promise.all(schedulers.map((s) => Promise.race([s.stop('SIGTERM'), sleep(10_000).then(() => ({ code: 'hung' }))])));
    expect(exits.every(({ code }) => code === 0), `exit codes after SIGTERM: ${exits.map((e) => e.code).join(', ')}`);
    const runs = schedulers.flatMap((s) => s.logs().filter((line) => line.message === 'run finished' && line.job === job).map((line) => line.slot));
    const seconds = [...new Set(runs)].map((slot) => Date.parse(slot) / 1000).sort((a, b) => a - b);
    expect(runs.length === seconds.length, `a slot ran twice: ${runs.sort().join(', ')}`);
    expect(seconds.length >= 5, `only ${seconds.length} runs in 6 s`);
    expect(seconds.at(-1) - seconds[0] === seconds.length - 1, `a slot was missed: ${runs.sort().join(', ')}`);
    const shares = schedulers.map((s) => s.logs().filter((line) => line.message === 'run finished').length);
    return { ok: true, output: `${seconds.length} slots, each run once (shares ${shares.join(' + ')})`, seconds: (Date.now() - begun) / 1000 };
  } catch (error) {
    const tails = schedulers.map((s, i) => `--- scheduler ${i} ---\n${s.output.join('').slice(-1500)}`).join('\n');
    return { ok: false, output: `${tails}\n${error.message}` };
  } finally {
    await Promise.all(schedulers.map((s) => s.stop('SIGKILL')));
  }
}

/** Two app processes on one Redis, RATE_LIMIT=5/minute: requests alternate, and the 6th is a 429. */
export async function sharedRateLimit(project, env, pkg) {
  const begun = Date.now();
  const prefix = pkg.toUpperCase();
  const limited = { ...env, [`${prefix}_RATE_LIMIT`]: '5/minute' };
  const apps = [];
  try {
    apps.push(await startApp(project, limited, pkg), await startApp(project, limited, pkg));
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await call(apps[i % 2].base, 'GET', '/openapi.json')).status);
    expect(statuses.join() === '200,200,200,200,200,429', `statuses across both apps: ${statuses.join(', ')}`);
    return { ok: true, output: statuses.join(', '), seconds: (Date.now() - begun) / 1000 };
  } catch (error) {
    return { ok: false, output: `${apps.map((a) => a.output.join('').slice(-1500)).join('\n')}\n${error.message}` };
  } finally {
    await Promise.all(apps.map((a) => a.stop('SIGKILL')));
  }
}
