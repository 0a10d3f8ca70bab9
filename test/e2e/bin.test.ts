import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runAddDomain } from '../../src/commands/add-domain/index.js';
import { runCreate } from '../../src/commands/create/index.js';
import { runFlip } from '../../src/commands/flip/index.js';
import { snapshotTree } from '../tree.js';
import { runCli, tempDir, testContext } from '../helpers.js';

const cli = runCli;

describe('the bin', () => {
  it('prints its version and help, exit 0', async () => {
    const cwd = await tempDir();
    const version = await cli(['--version'], cwd);
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await cli(['--help'], cwd);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('add-domain');
    // The codes main returns (src/index.ts), as a script calling the CLI needs them.
    expect(help.stdout.replace(/\n(?=\d)/g, ' ')).toMatch(/^Exit codes: 0 success, 1 failure .*, 2 usage error, 130 cancelled \(Ctrl-C\), 143 terminated \(SIGTERM\)\.$/m);
    // Printed at build time, so for any terminal: within 80 columns.
    expect(Math.max(...help.stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
    // The bin prints text captured at build time: it must be what the CLI itself prints.
    for (const flag of ['--help', '--version']) {
      const script = `require('../dist/index.cjs').main(['${flag}']).then((code) => { process.exitCode = code; });`;
      const live = await execa(process.execPath, ['-e', script], { cwd: resolve(import.meta.dirname, '../../bin') });
      expect((await cli([flag], cwd)).stdout).toBe(live.stdout);
    }
  });

  it('creates a project, then grows and shrinks it', async () => {
    const cwd = await tempDir();
    const created = await cli(['my-api', '--yes', '--no-install', '--no-git'], cwd);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toContain('Next steps');
    const root = join(cwd, 'my-api');
    const before = await snapshotTree(root);
    expect(Object.keys(before)).toContain('src/my_api/routers/users/handlers.py');

    const added = await cli(['add-domain', 'products', '--fields', 'name:str,price:decimal'], join(root, 'src'));
    expect(added.exitCode, added.stderr).toBe(0);
    expect(await snapshotTree(root)).toHaveProperty(['src/my_api/services/products.py']);
    expect((await cli(['remove-domain', 'products', '--purge'], root)).exitCode).toBe(0);
    expect(await snapshotTree(root)).toEqual(before);

    const flipped = await cli(['flip'], root);
    expect(flipped.exitCode, flipped.stderr).toBe(0);
    expect(await snapshotTree(root)).toHaveProperty(['src/my_api/domains/users/service.py']);
    expect((await cli(['flip'], root)).exitCode).toBe(0);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('creates a git repository whose first commit holds the whole project', async () => {
    const cwd = await tempDir();
    const identity = { GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com' };
    const created = await cli(['my-api', '--yes', '--no-install'], cwd, {
      ...identity,
      GIT_COMMITTER_NAME: identity.GIT_AUTHOR_NAME,
      GIT_COMMITTER_EMAIL: identity.GIT_AUTHOR_EMAIL,
    });
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/git: first commit: done \(\d+ s\)/);
    const root = join(cwd, 'my-api');
    const git = async (...args: string[]) => (await execa('git', args, { cwd: root })).stdout;
    expect(await git('status', '--porcelain')).toBe('');
    expect((await git('ls-files')).split('\n').sort()).toEqual(Object.keys(await snapshotTree(root, { ignore: ['.git'] })).sort());
  });

  it('the compiled templates of the build render exactly what Handlebars renders from the sources', async () => {
    const cwd = await tempDir();
    const flags = ['--domains', 'users,order_items', '--extras', 'crawlers,schedulers,clients,workers', '--db', 'postgres'];
    expect((await cli(['built/my-api', '--yes', '--no-install', '--no-git', ...flags], cwd)).exitCode).toBe(0);
    const options = { domains: 'users,order_items', extras: 'crawlers,schedulers,clients,workers', db: 'postgres' };
    await runCreate({ directory: 'sources/my-api', git: false, install: false, ...options }, testContext(cwd).ctx);
    // Every field type, optional or with a default, through each domain template.
    const fields = 'name:str, price:decimal=9.5, in_stock:bool=true, notes:text?, due:date?, at:datetime?, ref:uuid?, qty:int=1, ratio:float?';
    expect((await cli(['add-domain', 'invoices', '--fields', fields], join(cwd, 'built/my-api'))).exitCode).toBe(0);
    await runAddDomain({ name: 'invoices', fields }, testContext(join(cwd, 'sources/my-api')).ctx);
    expect(await snapshotTree(join(cwd, 'built/my-api'))).toEqual(await snapshotTree(join(cwd, 'sources/my-api')));
    // And domain-first: the templates' other branches.
    expect((await cli(['flip'], join(cwd, 'built/my-api'))).exitCode).toBe(0);
    await runFlip({}, testContext(join(cwd, 'sources/my-api')).ctx);
    expect(await snapshotTree(join(cwd, 'built/my-api'))).toEqual(await snapshotTree(join(cwd, 'sources/my-api')));
  });

  it('a bad flag is a one-line usage error, exit 2', async () => {
    const result = await cli(['my-api', '--bogus'], await tempDir());
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim()).toBe("error: unknown option '--bogus' (run with --help for usage)");
  });
});
