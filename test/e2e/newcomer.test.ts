import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, runCli, tempDir } from '../helpers.js';
import { snapshotTree } from '../tree.js';

/** The CLI as a newcomer meets it, through the built bin: words, streams, names, steps, faults. */

const quiet = ['--no-install', '--no-git'];

describe('words on the command line', () => {
  it('help, and help for a command, as commander programs have them', async () => {
    const cwd = await tempDir();
    const help = await runCli(['help'], cwd);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('add-domain');
    const command = await runCli(['help', 'add-domain'], cwd);
    expect(command.stdout).toContain('--fields <spec>');
    // --help before a command is that command's, as git has it.
    for (const flag of ['--help', '-h']) expect((await runCli([flag, 'add-domain'], cwd)).stdout).toBe(command.stdout);
    // create is what the top level does: its help, on stdout; help's own help is the same.
    for (const word of ['create', 'help']) {
      const top = await runCli(['help', word], cwd);
      expect(top.exitCode).toBe(0);
      expect(top.stdout).toBe(help.stdout);
    }
    expect(await snapshotTree(cwd, { withFolders: true })).toEqual({});
  });

  it('a near-miss of a command is refused with the command it resembles, exit 2, nothing written', async () => {
    const cwd = await tempDir();
    for (const argv of [['adddomain'], ['add_domain'], ['remove-domian'], ['hlep'], ['adddomain', 'products', '--fields', 'name:str']]) {
      const result = await runCli([...argv, ...quiet], cwd);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim()).toMatch(new RegExp(`^"${argv[0]}" is not a command; did you mean "(add-domain|remove-domain|help)"\\?[^\\n]*$`));
    }
    expect(await snapshotTree(cwd, { withFolders: true })).toEqual({});
  });

  it('options of creating a project put before a command are refused, exit 2: --dry-run there ran the command for real', async () => {
    const cwd = await tempDir();
    expect((await runCli(['my-api', '--yes', '--no-install', '--no-git'], cwd)).exitCode).toBe(0);
    const project = join(cwd, 'my-api');
    const before = await snapshotTree(project, { withFolders: true });
    const refusals: Array<[string[], string]> = [
      [['--dry-run', 'remove-domain', 'orders', '--force'], 'Put --dry-run after the command: create-layered-backend remove-domain ... --dry-run'],
      [['--dry-run', '--json', 'add-domain', 'gadgets'], 'Put --dry-run --json after the command'],
      [['--force', 'add-field', 'users', 'a:int?'], 'add-field takes no --force.'],
      [['--name', 'shop', '-y', 'add-domain', 'gadgets'], '--name shop -y before "add-domain" are read as options of creating a project; nothing ran. add-domain takes no --name, -y.'],
    ];
    for (const [argv, said] of refusals) {
      const result = await runCli(argv, project);
      expect(result.exitCode, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain('nothing ran');
      expect(result.stderr).toContain(said);
    }
    expect(await snapshotTree(project, { withFolders: true })).toEqual(before);
  });

  it('a reader that closes the pipe early (| head) ends nothing in an error', async () => {
    const cwd = await tempDir();
    const child = spawn(process.execPath, [bin, 'help', 'add-domain'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.stdout.destroy();
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(stderr).toBe('');
  });

  it('inside a project a bare word is not taken for a new project; a path is', async () => {
    const cwd = await tempDir();
    await runCli(['my-api', '--yes', ...quiet], cwd);
    const root = join(cwd, 'my-api');
    const before = await snapshotTree(root, { withFolders: true });
    const word = await runCli(['widgets', ...quiet], join(root, 'src'));
    expect(word.exitCode).toBe(2);
    expect(word.stderr).toMatch(/You are inside the project .*my-api, and "widgets" is not a command .* \.\/widgets/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    expect((await runCli(['./nested', ...quiet], root)).exitCode).toBe(0);
  });

  it.each([
    [['add-domain'], /^error: missing required argument 'name' \(run with --help for usage\)$/],
    [['add-domain', 'widgets', '--dryrun'], /^error: unknown option '--dryrun' \(Did you mean --dry-run\?\) \(run with --help for usage\)$/],
    [['x', '--db', 'mysql'], /^error: option '--db <database>' argument 'mysql' is invalid\. Allowed choices are sqlite, postgres\. \(run/],
    [['my-api', 'extra'], /^Too many arguments: a new project takes one directory, not "my-api" "extra" \(run with --help for usage\)$/],
    [['help', 'nosuchcmd'], /^"nosuchcmd" is not a command \(add-domain, .*, create\); see create-layered-backend --help$/],
    [['add-domain', 'widgets', 'extra'], /^error: too many arguments for 'add-domain'\. Expected 1 argument but got 2\. \(run with --help for usage\)$/],
  ])('%j: a usage error in one line, exit 2, nothing written', async (args, message) => {
    const cwd = await tempDir();
    const result = await runCli(args, cwd);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toMatch(message);
    expect(await snapshotTree(cwd, { withFolders: true })).toEqual({});
  });

  it('commander\'s errors are red like the CLI\'s own, when colours are on', async () => {
    const cwd = await tempDir();
    const red = (args: string[]) => runCli(args, cwd, { NO_COLOR: '', FORCE_COLOR: '1' });
    for (const result of [await red(['--dryrun']), await red(['x', '--db', 'mysql'])]) {
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/^\x1b\[31m[^\n]+\x1b\[39m$/);
    }
  });

  it.each([
    [['other-api', '--json', ...quiet], '.'],
    [['add-domain', 'widgets', '--json'], 'my-api'],
  ])('%j: --json without --dry-run is a usage error', async (args, where) => {
    const cwd = await tempDir();
    await runCli(['my-api', ...quiet], cwd);
    const result = await runCli(args, join(cwd, where));
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe('--json prints the plan of a dry run: add --dry-run');
  });
});

describe('output', () => {
  it('results and next steps on stdout, nothing on stderr when all goes well', async () => {
    const cwd = await tempDir();
    const result = await runCli(['my-api', ...quiet], cwd);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Python package "my_api", from the project name\nCreated my-api: \d+ files, domains users, orders\n\nNext steps:\n/);
  });

  it('the JSON plan: its format, the resolved options, every change and the steps it would run', async () => {
    const cwd = await tempDir();
    const result = await runCli(['shop', '--dry-run', '--json', '--db', 'postgres', '--domains', 'products'], cwd);
    const plan = JSON.parse(result.stdout);
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8'));
    expect(plan).toMatchObject({
      format: 1,
      version,
      dryRun: true,
      command: 'create',
      options: { projectName: 'shop', packageName: 'shop', domains: ['products'], db: 'postgres', extras: [], git: true, install: true },
    });
    expect(plan.steps).toEqual([
      { name: 'install', run: expect.stringMatching(/^uv sync$|^python3 -m venv \.venv && /) },
      { name: 'git', run: "git init && git add --all && git commit --message 'Initial commit from create-layered-backend'" },
    ]);
    expect(plan.changes.find((change: { path: string }) => change.path === 'pyproject.toml')).toMatchObject({ action: 'create' });
    expect(result.stderr).toBe('');
    expect(await snapshotTree(cwd, { withFolders: true })).toEqual({});
  });

  it('inside a git repository: the dry run says git will be skipped, and the run skips it saying so', async () => {
    const cwd = await tempDir();
    spawnSync('git', ['init', '--quiet'], { cwd });
    const planned = JSON.parse((await runCli(['sub', '--dry-run', '--json', '--no-install'], cwd)).stdout);
    expect(planned.steps).toEqual([{ name: 'git', run: expect.stringMatching(/^git init/), skip: `inside the repository at ${cwd}: no repository of its own` }]);
    const text = await runCli(['sub', '--dry-run', '--no-install'], cwd);
    expect(text.stdout).toContain(`\n  skip   git: inside the repository at ${cwd}: no repository of its own\n`);
    const run = await runCli(['sub', '--no-install'], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain(`git: inside the repository at ${cwd}: no repository of its own\n`);
    expect(existsSync(join(cwd, 'sub/.git'))).toBe(false);
  });

  it('git decides what a repository is: GIT_DIR naming another one counts, a .git that is none does not', async () => {
    const cwd = await tempDir();
    const other = join(cwd, 'other');
    await mkdir(other);
    spawnSync('git', ['init', '--quiet'], { cwd: other });
    const planned = JSON.parse((await runCli(['sub', '--dry-run', '--json', '--no-install'], cwd, { GIT_DIR: join(other, '.git') })).stdout);
    expect(planned.steps[0].skip).toMatch(/^inside the repository at /);
    const run = await runCli(['sub', '--no-install'], cwd, { GIT_DIR: join(other, '.git') });
    expect(run.exitCode, run.stderr).toBe(0);
    // Nothing was committed into the other repository.
    expect(spawnSync('git', ['rev-parse', '--verify', 'HEAD'], { cwd: other }).status).not.toBe(0);
    await mkdir(join(cwd, 'fake/.git'), { recursive: true });
    const inFake = await runCli(['fake/proj', '--no-install'], cwd);
    expect(inFake.stderr).toContain('git: first commit: done');
    expect(spawnSync('git', ['log', '--oneline'], { cwd: join(cwd, 'fake/proj') }).stdout.toString()).toMatch(/Initial commit/);
  });

  it('the editing commands type their next step as it runs in a new shell: through uv run where uv installed the project, else from .venv', async () => {
    const cwd = await tempDir();
    await runCli(['my-api', ...quiet], cwd);
    const root = join(cwd, 'my-api');
    expect((await runCli(['add-domain', 'widgets'], root)).stdout).toContain('Next: alembic upgrade head, then pytest.');
    // pip's virtualenv, which a new shell has not activated.
    await mkdir(join(root, '.venv/bin'), { recursive: true });
    await symlink('/usr/bin/python3', join(root, '.venv/bin/python'));
    expect((await runCli(['remove-domain', 'widgets'], root)).stdout).toContain('Next: .venv/bin/alembic upgrade head drops the table.');
    expect((await runCli(['add-domain', 'widgets'], root)).stdout).toContain('Next: .venv/bin/alembic upgrade head, then .venv/bin/pytest.');
    await writeFile(join(root, 'uv.lock'), 'version = 1\n');
    expect((await runCli(['add-field', 'widgets', 'size:int?'], root)).stdout).toContain('Next: uv run alembic upgrade head adds the columns.');
    expect((await runCli(['remove-field', 'widgets', 'size'], root)).stdout).toContain('Next: uv run alembic upgrade head drops the column.');
    expect((await runCli(['add-domain', 'gadgets'], root)).stdout).toContain('Next: uv run alembic upgrade head, then uv run pytest.');
  });

  it('a text dry run says nothing was written, and remove-domain lists the files it would keep', async () => {
    const cwd = await tempDir();
    await runCli(['my-api', ...quiet], cwd);
    const root = join(cwd, 'my-api');
    await writeFile(join(root, 'src/my_api/schemas/orders.py'), `${await readFile(join(root, 'src/my_api/schemas/orders.py'), 'utf8')}# mine\n`);
    const before = await snapshotTree(root, { withFolders: true });
    const result = await runCli(['remove-domain', 'orders', '--dry-run'], root);
    expect(result.stdout).toContain('  keep    src/my_api/schemas/orders.py\n');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('Dry run: nothing was written.');
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });
});

describe('names from a folder', () => {
  it('"My Project" gives a PEP 508 project name and a package, and says so', async () => {
    const cwd = await tempDir();
    const result = await runCli(['My Project', ...quiet], cwd);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Project name "my-project", from the folder "My Project"');
    expect(result.stdout).toContain('Python package "my_project", from the project name');
    expect(result.stdout).toContain("cd 'My Project'");
    const pyproject = await readFile(join(cwd, 'My Project/pyproject.toml'), 'utf8');
    expect(pyproject).toContain('name = "my-project"');
  });

  it('--name is taken exactly or refused with what it could be', async () => {
    const cwd = await tempDir();
    const result = await runCli(['my-api', '--name', '_private', ...quiet], cwd);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/Package name "_private" is not a Python package name .*did you mean "private"\?/);
    expect((await runCli(['my-api', '--name', 'email', ...quiet], cwd)).exitCode).toBe(2);
  });
});

/** A stand-in for a tool on PATH: a shell script. */
async function fakeTool(dir: string, name: string, script: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), `#!/bin/sh\n${script}\n`);
  await chmod(join(dir, name), 0o755);
}

const gitPath = async () => {
  const { execFileSync } = await import('node:child_process');
  return execFileSync('sh', ['-c', 'dirname "$(command -v git)"'], { encoding: 'utf8' }).trim();
};

describe('the install and git steps', () => {
  it('with neither uv nor python3 on PATH: says so, keeps the project, exit 1', async () => {
    const cwd = await tempDir();
    const tools = join(cwd, 'tools');
    await fakeTool(tools, 'git', 'exit 0');
    const result = await runCli(['my-api', '--no-git'], cwd, { PATH: tools });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Neither uv nor python3 is on PATH');
    expect(result.stdout).toContain('python3 -m venv .venv');
    expect(existsSync(join(cwd, 'my-api/pyproject.toml'))).toBe(true);
  });

  it('python3 older than the project needs: said before pip runs, with what to install; the project kept, no .venv, exit 1', async () => {
    const cwd = await tempDir();
    const tools = join(cwd, 'tools');
    await fakeTool(tools, 'python3', 'case "$1" in -c) echo 3.10; exit 0;; esac; mkdir -p .venv; exit 1');
    const result = await runCli(['my-api', '--no-git'], cwd, { PATH: `${tools}:/usr/bin:/bin` });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('python3 on PATH is Python 3.10; the project needs 3.11 or newer. Install it (or uv: https://docs.astral.sh/uv/), then run: cd my-api && python3 -m venv .venv');
    expect(existsSync(join(cwd, 'my-api/.venv'))).toBe(false);
    expect(existsSync(join(cwd, 'my-api/pyproject.toml'))).toBe(true);
  });

  it('a failing install shows the installer\'s last words and how to retry, exit 1, and leaves no half-made .venv', async () => {
    const cwd = await tempDir();
    const tools = join(cwd, 'tools');
    await fakeTool(tools, 'uv', 'mkdir -p .venv/lib; echo "error: no network to reach PyPI" >&2; exit 2');
    const result = await runCli(['my-api', '--no-git'], cwd, { PATH: `${tools}:/usr/bin:/bin` });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('error: no network to reach PyPI');
    expect(result.stderr).toContain('To install them: cd my-api && uv sync');
    expect(existsSync(join(cwd, 'my-api/.venv'))).toBe(false);
  });

  it('Ctrl-C during the install removes the half-made .venv and says what to run, git included, exit 130', async () => {
    const cwd = await tempDir();
    const tools = join(cwd, 'tools');
    await fakeTool(tools, 'uv', 'case "$1" in --version) exit 0;; esac; mkdir -p .venv/lib; touch started; exec sleep 30');
    const child = spawn(process.execPath, [bin, 'my api'], {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', PATH: `${tools}:/usr/bin:/bin` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    while (!existsSync(join(cwd, 'my api/started'))) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(130);
    expect(stderr).toContain(
      "Install interrupted; the project is complete. To install it: cd 'my api' && uv sync && git init && git add --all && git commit --message 'Initial commit from create-layered-backend'\n",
    );
    expect(existsSync(join(cwd, 'my api/.venv'))).toBe(false);
    expect(existsSync(join(cwd, 'my api/.git'))).toBe(false);
    expect(existsSync(join(cwd, 'my api/pyproject.toml'))).toBe(true);
  });

  it.runIf(spawnSync('script', ['--version']).status === 0)('on a narrow terminal the counting line fits, so each second rewrites it instead of adding one', async () => {
    const cwd = await tempDir();
    const tools = join(cwd, 'tools');
    // No uv: the pip install, whose label (its three commands) is wider than the terminal.
    await fakeTool(tools, 'python3', 'mkdir -p .venv/bin; printf "#!/bin/sh\\nsleep 1.3\\n" > .venv/bin/python; chmod +x .venv/bin/python');
    const command = `stty cols 50; PATH=${tools}:/usr/bin:/bin ${process.execPath} ${bin} my-api --yes --no-git`;
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { cwd, encoding: 'utf8', env: { ...process.env, CI: '', NO_COLOR: '1' } });
    expect(result.status, result.stdout).toBe(0);
    const counting = result.stdout.split(/[\r\n]+/).filter((line) => /\.\.\. \d+ s$/.test(line));
    expect(counting.length).toBeGreaterThan(0);
    for (const line of counting) expect(line.length).toBeLessThanOrEqual(50);
  });

  it.runIf(spawnSync('script', ['--version']).status === 0)('a dumb terminal (TERM=dumb, as in Emacs\' shell) gets no prompts, whose cursor moves it would show as garbage', async () => {
    const cwd = await tempDir();
    const result = spawnSync('script', ['-qec', `TERM=dumb ${process.execPath} ${bin}; echo "exit $?"`, '/dev/null'], { cwd, encoding: 'utf8', env: { ...process.env, CI: '', NO_COLOR: '1' } });
    expect(result.stdout).toContain('Missing project directory: create-layered-backend <directory> (no terminal to ask it on; run with --help for usage)');
    expect(result.stdout).toContain('exit 2');
    expect(result.stdout).not.toContain('\x1b[');
  });

  it.runIf(spawnSync('script', ['--version']).status === 0)('colours errors by where stderr goes: none in a log file from a terminal, red on a terminal whose stdout is piped', async () => {
    const cwd = await tempDir();
    const env = { ...process.env, CI: '', NO_COLOR: '', FORCE_COLOR: '', TERM: 'xterm' };
    const fromTerminal = spawnSync('script', ['-qec', `${process.execPath} ${bin} my-api --db nope 2>errors.log`, '/dev/null'], { cwd, encoding: 'utf8', env });
    const logged = await readFile(join(cwd, 'errors.log'), 'utf8');
    expect(logged).toContain('--db');
    expect(logged).not.toContain('\x1b[');
    const piped = spawnSync('script', ['-qec', `${process.execPath} ${bin} my-api --db nope | cat >/dev/null`, '/dev/null'], { cwd, encoding: 'utf8', env });
    expect(piped.stdout).toContain('\x1b[31m');
    expect(fromTerminal.stdout).toBe('');
  });

  it('Ctrl-C during git\'s commit leaves no repository and says how to make one, exit 130', async () => {
    const cwd = await tempDir();
    const tools = join(cwd, 'tools');
    await fakeTool(tools, 'git', 'case "$1" in rev-parse) exit 128;; init) mkdir .git;; commit) touch committing; exec sleep 30;; esac; exit 0');
    const child = spawn(process.execPath, [bin, 'my-api', '--no-install'], {
      cwd,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', PATH: `${tools}:/usr/bin:/bin` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    while (!existsSync(join(cwd, 'my-api/committing'))) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(130);
    expect(stderr).toContain(
      "Interrupted; no repository made, and the project is complete. To make one: cd my-api && git init && git add --all && git commit --message 'Initial commit from create-layered-backend'\n",
    );
    expect(existsSync(join(cwd, 'my-api/.git'))).toBe(false);
  });

  it('a git init that fails halfway leaves no .git', async () => {
    const cwd = await tempDir();
    const tools = join(cwd, 'tools');
    await fakeTool(tools, 'git', 'case "$1" in rev-parse) exit 128;; init) mkdir -p .git/refs; exit 1;; esac; exit 0');
    const result = await runCli(['my-api', '--no-install'], cwd, { PATH: `${tools}:/usr/bin:/bin` });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('git: first commit: no repository made');
    expect(existsSync(join(cwd, 'my-api/.git'))).toBe(false);
  });

  it('git not on PATH: says so, with the commands for later; the project is made, exit 0', async () => {
    const cwd = await tempDir();
    const result = await runCli(['my-api', '--no-install'], cwd, { PATH: join(cwd, 'nothing') });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/git: first commit: no repository made \(git is not on PATH\); to make one: cd my-api && git init && /);
    expect(existsSync(join(cwd, 'my-api/pyproject.toml'))).toBe(true);
  });

  it('a git commit that fails leaves no repository and gives git\'s reason', async () => {
    const cwd = await tempDir();
    const result = await runCli(['my-api', '--no-install'], cwd, {
      PATH: `${await gitPath()}:/usr/bin:/bin`,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      // No identity, and git told not to guess one: the commit fails as on a fresh machine.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'user.useConfigOnly',
      GIT_CONFIG_VALUE_0: 'true',
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'git: first commit: no repository made (git does not know who commits: git config --global user.name "Your Name" && git config --global user.email you@example.com); to make one: cd my-api && git init && ',
    );
    expect(existsSync(join(cwd, 'my-api/.git'))).toBe(false);
  });
});
