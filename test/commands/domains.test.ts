import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAddDomain } from '../../src/commands/add-domain/index.js';
import { runCreate } from '../../src/commands/create/index.js';
import { runRemoveDomain } from '../../src/commands/remove-domain/index.js';
import { snapshotTree } from '../tree.js';
import { tempDir, testContext } from '../helpers.js';

let root: string;

beforeEach(async () => {
  const cwd = await tempDir();
  await runCreate({ directory: 'my-api', git: false, install: false }, testContext(cwd).ctx);
  root = join(cwd, 'my-api');
});

describe('add-domain', () => {
  it('adds all four layers and tests, and registers the router, from a nested folder', async () => {
    const before = await snapshotTree(root);
    await runAddDomain({ name: 'products', fields: 'name:str, price:decimal, in_stock:bool' }, testContext(join(root, 'src/my_api/services')).ctx);
    const after = await snapshotTree(root);
    const added = Object.keys(after).filter((path) => !(path in before));
    expect(added.sort()).toEqual([
      'migrations/versions/create_products.py',
      'src/my_api/repositories/products.py',
      'src/my_api/routers/products/__init__.py',
      'src/my_api/routers/products/deps.py',
      'src/my_api/routers/products/handlers.py',
      'src/my_api/schemas/products.py',
      'src/my_api/services/products.py',
      'tests/test_products_api.py',
    ]);
    expect(after['src/my_api/routers/__init__.py']).toContain('api_router.include_router(products_router)');
    expect(after['migrations/versions/create_products.py']).toContain('down_revision: str | None = "create_orders"');
    await expect(after['src/my_api/schemas/products.py']).toMatchFileSnapshot('__snapshots__/schemas_products.py');
    await expect(after['src/my_api/repositories/products.py']).toMatchFileSnapshot('__snapshots__/repositories_products.py');
  });

  it.each([
    ['orders', undefined, /exists already/],
    ['class', undefined, /keyword/],
    ['9lives', undefined, /digit/],
    ['a/b', undefined, /path separators/],
    ['..', undefined, /path separators/],
    ['schemas', undefined, /reserved/],
    ['products', 'price:money', /unknown type/],
  ])('rejects %j (fields %j) and changes nothing', async (name, fields, message) => {
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddDomain({ name, fields }, testContext(root).ctx)).rejects.toThrow(message);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('refuses a name that shadows a module the project already has', async () => {
    await writeFile(join(root, 'src/my_api/services/invoices.py'), '# hand-written\n');
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddDomain({ name: 'invoices' }, testContext(root).ctx)).rejects.toThrow(/shadow existing/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('refuses a default too long for one line of the schema, writing nothing', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    const fields = `note:str=${'x'.repeat(90)}`;
    await expect(runAddDomain({ name: 'invoices', fields }, testContext(root).ctx)).rejects.toThrow(
      /the default of "note" does not fit a 100-column line/,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('outside a project: a clear error', async () => {
    await expect(runAddDomain({ name: 'x' }, testContext(await tempDir()).ctx)).rejects.toThrow(/Not inside/);
  });
});

describe('remove-domain', () => {
  it('add then remove leaves the project byte-identical', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    await runAddDomain({ name: 'products', fields: 'name:str, price:decimal' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'products' }, testContext(root).ctx);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('removing a domain in the middle of the migration chain relinks the next migration', async () => {
    await runAddDomain({ name: 'products' }, testContext(root).ctx);
    await runAddDomain({ name: 'invoices' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'products' }, testContext(root).ctx);
    const tree = await snapshotTree(root);
    expect(tree).not.toHaveProperty(['migrations/versions/create_products.py']);
    expect(tree['migrations/versions/create_invoices.py']).toContain('down_revision: str | None = "create_orders"');
  });

  it('keeps and lists a file the user edited, unless --force', async () => {
    const service = join(root, 'src/my_api/services/orders.py');
    await writeFile(service, `${await readFile(service, 'utf8')}\n# my rule\n`);
    const { ctx, output } = testContext(root);
    await runRemoveDomain({ name: 'orders' }, ctx);
    expect(output.join('\n')).toContain('src/my_api/services/orders.py');
    expect(await readFile(service, 'utf8')).toContain('# my rule');
    await runRemoveDomain({ name: 'orders', force: true }, testContext(root).ctx);
    expect(Object.keys(await snapshotTree(root)).filter((path) => path.includes('orders'))).toEqual([]);
  });
});
