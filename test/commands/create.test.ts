import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCreate } from '../../src/commands/create/index.js';
import { shellWord } from '../../src/commands/create/steps/next-steps.js';
import { main } from '../../src/index.js';
import { snapshotTree } from '../tree.js';
import { tempDir, testContext } from '../helpers.js';

const quiet = { git: false, install: false };

describe('create', () => {
  it('writes the layered project with both default domains registered', async () => {
    const cwd = await tempDir();
    const { ctx } = testContext(cwd);
    await runCreate({ directory: 'my-api', ...quiet }, ctx);
    const tree = await snapshotTree(join(cwd, 'my-api'));
    const files = Object.keys(tree);
    for (const domain of ['users', 'orders']) {
      expect(files).toEqual(
        expect.arrayContaining([
          `src/my_api/routers/${domain}/__init__.py`,
          `src/my_api/routers/${domain}/handlers.py`,
          `src/my_api/routers/${domain}/deps.py`,
          `src/my_api/services/${domain}.py`,
          `src/my_api/repositories/${domain}.py`,
          `src/my_api/schemas/${domain}.py`,
          `tests/test_${domain}_api.py`,
        ]),
      );
    }
    expect(files).toEqual(expect.arrayContaining(['.gitignore', '.env.example', 'pyproject.toml', 'README.md']));
    await expect(tree['src/my_api/routers/__init__.py']).toMatchFileSnapshot('__snapshots__/routers__init__.py');
    await expect(tree['src/my_api/services/users.py']).toMatchFileSnapshot('__snapshots__/services_users.py');
    const manifest = JSON.parse(tree['.create-layered-backend.json'] as string);
    expect(manifest.options).toEqual({ projectName: 'my-api', packageName: 'my_api', db: 'sqlite', extras: [], layout: 'layer-first' });
    expect(Object.keys(manifest.files).sort()).toEqual(files.filter((f) => f !== '.create-layered-backend.json').sort());
  });

  it('renders domains exactly as add-domain would (one generator)', async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'a/my-api', domains: 'users,orders', ...quiet }, testContext(cwd).ctx);
    await runCreate({ directory: 'b/my-api', domains: 'users', ...quiet }, testContext(cwd).ctx);
    const { runAddDomain } = await import('../../src/commands/add-domain/index.js');
    await runAddDomain({ name: 'orders' }, testContext(join(cwd, 'b/my-api')).ctx);
    expect(await snapshotTree(join(cwd, 'b/my-api'))).toEqual(await snapshotTree(join(cwd, 'a/my-api')));
  });

  it('asks only for what flags leave open, when interactive', async () => {
    const cwd = await tempDir();
    const { ctx, asked } = testContext(cwd, { 'Domains to start with (comma-separated)': 'products', Database: 'postgres' });
    await runCreate({ directory: 'shop', git: false, install: false, extras: '' }, ctx);
    expect(asked).toEqual(['Python package name', 'Domains to start with (comma-separated)', 'Database']);
    const pyproject = await readFile(join(cwd, 'shop/pyproject.toml'), 'utf8');
    expect(pyproject).toContain('"asyncpg');
    expect(pyproject).not.toContain('aiosqlite');
  });

  it('the wizard: placeholders, each answer validated where it is given, an intro and an outro', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'taken'));
    await writeFile(join(cwd, 'taken/notes.txt'), 'mine\n');
    const { ctx, output, refused } = testContext(cwd, {
      'Where should the project go?': ['taken', 'shop'],
      'Python package name': ['os', 'Shop', ''],
      'Domains to start with (comma-separated)': [' , ', 'class/x', 'products'],
      'Initialise a git repository?': false,
      'Install the Python dependencies now?': false,
    });
    await runCreate({}, ctx);
    expect(refused).toEqual([
      expect.stringMatching(/^taken: taken is not empty; it holds: notes.txt/),
      expect.stringMatching(/^os: Package name "os" would shadow the module "os"/),
      expect.stringMatching(/^Shop: .*did you mean "shop"\?/),
      expect.stringMatching(/^ , : Give at least one domain/),
      expect.stringMatching(/^class\/x: Domain name "class\/x" must not contain path separators/),
    ]);
    // The wizard's own words: no flag to type at a prompt.
    expect(refused.join('\n')).not.toMatch(/--/);
    expect(output[0]).toBe('[intro] create-layered-backend');
    expect(output.at(-1)).toBe('[outro] shop is ready');
    const manifest = JSON.parse(await readFile(join(cwd, 'shop/.create-layered-backend.json'), 'utf8'));
    expect(manifest.options.packageName).toBe('shop');
    expect(Object.keys(manifest.domains)).toEqual(['products']);
  });

  it('never prompts without a TTY: a missing directory is a usage error (exit 2)', async () => {
    const cwd = await tempDir();
    const { ctx } = testContext(cwd);
    expect(await main([], { ...ctx, interactive: false })).toBe(2);
    expect(await snapshotTree(cwd)).toEqual({});
  });

  it('Ctrl-C at a prompt exits 130, writes nothing and gives the command line that starts again from there', async () => {
    // Started through npx (npm says so); an installed bin is named as itself, below.
    vi.stubEnv('npm_command', 'exec');
    const cwd = await tempDir();
    const { ctx } = testContext(cwd, { Database: 'CANCEL' });
    expect(await main(['my-api', '--no-git', '--no-install'], ctx)).toBe(130);
    expect(await snapshotTree(cwd, { withFolders: true })).toEqual({});
    const cancelled = runCreate({ git: false }, testContext(cwd, { 'Where should the project go?': 'my shop', 'Domains to start with (comma-separated)': 'items', Database: 'CANCEL' }).ctx);
    await expect(cancelled).rejects.toThrow(
      "Cancelled; nothing was written. To start again with the answers so far: npx create-layered-backend --no-git 'my shop' --name my_shop --domains items --extras none",
    );
    await expect(cancelled).rejects.toHaveProperty('exitCode', 130);
    // A dry run resumes as a dry run, and flags given stay given.
    await expect(runCreate({ dryRun: true, json: true, git: true }, testContext(cwd, { 'Where should the project go?': 'CANCEL' }).ctx)).rejects.toThrow(
      /To start again with the answers so far: npx create-layered-backend --git --dry-run --json$/,
    );
    await expect(runCreate({}, testContext(cwd, { 'Where should the project go?': 'CANCEL' }).ctx)).rejects.toThrow(
      /^Cancelled; nothing was written. To start again: npx create-layered-backend \(--help lists a flag for each question\)$/,
    );
    // A newcomer's pass: from a global install, npx would fetch the package instead.
    vi.stubEnv('npm_command', undefined);
    await expect(runCreate({ git: false }, testContext(cwd, { 'Where should the project go?': 'shop', 'Python package name': 'CANCEL' }).ctx)).rejects.toThrow(
      /To start again with the answers so far: create-layered-backend --no-git shop$/,
    );
    vi.unstubAllEnvs();
  });

  it('a folder name that cannot be the package is accepted where it goes, and the package is asked without a suggestion', async () => {
    const cwd = await tempDir();
    const { ctx, refused } = testContext(cwd, {
      'Where should the project go?': 'os',
      // Said why the folder's name gives none.
      'Python package name (from the folder: Package name "os" would shadow the module "os" that code imports; choose another)': ['', 'os', 'os_tools'],
      'Domains to start with (comma-separated)': 'items',
      'Optional folders': [],
      Database: 'sqlite',
      'Initialise a git repository?': false,
      'Install the Python dependencies now?': false,
    });
    await runCreate({}, ctx);
    expect(refused).toEqual([': Package name is empty', 'os: Package name "os" would shadow the module "os" that code imports; choose another']);
    expect(JSON.parse(await readFile(join(cwd, 'os/.create-layered-backend.json'), 'utf8')).options.packageName).toBe('os_tools');
  });

  it('makes a sibling of the current folder (../name), and its next steps cd there', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'here'));
    const { ctx, output } = testContext(join(cwd, 'here'));
    await runCreate({ directory: '../sibling', ...quiet }, ctx);
    expect(JSON.parse(await readFile(join(cwd, 'sibling/.create-layered-backend.json'), 'utf8')).options.projectName).toBe('sibling');
    expect(output.join('\n')).toContain('\n  cd ../sibling\n');
  });

  it('a file where the folder would go is a failure (exit 1) naming that file, at the prompt too', async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, 'afile'), 'mine\n');
    for (const directory of ['afile', 'afile/sub']) {
      const refusal = runCreate({ directory, ...quiet }, testContext(cwd).ctx);
      await expect(refusal).rejects.toThrow(/^afile is a file, not a folder; choose another place for the project$/);
      await expect(refusal).rejects.toHaveProperty('exitCode', 1);
    }
    const { ctx, refused } = testContext(cwd, { 'Where should the project go?': ['afile/sub', 'shop'], 'Python package name': 'CANCEL' });
    await expect(runCreate({}, ctx)).rejects.toHaveProperty('exitCode', 130);
    expect(refused).toEqual(['afile/sub: afile is a file, not a folder; choose another place for the project']);
    // A folder that cannot be listed is said at the prompt, not thrown out of it.
    const { symlink } = await import('node:fs/promises');
    await symlink('loop', join(cwd, 'loop'));
    const looped = testContext(cwd, { 'Where should the project go?': ['loop', 'shop'], 'Python package name': 'CANCEL' });
    await expect(runCreate({}, looped.ctx)).rejects.toHaveProperty('exitCode', 130);
    expect(looped.refused).toEqual([expect.stringMatching(/^loop: Cannot \w+ \S+loop: too many levels of symbolic links \(ELOOP\)$/)]);
    expect(await snapshotTree(cwd)).toEqual({ afile: 'mine\n' });
  });

  it('a symbolic link where the project goes: made in the folder it leads to; a link that leads nowhere is refused (exit 1)', async () => {
    const cwd = await tempDir();
    const { symlink } = await import('node:fs/promises');
    await mkdir(join(cwd, 'real'));
    await symlink('real', join(cwd, 'my-api'));
    const { ctx, output } = testContext(cwd);
    await runCreate({ directory: 'my-api', ...quiet }, ctx);
    expect(output.join('\n')).not.toMatch(/from the folder "real"/);
    const manifest = JSON.parse(await readFile(join(cwd, 'real/.create-layered-backend.json'), 'utf8'));
    // Named as the user named it, not after the folder the link leads to.
    expect(manifest.options.packageName).toBe('my_api');
    const { lstat } = await import('node:fs/promises');
    expect((await lstat(join(cwd, 'my-api'))).isSymbolicLink()).toBe(true);
    await symlink('nowhere', join(cwd, 'dangling'));
    const refusal = runCreate({ directory: 'dangling', ...quiet }, testContext(cwd).ctx);
    await expect(refusal).rejects.toThrow(/^dangling is a symbolic link to nowhere, which does not exist; choose another place for the project$/);
    await expect(refusal).rejects.toHaveProperty('exitCode', 1);
  });

  it.each([
    [['a\nb', '--yes'], 2],
    [['tab\there', '--yes'], 2],
    [['bad/../x', '--yes'], 2],
    [['--yes', '--', '-x'], 2],
    [['my-api', '--domains', 'users,nones'], 2],
    [['my-api', '--domains', 'users,users'], 2],
    [['my-api', '--domains', 'services'], 2],
    [['my-api', '--domains', 'bases'], 2],
    [['my-api', '--name', 'import'], 2],
    [['my-api', '--name', 'os'], 2],
    [['my-api', '--db', 'mysql'], 2],
    [['my-api', '--extras', 'robots'], 2],
    // "none" and a folder: which was meant? (a newcomer's pass saw it taken for the folder)
    [['my-api', '--extras', 'none,workers'], 2],
  ])('rejects %j before writing anything', async (argv, code) => {
    const cwd = await tempDir();
    const { ctx } = testContext(cwd);
    expect(await main([...argv, '--no-git', '--no-install'], { ...ctx, interactive: false })).toBe(code);
    expect(await snapshotTree(cwd, { withFolders: true })).toEqual({});
  });

  it('refuses a non-empty directory, naming what is in the way (a usage error)', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'my-api'));
    await writeFile(join(cwd, 'my-api/README.md'), 'mine\n');
    const refusal = runCreate({ directory: 'my-api', ...quiet }, testContext(cwd).ctx);
    await expect(refusal).rejects.toThrow(/my-api is not empty; it holds: README.md/);
    await expect(refusal).rejects.toHaveProperty('exitCode', 2);
    expect(await snapshotTree(join(cwd, 'my-api'))).toEqual({ 'README.md': 'mine\n' });
  });

  it('--force writes into it and says first which foreign file it overwrites', async () => {
    const cwd = await tempDir();
    await mkdir(join(cwd, 'my-api'));
    await writeFile(join(cwd, 'my-api/README.md'), 'mine\n');
    await writeFile(join(cwd, 'my-api/notes.txt'), 'keep\n');
    const { ctx, output } = testContext(cwd);
    await runCreate({ directory: 'my-api', force: true, ...quiet }, ctx);
    expect(output).toContain('--force: replacing files create-layered-backend did not write (or that were changed since): README.md');
    expect(await readFile(join(cwd, 'my-api/notes.txt'), 'utf8')).toBe('keep\n');
  });

  it('--dry-run lists the plan and writes nothing; --json prints it as JSON', async () => {
    const cwd = await tempDir();
    const { ctx, output } = testContext(cwd);
    await runCreate({ directory: 'my-api', dryRun: true, json: true, ...quiet }, ctx);
    const plan = JSON.parse(output.join('\n'));
    expect(plan.changes.map((c: { path: string }) => c.path)).toContain('src/my_api/services/users.py');
    expect(await snapshotTree(cwd, { withFolders: true })).toEqual({});
  });

  it('quotes a folder for the printed next steps so that sh, bash and zsh read it back whole', () => {
    const words = ['my-api', '=python3', "it's $HOME a", '~x', 'a b', '-dash', '*', 'Über straße', 'x$(id)', 'a=b'];
    for (const shell of ['sh', 'bash', 'zsh'].filter((name) => spawnSync(name, ['-c', 'true']).status === 0)) {
      for (const word of words) {
        expect(spawnSync(shell, ['-c', `printf %s ${shellWord(word)}`], { encoding: 'utf8' }).stdout, `${shell}: ${word}`).toBe(word);
      }
    }
    expect(shellWord('my-api')).toBe('my-api');
    // zsh would expand a bare =python3 to the command's path.
    expect(shellWord('=python3')).toBe("'=python3'");
  });
});
