import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, runCli, tempDir } from '../helpers.js';
import { snapshotTree } from '../tree.js';

/**
 * The real CLI, attacked as a hostile user's machine would: killed at every point of its write
 * phase, signalled mid-write, refused by the file system, and run many times at once.
 */

const ENGINE_FILES = ['.create-layered-backend.lock', '.create-layered-backend.journal'];

async function newProject(): Promise<string> {
  const cwd = await tempDir();
  const created = await runCli(['my-api', '--yes', '--no-install', '--no-git'], cwd);
  expect(created.exitCode, created.stderr).toBe(0);
  return join(cwd, 'my-api');
}

const snapshot = (root: string) => snapshotTree(root, { withFolders: true });

/**
 * The CLI run in `root` with a pause of `delayMs` before each disk change, once its write phase has
 * begun (the journal exists, so the plan has been checked): its process, its exit code to come, and
 * what it has printed on stderr so far.
 */
async function writing(root: string, args: string[], delayMs: number) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', CLB_TEST_APPLY_DELAY_MS: String(delayMs) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  while (!existsSync(join(root, '.create-layered-backend.journal'))) await new Promise((resolve) => setTimeout(resolve, 5));
  return { child, exit, stderr: () => stderr };
}

/** Commands whose write phase is attacked, each with a way to make the project ready for it. */
const COMMANDS: Array<{ name: string; args: string[]; prepare?: (root: string) => Promise<unknown> }> = [
  { name: 'add-domain', args: ['add-domain', 'widgets', '--fields', 'name:str, price:decimal, due:date?'] },
  { name: 'remove-domain', args: ['remove-domain', 'orders'] },
  {
    name: 'remove-domain --purge',
    args: ['remove-domain', 'widgets', '--purge'],
    prepare: (root) => runCli(['add-domain', 'widgets'], root),
  },
  { name: 'create --force', args: ['.', '--force', '--yes', '--no-install', '--no-git', '--domains', 'users,orders,invoices'] },
];

describe('SIGKILL at every point of the write phase', () => {
  it.each(COMMANDS)('$name: the next command restores the old state byte for byte, or the run had finished', async (command) => {
    const template = await newProject();
    await command.prepare?.(template);
    const before = await snapshot(template);
    // The same command run to the end: the state a finished run leaves.
    const finished = await runCli(command.args, template);
    expect(finished.exitCode, finished.stderr).toBe(0);
    const after = await snapshot(template);
    expect(after).not.toEqual(before);

    const pristine = await newProject();
    await command.prepare?.(pristine);
    let killedRuns = 0;
    for (let n = 1; ; n += 1) {
      const root = join(await tempDir(), 'my-api');
      cpSync(pristine, root, { recursive: true });
      const killed = await runCli(command.args, root, { CLB_TEST_KILL_AT: String(n) });
      if (killed.signal !== 'SIGKILL') {
        // n is past the last change: the run finished.
        expect(killed.exitCode, killed.stderr).toBe(0);
        expect(await snapshot(root)).toEqual(after);
        break;
      }
      killedRuns += 1;
      const journaled = existsSync(join(root, '.create-layered-backend.journal', 'journal.json'));
      // Any later command rolls back first; this one then fails on its own (no such domain).
      const next = await runCli(['remove-domain', 'nothing_here'], root);
      expect(next.stderr).not.toMatch(/Internal error/);
      const state = await snapshot(root);
      expect(Object.keys(state).filter((path) => ENGINE_FILES.some((file) => path.startsWith(file))), `n=${n}: ${next.stderr}`).toEqual([]);
      if (JSON.stringify(state) === JSON.stringify(after)) {
        // Killed after the commit point: only leftovers were there to clean.
        continue;
      }
      expect(state, `killed before disk change ${n}`).toEqual(before);
      const rolledBack = /Rolled back an interrupted \S+ \(pid \d+, started [^)]+\): \d+ steps undone/;
      if (journaled) expect(next.stderr).toMatch(rolledBack);
      else expect(next.stderr).not.toMatch(rolledBack);
    }
    expect(killedRuns).toBeGreaterThan(10);
  });

  it('create into a new folder: killed anywhere, the folder is whole or absent, and the next create succeeds', async () => {
    const create = ['my-api', '--yes', '--no-install', '--no-git'];
    const whole = await snapshot(await newProject());
    for (let n = 1; ; n += 4) {
      const cwd = await tempDir();
      const killed = await runCli(create, cwd, { CLB_TEST_KILL_AT: String(n) });
      if (killed.signal !== 'SIGKILL') {
        expect(killed.exitCode, killed.stderr).toBe(0);
        expect(await snapshot(join(cwd, 'my-api'))).toEqual(whole);
        break;
      }
      expect(existsSync(join(cwd, 'my-api'))).toBe(false);
      // The next create removes the dead run's staging folder and succeeds.
      const again = await runCli(create, cwd);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(await snapshot(join(cwd, 'my-api'))).toEqual(whole);
      expect(await readdir(cwd)).toEqual(['my-api']);
    }
  });
});

describe('signals during the write phase', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: the run finishes every change, then exits %i', async (signal, code) => {
    const root = await newProject();
    const reference = await newProject();
    await runCli(['add-domain', 'widgets'], reference);
    const run = await writing(root, ['add-domain', 'widgets'], 40);
    run.child.kill(signal);
    expect(await run.exit).toBe(code);
    expect(run.stderr()).toMatch(/Interrupted after every change was written; the project is complete/);
    expect(await snapshot(root)).toEqual(await snapshot(reference));
  });
});

describe('someone else at the files while a run writes', () => {
  it.each([
    ['add-domain', ['add-domain', 'widgets'], 'src/my_api/routers/__init__.py'],
    ['remove-domain', ['remove-domain', 'orders'], 'src/my_api/services/orders.py'],
  ])('%s: a file saved by hand during the write phase is kept, the run refused (exit 1)', async (_, args, edited) => {
    const root = await newProject();
    const run = await writing(root, args, 100);
    const mine = `${await readFile(join(root, edited), 'utf8')}# saved by an editor meanwhile\n`;
    await writeFile(join(root, edited), mine);
    // The project as it was with the editor's save: the engine's own files aside, which the run removes.
    const before = Object.fromEntries(Object.entries(await snapshot(root)).filter(([path]) => !ENGINE_FILES.some((file) => path.startsWith(file))));
    expect(await run.exit, run.stderr()).toBe(1);
    expect(run.stderr().trim()).toBe(`${edited} was changed by something else while this run was writing; nothing was written, run again`);
    expect(await snapshot(root)).toEqual(before);
  });

  it('Node without WebAssembly (--jitless in NODE_OPTIONS): one line saying so, exit 1, nothing written', async () => {
    // A newcomer's pass: "Internal error: ReferenceError: WebAssembly is not defined", with its stack.
    const root = await newProject();
    const registry = join(root, 'src/my_api/routers/__init__.py');
    await writeFile(registry, `${await readFile(registry, 'utf8')}# Ours: the registry is then read through its syntax tree.\n`);
    const before = await snapshot(root);
    const result = await runCli(['add-domain', 'things'], root, { NODE_OPTIONS: '--jitless' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Reading Python here needs WebAssembly, which this Node runs without (--jitless?): run the command without that flag');
    expect(result.stderr).not.toContain('Internal error');
    expect(await snapshot(root)).toEqual(before);
  });

  it('a dry run while another run writes says so, and does not take it for an interrupted one', async () => {
    const root = await newProject();
    const run = await writing(root, ['add-domain', 'widgets'], 50);
    const dry = await runCli(['add-domain', 'gadgets', '--dry-run'], root);
    expect(dry.exitCode).toBe(1);
    expect(dry.stderr.trim()).toMatch(new RegExp(`^add-domain \\(pid ${run.child.pid}, since [^)]+\\) is writing to ${root} right now; run the dry run again once it has finished$`));
    expect(await run.exit, run.stderr()).toBe(0);
  });

  it.each(['fifo', 'socket'])('a %s where a file is read: refused in one line, exit 1, no wait for a writer', async (kind) => {
    const root = await newProject();
    const registry = join(root, 'src/my_api/routers/__init__.py');
    rmSync(registry);
    const server = kind === 'socket' ? createServer().listen(registry) : undefined;
    if (server) await once(server, 'listening');
    else expect(spawnSync('mkfifo', [registry]).status).toBe(0);
    const result = await runCli(['add-domain', 'widgets'], root);
    server?.close();
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe('src/my_api/routers/__init__.py is not a regular file (a FIFO, socket or device); move it away, then run again');
  });

  it('a FIFO put where a file is being edited: no wait for a writer, the run refused and the FIFO kept', async () => {
    const root = await newProject();
    const registry = join(root, 'src/my_api/routers/__init__.py');
    const run = await writing(root, ['add-domain', 'widgets'], 100);
    rmSync(registry);
    expect(spawnSync('mkfifo', [registry]).status).toBe(0);
    expect(await run.exit, run.stderr()).toBe(1);
    expect(run.stderr().trim()).toBe('src/my_api/routers/__init__.py was changed by something else while this run was writing; nothing was written, run again');
    expect(lstatSync(registry).isFIFO()).toBe(true);
  });
});

const hasStrace = spawnSync('strace', ['-V']).status === 0;

describe.runIf(hasStrace)('file-system faults injected with strace', () => {
  it.each([
    ['rename', 'EACCES', 1],
    ['rename', 'EBUSY', 2],
    ['link', 'EACCES', 3],
    ['link', 'EIO', 9],
    ['rename', 'EROFS', 1],
    ['mkdir', 'ENOSPC', 2],
    ['fsync', 'ENOSPC', 4],
    ['rmdir', 'EBUSY', 1],
  ])('%s failing with %s (#%i): one clear line naming the path, exit 1, project unchanged', async (syscall, errno, when) => {
    const root = await newProject();
    const args = syscall === 'rmdir' ? ['remove-domain', 'orders', '--force'] : ['add-domain', 'widgets'];
    const before = await snapshot(root);
    const result = spawnSync(
      'strace',
      ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:error=${errno}:when=${when}`, process.execPath, bin, ...args],
      { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Cannot \\w+ /\\S+.*\\(${errno}\\)`));
    expect(result.stderr).not.toMatch(/Internal error/);
    expect(await snapshot(root)).toEqual(before);
  });

  it('a full disk when the lock is written: one line naming the lock, exit 1, and no empty lock left to hold the next run up', async () => {
    const root = await newProject();
    const before = await snapshot(root);
    const lock = join(root, '.create-layered-backend.lock');
    const result = spawnSync(
      'strace',
      ['-f', '-qq', '-o', '/dev/null', '-P', lock, '-e', 'trace=write', '-e', 'inject=write:error=ENOSPC', process.execPath, bin, 'add-domain', 'widgets'],
      { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr.trim()).toBe(`Cannot write ${lock}: no space left on the device (ENOSPC)`);
    expect(await snapshot(root)).toEqual(before);
  });

  it.each(['EACCES', 'ENOSPC'])('create, mkdir failing with %s: one line naming a path of the project (or the folder it goes in), never its staging folder; nothing left', async (errno) => {
    // Which mkdir is the staging folder's depends on the Node version (a recursive mkdir of the
    // parent, the compile cache's folder): each of the first few fails in turn.
    const named: string[] = [];
    for (const when of [1, 2, 3, 4, 5, 6]) {
      const cwd = await tempDir();
      const result = spawnSync(
        'strace',
        ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=mkdir,mkdirat', '-e', `inject=mkdir,mkdirat:error=${errno}:when=${when}`, process.execPath, bin, 'my-api', '--no-git', '--no-install'],
        { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' },
      );
      // A mkdir of Node's own (its compile cache's folder) failing does not fail the run.
      if (result.status === 0) continue;
      expect(result.status, result.stderr).toBe(1);
      const line = result.stderr.trim();
      expect(line).toMatch(new RegExp(`^Cannot mkdir ${cwd}(/my-api(/\\S+)?)?: [^\\n]+ \\(${errno}\\)$`));
      expect(line).not.toContain('.create-layered-backend-');
      expect(readdirSync(cwd)).toEqual([]);
      named.push(line.slice('Cannot mkdir '.length, line.indexOf(':')).slice(cwd.length));
    }
    expect(named.filter((path) => path.startsWith('/my-api')).length).toBeGreaterThan(0);
  });

  it('create, the rename that puts the project in place failing: one line naming the project\'s path, not the staging folder; nothing left', async () => {
    const cwd = await tempDir();
    const result = spawnSync(
      'strace',
      ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=rename,renameat,renameat2', '-e', 'inject=rename,renameat,renameat2:error=EACCES:when=1', process.execPath, bin, 'my-api', '--no-git', '--no-install'],
      { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr.trim()).toBe(`Cannot put the project in place at ${cwd}/my-api: permission denied (EACCES); nothing was written`);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('every unlink failing (EIO), the commit and the undo too: the error says the next run restores, and it does', async () => {
    const root = await newProject();
    const before = await snapshot(root);
    const result = spawnSync(
      'strace',
      ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=unlink', '-e', 'inject=unlink:error=EIO', process.execPath, bin, 'add-domain', 'widgets'],
      { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr.trim()).toMatch(/^Cannot unlink \S+journal\.json: input\/output error \(EIO\); some files could not be put back yet, and the next create-layered-backend command in \S+ will restore them$/);
    const next = await runCli(['remove-domain', 'orders', '--dry-run'], root);
    expect(next.stderr).toMatch(/without --dry-run to roll it back first/);
    const restoring = await runCli(['remove-domain', 'nosuch'], root);
    expect(restoring.stderr).toMatch(/Rolled back an interrupted add-domain \(pid \d+, started [^)]+\): \d+ steps undone, the project is as it was before it\./);
    expect(await snapshot(root)).toEqual(before);
  });

  it('a file system without hard links (every link refused, EPERM): add-domain places its files by rename', async () => {
    const root = await newProject();
    const result = spawnSync(
      'strace',
      ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=link', '-e', 'inject=link:error=EPERM', process.execPath, bin, 'add-domain', 'widgets'],
      { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(await readFile(join(root, 'src/my_api/routers/__init__.py'), 'utf8')).toContain('include_router(widgets_router)');
    expect((await snapshot(root))['src/my_api/services/widgets.py']).toBeDefined();
  });
});

describe.runIf(hasStrace)('a read that fails once the file is open', () => {
  // The plan's read, then its re-read before writing: errors on a descriptor name no path of their own.
  it.each([1, 2])('EIO on read #%i of the router registry: one line naming it, exit 1, project unchanged', async (when) => {
    const root = await newProject();
    const registry = join(root, 'src/my_api/routers/__init__.py');
    const before = await snapshot(root);
    const result = spawnSync(
      'strace',
      ['-f', '-qq', '-o', '/dev/null', '-P', registry, '-e', 'trace=read', '-e', `inject=read:error=EIO:when=${when}`, process.execPath, bin, 'add-domain', 'widgets'],
      { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr.trim()).toBe(`Cannot read ${registry}: input/output error (EIO)`);
    expect(await snapshot(root)).toEqual(before);
  });
});

/** Whether this file system honours chattr +i (ext4 does; tmpfs does not). */
function immutableFilesWork(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'clb-chattr-'));
  const file = join(probe, 'probe');
  writeFileSync(file, '');
  const works = spawnSync('chattr', ['+i', file]).status === 0;
  spawnSync('chattr', ['-i', file]);
  rmSync(probe, { recursive: true });
  return works;
}

describe.runIf(immutableFilesWork())('an immutable file', () => {
  it('a file made immutable (chattr +i) refuses the edit: the project is unchanged', async () => {
    const root = await newProject();
    const registry = join(root, 'src/my_api/routers/__init__.py');
    spawnSync('chattr', ['+i', registry]);
    try {
      const before = await snapshot(root);
      const result = await runCli(['add-domain', 'widgets'], root);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/^Cannot rename .*routers\/__init__.py .*\(EPERM\)$/);
      expect(await snapshot(root)).toEqual(before);
    } finally {
      spawnSync('chattr', ['-i', registry]);
    }
  });
});

describe('a file size limit (ulimit -f): a write that goes past it fails with EFBIG, a path of its own unnamed', () => {
  const limited = (args: string[], cwd: string) =>
    spawnSync('sh', ['-c', 'ulimit -f 4 && exec "$@"', 'sh', process.execPath, bin, ...args], {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      encoding: 'utf8',
    });

  it('create: one line naming the file of the project, exit 1, nothing left', async () => {
    const cwd = await tempDir();
    const result = limited(['my-api', '--no-git', '--no-install'], cwd);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr.trim()).toMatch(new RegExp(`^Cannot write ${cwd}/my-api/\\S+: larger than the file size limit \\(ulimit -f\\) \\(EFBIG\\)$`));
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('add-domain: one line naming the file, exit 1, project unchanged', async () => {
    const root = await newProject();
    const before = await snapshot(root);
    const result = limited(['add-domain', 'widgets'], root);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr.trim()).toMatch(/^Cannot write \/\S+: larger than the file size limit \(ulimit -f\) \(EFBIG\)$/);
    expect(await snapshot(root)).toEqual(before);
  });
});

describe('the current folder', () => {
  it('deleted under the shell: one line saying so, exit 1, for create and for a command in a project', async () => {
    const cwd = await tempDir();
    for (const args of [['my-api', '--no-git', '--no-install'], ['add-domain', 'widgets']]) {
      const gone = join(cwd, 'gone');
      const result = spawnSync('sh', ['-c', 'gone=$1; shift; mkdir "$gone" && cd "$gone" && rmdir "$gone" && exec "$@"', 'sh', gone, process.execPath, bin, ...args], {
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
        encoding: 'utf8',
      });
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toBe('Cannot read the current folder: no such file or folder (ENOENT): it was deleted or moved away; cd into a folder that exists\n');
    }
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('runs at once', () => {
  it('eight add-domain runs on different names all land: every router, manifest entry and one migration chain', async () => {
    const root = await newProject();
    const names = ['alphas', 'betas', 'gammas', 'deltas', 'epsilons', 'zetas', 'etas', 'thetas'];
    const results = await Promise.all(names.map((name) => runCli(['add-domain', name], root)));
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(root, '.create-layered-backend.json'), 'utf8'));
    expect(Object.keys(manifest.domains).sort()).toEqual([...names, 'orders', 'users'].sort());
    const registry = await readFile(join(root, 'src/my_api/routers/__init__.py'), 'utf8');
    for (const name of names) expect(registry).toContain(`api_router.include_router(${name}_router)`);
    // One chain: every revision but the first has a parent, and no parent has two children.
    const tree = await snapshotTree(join(root, 'migrations/versions'));
    const parents = Object.values(tree).map((source) => /down_revision: str \| None = (None|"(\w+)")/.exec(source)?.[2] ?? null);
    expect(parents.filter((parent) => parent === null)).toHaveLength(1);
    expect(new Set(parents).size).toBe(parents.length);
    expect(existsSync(join(root, '.create-layered-backend.lock'))).toBe(false);
  });

  it('a lock left by a process that died is taken over; one held by a live process makes the next run wait', async () => {
    const root = await newProject();
    const lock = join(root, '.create-layered-backend.lock');
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const { hostname } = await import('node:os');
    await writeFile(lock, JSON.stringify({ pid: Number(dead.stdout.trim()), host: hostname(), command: 'add-domain', started: 'then' }));
    const taken = await runCli(['add-domain', 'widgets'], root);
    expect(taken.exitCode, taken.stderr).toBe(0);

    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), command: 'add-domain', started: 'now' }));
    const waiting = runCli(['add-domain', 'gadgets'], root);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(existsSync(join(root, 'src/my_api/services/gadgets.py'))).toBe(false);
    spawnSync('rm', ['-f', lock]);
    const waited = await waiting;
    expect(waited.exitCode, waited.stderr).toBe(0);
    expect(waited.stderr).toMatch(/Waiting for add-domain \(pid \d+, since now\) to finish/);
  });
});

describe('an incomplete installation', () => {
  // A partial install or a cleaned npx cache: each file of the package a command loads when it
  // needs it, gone, is named in one line (exit 1), never an internal error, and nothing is written.
  // The registry changed by hand: add-domain then edits it through its syntax tree (tree-sitter).
  it.each(['dist/web-tree-sitter.cjs', 'dist/web-tree-sitter.wasm', 'dist/tree-sitter-python.wasm', 'dist/templates/domain.cjs'])(
    'without %s: one line naming it, exit 1, project unchanged',
    async (file) => {
      const root = await newProject();
      await writeFile(join(root, 'src/my_api/routers/__init__.py'), `${await readFile(join(root, 'src/my_api/routers/__init__.py'), 'utf8')}# Ours.\n`);
      const installed = await tempDir();
      for (const part of ['bin', 'dist', 'package.json', 'CHANGELOG.md']) cpSync(join(bin, '../..', part), join(installed, part), { recursive: true });
      rmSync(join(installed, file));
      const before = await snapshot(root);
      const result = spawnSync(process.execPath, [join(installed, 'bin/create-layered-backend.cjs'), 'add-domain', 'widgets'], {
        cwd: root,
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
        encoding: 'utf8',
      });
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr.trim()).toBe(`Cannot load ${join(installed, file)}: this installation of create-layered-backend is incomplete; reinstall it`);
      expect(await snapshot(root)).toEqual(before);
    },
  );

  // What add-domain reads of a project still as generated (its migrations' heads, the registry)
  // and what it writes are read and checked by their printed shape: the grammar is not loaded.
  it('without tree-sitter, add-domain still runs on a project as generated, a migration edited below its head', async () => {
    const root = await newProject();
    const installed = await tempDir();
    for (const part of ['bin', 'dist', 'package.json', 'CHANGELOG.md']) cpSync(join(bin, '../..', part), join(installed, part), { recursive: true });
    for (const file of ['dist/web-tree-sitter.cjs', 'dist/web-tree-sitter.wasm', 'dist/tree-sitter-python.wasm']) rmSync(join(installed, file));
    const migration = join(root, 'migrations/versions/create_orders.py');
    await writeFile(migration, (await readFile(migration, 'utf8')).replace('\n\ndef upgrade() -> None:\n', '\n\n# Seeded below.\ndef upgrade() -> None:\n    pass\n'));
    const result = spawnSync(process.execPath, [join(installed, 'bin/create-layered-backend.cjs'), 'add-domain', 'widgets', '--fields', 'owner:ref(users), name:str'], {
      cwd: root,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    expect(await readFile(join(root, 'migrations/versions/create_widgets.py'), 'utf8')).toContain('down_revision: str | None = "create_orders"\n');
  });
});
