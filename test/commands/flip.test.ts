import { chmod, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { addUserCode, pricingPlacement } from '../../scripts/smoke/user-code.mjs';
import { runAddDomain } from '../../src/commands/add-domain/index.js';
import { runAddField } from '../../src/commands/add-field/index.js';
import { runAddFlow } from '../../src/commands/add-flow/index.js';
import { runCreate } from '../../src/commands/create/index.js';
import { runFlip } from '../../src/commands/flip/index.js';
import { runRemoveDomain } from '../../src/commands/remove-domain/index.js';
import { runRemoveField } from '../../src/commands/remove-field/index.js';
import { runRemoveFlow } from '../../src/commands/remove-flow/index.js';
import { main } from '../../src/index.js';
import { tempDir, testContext } from '../helpers.js';
import { snapshotTree } from '../tree.js';

const quiet = { git: false, install: false };
const users = { module: 'users', pascal: 'User' };
const orders = { module: 'orders', pascal: 'Order' };

/** A project as create and a few commands leave it: a flow, a reference, a domain added with fields. */
async function grownProject(layout: 'layer-first' | 'domain-first', extras?: string): Promise<string> {
  const cwd = await tempDir();
  await runCreate({ directory: 'my-api', layout, extras, ...quiet }, testContext(cwd).ctx);
  const root = join(cwd, 'my-api');
  const { ctx } = testContext(root);
  await runAddFlow({ name: 'checkout', uses: 'users' }, ctx);
  await runAddField({ domain: 'orders', fields: 'customer:ref(users)?, code:str!?, status:str+=new' }, ctx);
  await runAddDomain({ name: 'invoices', fields: 'name:str, total:decimal, due:date?, order:ref(orders)?' }, ctx);
  return root;
}

const tree = (root: string) => snapshotTree(root, { withFolders: true });

/** Runs the CLI in-process, as a user types it: the exit code and the one line on stderr, as read (no colours). */
async function cli(argv: string[], cwd: string): Promise<{ code: number; error: string }> {
  const errors: string[] = [];
  const error = console.error;
  console.error = (text: string) => void errors.push(text);
  try {
    return { code: await main(argv, testContext(cwd).ctx), error: stripVTControlCharacters(errors.join('\n')) };
  } finally {
    console.error = error;
  }
}

describe('flip', () => {
  it('gives a fresh project exactly what create --layout domain-first gives, and flipping back gives its bytes back', async () => {
    const layerFirst = await grownProject('layer-first');
    const domainFirst = await grownProject('domain-first');
    const before = await tree(layerFirst);
    const { ctx, output } = testContext(layerFirst);
    await runFlip({}, ctx);
    expect(output[0]).toBe('Flipped layer-first -> domain-first (18 files moved, their imports rewritten):');
    expect(await tree(layerFirst)).toEqual(await tree(domainFirst));
    const manifest = JSON.parse(await readFile(join(layerFirst, '.create-layered-backend.json'), 'utf8'));
    expect(manifest.options.layout).toBe('domain-first');
    expect(manifest.domains.users.files).toContain('src/my_api/domains/users/service.py');
    await runFlip({}, testContext(layerFirst).ctx);
    expect(await tree(layerFirst)).toEqual(before);
    await runFlip({}, testContext(domainFirst).ctx);
    expect(await tree(domainFirst)).toEqual(before);
  });

  it('says which globs of pyproject.toml name folders the new layout does not have (a path moves, a glob cannot)', async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'my-api', ...quiet }, testContext(cwd).ctx);
    const root = join(cwd, 'my-api');
    const pyproject = join(root, 'pyproject.toml');
    const text = (await readFile(pyproject, 'utf8')).replace('[tool.ruff.lint.per-file-ignores]\n', '[tool.ruff.lint.per-file-ignores]\n"src/my_api/repositories/*.py" = ["S608"]\n');
    await writeFile(pyproject, text);
    const line = text.split('\n').indexOf('"src/my_api/repositories/*.py" = ["S608"]') + 1;
    const { ctx, output } = testContext(root);
    await runFlip({}, ctx);
    expect(output.filter((message) => message.includes('globs'))).toEqual([
      `These globs name folders domain-first does not have, and match nothing now: pyproject.toml:${line} "src/my_api/repositories/*.py"; write them for the new layout.`,
    ]);
  });

  it('refuses a layer package whose __init__.py the team gave only a docstring, saying it may be deleted; deleted, the flip runs', async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'my-api', ...quiet }, testContext(cwd).ctx);
    const root = join(cwd, 'my-api');
    const init = join(root, 'src/my_api/services/__init__.py');
    await writeFile(init, '"""The services: rules and transactions."""\n');
    await expect(runFlip({}, testContext(root).ctx)).rejects.toThrow(
      '(src/my_api/services/__init__.py holds no code, only text about a package domain-first does not have: delete it, and flipping back writes the generated one again)',
    );
    await rm(init);
    await runFlip({}, testContext(root).ctx);
    await runFlip({}, testContext(root).ctx);
    expect(await readFile(init, 'utf8')).toBe('');
  });

  it("with every extra: the jobs' imports of the first domain (users, not the first in the manifest) follow it", async () => {
    const extras = 'crawlers,schedulers,clients,workers';
    const layerFirst = await grownProject('layer-first', extras);
    const domainFirst = await grownProject('domain-first', extras);
    const before = await tree(layerFirst);
    await runFlip({}, testContext(layerFirst).ctx);
    const flipped = await tree(layerFirst);
    expect(flipped).toEqual(await tree(domainFirst));
    expect(flipped['src/my_api/workers/tasks.py']).toContain('from my_api.domains.users import service\n');
    await runFlip({}, testContext(layerFirst).ctx);
    expect(await tree(layerFirst)).toEqual(before);
  });

  it('leaves a project on which every command works as in a project made in that layout', async () => {
    const commands = async (root: string) => {
      const { ctx } = testContext(root);
      await runAddDomain({ name: 'products', fields: 'name:str, maker:ref(users)?' }, ctx);
      await runAddField({ domain: 'products', fields: 'sku:str!?, stock:int+=0' }, ctx);
      await runRemoveField({ domain: 'products', field: 'sku' }, ctx);
      await runAddFlow({ name: 'catalog', uses: 'products,users' }, ctx);
      await runRemoveFlow({ name: 'catalog' }, ctx);
      await runAddDomain({ name: 'zebras' }, ctx);
      await runRemoveDomain({ name: 'zebras', purge: true }, ctx);
      await runRemoveDomain({ name: 'invoices' }, ctx);
    };
    const flipped = await grownProject('layer-first');
    await runFlip({}, testContext(flipped).ctx);
    await commands(flipped);
    const domainFirst = await grownProject('domain-first');
    await commands(domainFirst);
    expect(await tree(flipped)).toEqual(await tree(domainFirst));
    await runFlip({}, testContext(flipped).ctx);
    const layerFirst = await grownProject('layer-first');
    await commands(layerFirst);
    expect(await tree(flipped)).toEqual(await tree(layerFirst));
  });

  it("moves the user's code with its imports rewritten, refuses a module it cannot place until --map places it, and flips back to the same bytes", async () => {
    const root = await grownProject('layer-first');
    addUserCode(root, { pkg: 'my_api', first: users, last: orders, flow: 'checkout' });
    const before = await tree(root);

    const refused = await cli(['flip'], root);
    expect(refused.code).toBe(1);
    expect(refused.error).toBe(
      'flip cannot place src/my_api/services/pricing.py: neither a domain\'s file nor shared code, and domain-first has no folder for it. ' +
        'Say where each goes with --map, e.g. --map services/pricing.py=domains/<domain>/pricing.py (paths inside src/my_api), then run again',
    );
    expect(await tree(root)).toEqual(before);

    await runFlip({ map: [pricingPlacement(orders)] }, testContext(root).ctx);
    const after = await tree(root);
    expect(after['src/my_api/domains/orders/pricing.py']).toContain(
      'from my_api.domains.orders import repository as orders_repository\nfrom my_api.domains.orders.schemas import OrderListQuery\n',
    );
    expect(after['src/my_api/domains/orders/handlers.py']).toContain('    from my_api.domains.orders import pricing\n');
    expect(after['src/my_api/domains/orders/deps.py']).toContain(
      'from my_api.domains.orders import schemas as orders_schemas\nfrom my_api.domains.orders.schemas import OrderListQuery\nfrom my_api.schemas.columns import INT32_MAX\n',
    );
    expect(after['src/my_api/domains/orders/service.py']).toContain('if TYPE_CHECKING:\n    from my_api.domains.users.repository import User\n');
    // The sibling relative import still names the same module from the new place.
    expect(after['src/my_api/domains/users/__init__.py']).toBe(
      (before['src/my_api/routers/users/__init__.py'] as string).replace('my_api.routers.users.handlers', 'my_api.domains.users.handlers'),
    );
    expect(after['tests/test_user_code.py']).toContain('import my_api.domains.users.service\nfrom my_api.domains.orders.pricing import UNIT_PRICE\n');
    expect(after['tests/test_user_code.py']).toContain('monkeypatch.setattr("my_api.domains.users.service.count_users", len)');
    expect(after['tests/test_user_code.py']).toContain('assert vars(my_api.domains.users.service)["count_users"] is len');
    expect(after['pyproject.toml']).toContain('"src/my_api/domains/orders/pricing.py" = ["E501"]');
    expect(after['README.md']).toContain('## Team notes');
    expect(after['migrations/env.py']).toContain('from my_api import domains\n');
    expect(after['migrations/env.py']).toContain('# Offline: alembic upgrade head --sql prints the SQL instead.\n');
    // The code that imports nothing that moved is moved as it is.
    expect(after['src/my_api/domains/users/repository.py']?.endsWith(before['src/my_api/repositories/users.py']?.split('\n\n\n').at(-1) as string)).toBe(true);

    await runFlip({}, testContext(root).ctx);
    const back = await tree(root);
    const manifest = JSON.parse(back['.create-layered-backend.json'] as string);
    expect(manifest.placements).toEqual({ 'src/my_api/services/pricing.py': 'src/my_api/domains/orders/pricing.py' });
    // Equal but for the placement the manifest keeps for the next flip.
    expect({ ...back, '.create-layered-backend.json': '' }).toEqual({ ...before, '.create-layered-backend.json': '' });
  });

  it("keeps an edited domain file the user's after the move: add-field then merges with their code", async () => {
    const root = await grownProject('layer-first');
    addUserCode(root, { pkg: 'my_api', first: users, last: orders, flow: 'checkout' });
    await runFlip({ map: [pricingPlacement(orders)] }, testContext(root).ctx);
    await runAddField({ domain: 'orders', fields: 'note:text?' }, testContext(root).ctx);
    const after = await tree(root);
    expect(after['src/my_api/domains/orders/handlers.py']).toContain('    from my_api.domains.orders import pricing\n');
    expect(after['src/my_api/domains/orders/deps.py']).toContain('OrderShown = orders_schemas.OrderRead\n');
    expect(after['src/my_api/domains/orders/schemas.py']).toContain('    note: str | None');
    await runRemoveField({ domain: 'orders', field: 'note' }, testContext(root).ctx);
    await runFlip({}, testContext(root).ctx);
    expect((await tree(root))['src/my_api/routers/orders/handlers.py']).toContain('    from my_api.services import pricing\n');
  });

  it('--dry-run --json prints the moves and writes nothing', async () => {
    const root = await grownProject('layer-first');
    const before = await tree(root);
    const { ctx, output } = testContext(root);
    await runFlip({ dryRun: true, json: true }, ctx);
    const plan = JSON.parse(output.join('\n'));
    expect(plan.command).toBe('flip');
    expect(plan.changes).toEqual(
      expect.arrayContaining([
        { action: 'delete', path: 'src/my_api/services/users.py' },
        expect.objectContaining({ action: 'create', path: 'src/my_api/domains/users/service.py' }),
        { action: 'rmdir', path: 'src/my_api/services' },
      ]),
    );
    expect(await tree(root)).toEqual(before);
  });

  it.each([
    [['flip', '--json'], 2, /--json prints the plan of a dry run/],
    [['flip', '--map', 'services/pricing.py'], 2, /--map takes <from>=<to>/],
    [['flip', '--map', '../pricing.py=domains/orders/pricing.py'], 2, /must be a relative path inside the package/],
    [['flip', '--map', 'services/pricing.py=domains/orders'], 2, /a module goes to a module/],
    [['flip', '--map', 'services/nothing.py=domains/orders/nothing.py'], 1, /there is no src\/my_api\/services\/nothing.py to place/],
    [['flip', '--map', 'services/pricing.py=services/prices.py'], 1, /domain-first has no services\//],
    [['flip', '--map', 'services/users.py=domains/users/users.py'], 1, /src\/my_api\/services\/users.py is the generator's; flip places it itself/],
  ])('%j: exit %i, nothing written', async (argv, code, message) => {
    const root = await grownProject('layer-first');
    await writeFile(join(root, 'src/my_api/services/pricing.py'), '"""Prices."""\n');
    const before = await tree(root);
    const result = await cli(argv, root);
    expect(result.code).toBe(code);
    expect(result.error).toMatch(message);
    expect(await tree(root)).toEqual(before);
  });

  it('refuses, naming file and line, an import of a layer package itself, a merge conflict, and a folder of the new layout in use', async () => {
    const root = await grownProject('layer-first');
    const admin = join(root, 'src/my_api/routers/admin.py');
    await writeFile(admin, '"""Admin."""\n\nfrom my_api import services\n\nSERVICES = services\n');
    let before = await tree(root);
    let result = await cli(['flip'], root);
    expect([result.code, result.error]).toEqual([
      1,
      'flip cannot rewrite these imports: src/my_api/routers/admin.py:3 imports the package my_api.services itself, which the new layout does not have; import the modules it holds instead (from my_api.services import <module>)',
    ]);
    expect(await tree(root)).toEqual(before);
    await writeFile(admin, '"""Admin."""\n');

    const readme = join(root, 'README.md');
    const text = await readFile(readme, 'utf8');
    await writeFile(readme, text.replace('  services/        business rules', '  services/        our business rules'));
    before = await tree(root);
    result = await cli(['flip'], root);
    expect(result.code).toBe(1);
    expect(result.error).toMatch(/^flip cannot merge the new layout's lines with your changes at README.md:\d+; nothing was written$/);
    expect(await tree(root)).toEqual(before);
    await writeFile(readme, text);

    await mkdir(join(root, 'src/my_api/domains'));
    await writeFile(join(root, 'src/my_api/domains/glossary.py'), '"""Words."""\n');
    before = await tree(root);
    result = await cli(['flip'], root);
    expect([result.code, result.error]).toEqual([
      1,
      'domain-first keeps its own files in src/my_api/domains, where src/my_api/domains/glossary.py already are; move them elsewhere, then run again',
    ]);
    expect(await tree(root)).toEqual(before);
  });

  it('flips a project whose last domain is gone, and refuses one whose example jobs have no domain left to call', async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'bare', domains: 'products', ...quiet }, testContext(cwd).ctx);
    await runCreate({ directory: 'jobs', domains: 'products', extras: 'workers', ...quiet }, testContext(cwd).ctx);
    const [bare, jobs] = [join(cwd, 'bare'), join(cwd, 'jobs')];
    // The example jobs' uses of the domain go first (remove-domain refuses while code uses it).
    for (const file of ['src/jobs/workers/tasks.py', 'src/jobs/routers/imports/handlers.py', 'tests/test_workers.py']) await writeFile(join(jobs, file), '"""Ours now."""\n');
    for (const root of [bare, jobs]) await runRemoveDomain({ name: 'products' }, testContext(root).ctx);
    const before = await tree(bare);
    await runFlip({}, testContext(bare).ctx);
    expect(Object.keys(await tree(bare))).toContain('src/bare/domains/__init__.py');
    await runFlip({}, testContext(bare).ctx);
    expect(await tree(bare)).toEqual(before);
    const untouched = await tree(jobs);
    expect(await cli(['flip'], jobs)).toEqual({
      code: 1,
      error: "The workers' and schedulers' example jobs call a domain's service, and the project has no domain left; add one first",
    });
    expect(await tree(jobs)).toEqual(untouched);
  });

  it("refuses a --map onto a file flip places, two maps onto one path, and a domain that does not exist, writing nothing", async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'shop', ...quiet }, testContext(cwd).ctx);
    const root = join(cwd, 'shop');
    await writeFile(join(root, 'src/shop/services/pricing.py'), '"""Ours."""\n\nPRICE = 42\n');
    await writeFile(join(root, 'src/shop/services/tax.py'), '"""Ours too."""\n');
    const before = await tree(root);
    const refused = [
      [['--map', 'services/pricing.py=domains/users/service.py', '--map', 'services/tax.py=core/tax.py'], 'where src/shop/services/users.py goes'],
      [['--map', 'services/pricing.py=domains/users/x.py', '--map', 'services/tax.py=domains/users/x.py'], 'where src/shop/services/pricing.py goes'],
      [['--map', 'services/pricing.py=domains/users/__init__.py', '--map', 'services/tax.py=core/tax.py'], 'where src/shop/routers/users/__init__.py goes'],
      [['--map', 'services/pricing.py=domains/billing/pricing.py', '--map', 'services/tax.py=core/tax.py'], 'there is no domain billing'],
    ] as const;
    for (const [maps, reason] of refused) {
      const result = await cli(['flip', ...maps], root);
      expect(result.code).toBe(1);
      expect(result.error).toContain(reason);
      expect(await tree(root)).toEqual(before);
    }
    // A folder maps too.
    await mkdir(join(root, 'src/shop/services/rates'));
    await writeFile(join(root, 'src/shop/services/rates/__init__.py'), '"""Rates."""\n');
    const maps = ['--map', 'services/pricing.py=core/pricing.py', '--map', 'services/tax.py=core/tax.py', '--map', 'services/rates=utils/rates'];
    expect((await cli(['flip', ...maps], root)).code).toBe(0);
    expect(await readFile(join(root, 'src/shop/utils/rates/__init__.py'), 'utf8')).toBe('"""Rates."""\n');
  });

  it("moves a file in its encoding, byte order mark, line endings and mode, refuses a symlink, and flips back to the same bytes", async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'shop', ...quiet }, testContext(cwd).ctx);
    const root = join(cwd, 'shop');
    const pkg = join(root, 'src/shop');
    const latin1 = join(pkg, 'services/orders.py');
    const text = await readFile(latin1, 'latin1');
    await writeFile(latin1, Buffer.from(`# -*- coding: latin-1 -*-\n${text}\nNAME = "caf\u00e9"\n`, 'latin1'));
    const bom = join(pkg, 'schemas/users.py');
    await writeFile(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), await readFile(bom)]));
    const crlf = join(pkg, 'repositories/users.py');
    await writeFile(crlf, (await readFile(crlf, 'utf8')).replaceAll('\n', '\r\n'));
    await chmod(join(pkg, 'services/users.py'), 0o755);
    await chmod(join(pkg, 'schemas/orders.py'), 0o444);
    const before = await tree(root);

    await runFlip({}, testContext(root).ctx);
    expect((await readFile(join(pkg, 'domains/orders/service.py'))).includes(Buffer.from('caf\xe9', 'latin1'))).toBe(true);
    expect([...(await readFile(join(pkg, 'domains/users/schemas.py'))).subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(await readFile(join(pkg, 'domains/users/repository.py'), 'utf8')).not.toMatch(/[^\r]\n/);
    expect((await stat(join(pkg, 'domains/users/service.py'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(pkg, 'domains/orders/schemas.py'))).mode & 0o777).toBe(0o444);
    await runFlip({}, testContext(root).ctx);
    expect(await tree(root)).toEqual(before);
    expect((await stat(join(pkg, 'services/users.py'))).mode & 0o777).toBe(0o755);

    await mkdir(join(root, 'lib'));
    await rename(join(pkg, 'services/orders.py'), join(root, 'lib/orders.py'));
    await symlink('../../../lib/orders.py', join(pkg, 'services/orders.py'));
    const linked = await tree(root);
    expect(await cli(['flip'], root)).toEqual({
      code: 1,
      error: 'flip would move src/shop/services/orders.py, a symbolic link to lib/orders.py; put the file itself there, then run again',
    });
    expect(await tree(root)).toEqual(linked);
  });

  it('refuses to move a router that imports another domain\'s service into domain-first, whose contract forbids it, naming the line', async () => {
    // A hostile pass: flip said it succeeded, and lint-imports then failed ("Domains are independent").
    const root = await grownProject('layer-first');
    const handlers = join(root, 'src/my_api/routers/orders/handlers.py');
    const source = await readFile(handlers, 'utf8');
    await writeFile(handlers, source.replace('from my_api.services import orders as service\n', '$&from my_api.services import users as user_service  # noqa: F401\n'));
    const line = source.split('\n').indexOf('from my_api.services import orders as service') + 2;
    const before = await tree(root);
    await expect(runFlip({}, testContext(root).ctx)).rejects.toThrow(
      `In domain-first, domains are independent (its import-linter contract), and these imports cross them: src/my_api/routers/orders/handlers.py:${line} imports my_api.services.users. Move that use into a flow (add-flow) or into the domain itself, then flip`,
    );
    expect(await tree(root)).toEqual(before);
  });

  it('refuses a name imported from another domain\'s module, absolute or relative', async () => {
    // A hostile pass: `from .users import User` in repositories/orders.py went through, and lint-imports failed.
    const root = await grownProject('layer-first');
    const repository = join(root, 'src/my_api/repositories/orders.py');
    const source = await readFile(repository, 'utf8');
    const anchor = 'from my_api.schemas.orders import';
    await writeFile(repository, source.replace(anchor, `from .users import User\n${anchor}`).replace('from my_api.core.db', 'from my_api.repositories.users import User as Owner\nfrom my_api.core.db') + '\n\nOWNERS = (User, Owner)\n');
    const lines = (await readFile(repository, 'utf8')).split('\n');
    const at = (text: string) => lines.indexOf(text) + 1;
    await expect(runFlip({}, testContext(root).ctx)).rejects.toThrow(
      `these imports cross them: src/my_api/repositories/orders.py:${at('from my_api.repositories.users import User as Owner')} imports my_api.repositories.users.User, src/my_api/repositories/orders.py:${at('from .users import User')} imports my_api.repositories.users.User.`,
    );
  });

  it('on a pyproject.toml that is not TOML: says so, writes nothing', async () => {
    const root = await grownProject('layer-first');
    const pyproject = join(root, 'pyproject.toml');
    await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace('[tool.ruff]', '[tool.ruff'));
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runFlip({}, testContext(root).ctx)).rejects.toThrow(/^pyproject\.toml is not valid TOML \(.+\); fix it, then run again$/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });
});
