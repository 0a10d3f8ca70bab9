import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAddDomain } from '../../src/commands/add-domain/index.js';
import { runAddField } from '../../src/commands/add-field/index.js';
import { runCreate } from '../../src/commands/create/index.js';
import { runRemoveDomain } from '../../src/commands/remove-domain/index.js';
import { runRemoveField } from '../../src/commands/remove-field/index.js';
import { contentHash } from '../../src/core/manifest.js';
import { columns } from '../../src/core/python-source.js';
import { tempDir, testContext } from '../helpers.js';
import { snapshotTree } from '../tree.js';

let root: string;
const at = (path: string) => join(root, path);
const read = (path: string) => readFile(at(path), 'utf8');
const append = async (path: string, text: string) => writeFile(at(path), `${await read(path)}${text}`);
const withoutMigrationsAndManifest = (tree: Record<string, string>) =>
  Object.fromEntries(Object.entries(tree).filter(([path]) => !path.startsWith('migrations/versions/') && path !== '.create-layered-backend.json'));

beforeEach(async () => {
  const cwd = await tempDir();
  await runCreate({ directory: 'my-api', git: false, install: false }, testContext(cwd).ctx);
  root = join(cwd, 'my-api');
});

describe('add-field', () => {
  it('adds the column to the model, schemas and tests, and a migration at the head that adds it', async () => {
    const { ctx, output } = testContext(root);
    await runAddField({ domain: 'orders', fields: 'status:str+=new, note:text?' }, ctx);
    expect(await read('src/my_api/repositories/orders.py')).toContain('    status: Mapped[str] = mapped_column(String(255), index=True)\n');
    expect(await read('src/my_api/schemas/orders.py')).toContain('    status: ShortStr = "new"\n');
    expect(await read('src/my_api/schemas/orders.py')).toContain('class OrderListQuery(PageParams):');
    const migration = await read('migrations/versions/add_orders_status_note.py');
    expect(migration).toContain('down_revision: str | None = "create_orders"');
    expect(migration).toMatch(/def upgrade\(\) -> None:\n    with op.batch_alter_table\("orders"\) as batch:\n        batch.add_column\(\n            sa.Column\(\n                "status",/);
    expect(migration).toContain('server_default="new"');
    expect(migration).toMatch(/def downgrade\(\) -> None:\n    with op.batch_alter_table\("orders"\) as batch:\n        batch.drop_index\(op.f\("ix_orders_status"\)\)/);
    expect(JSON.parse(await read('.create-layered-backend.json')).domains.orders.fields).toBe('name:str, status:str+=new, note:text?');
    expect(output.join('\n')).toContain('  create  migrations/versions/add_orders_status_note.py');
  });

  it('then remove-field leaves every file but the migrations and the manifest as it was', async () => {
    const before = await snapshotTree(root);
    await runAddField({ domain: 'orders', fields: 'customer:ref(users)?, code:str!?' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'code' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'customer' }, testContext(root).ctx);
    const after = await snapshotTree(root);
    expect(withoutMigrationsAndManifest(after)).toEqual(withoutMigrationsAndManifest(before));
    expect(Object.keys(after).filter((path) => !(path in before)).sort()).toEqual([
      'migrations/versions/add_orders_customer_id_code.py',
      'migrations/versions/drop_orders_code.py',
      'migrations/versions/drop_orders_customer_id.py',
    ]);
    expect(after['migrations/versions/drop_orders_customer_id.py']).toMatch(
      /def upgrade\(\) -> None:\n    with op.batch_alter_table\("orders"\) as batch:\n        batch.drop_index\(op.f\("ix_orders_customer_id"\)\)\n        batch.drop_constraint\(\n            op.f\("fk_orders_customer_id"\),\n            type_="foreignkey",/,
    );
  });

  it('gives the rows back a column on downgrade: its default where it may repeat, else NULL, never a made-up value', async () => {
    await runAddDomain({ name: 'products', fields: 'name:str, sku:str!, qty:int!=3, status:str=new, owner:ref(users)' }, testContext(root).ctx);
    const restored = async (field: string) => {
      await runRemoveField({ domain: 'products', field }, testContext(root).ctx);
      const migration = await read(`migrations/versions/drop_products_${field === 'owner' ? 'owner_id' : field}.py`);
      const downgrade = migration.slice(migration.indexOf('def downgrade'));
      return {
        nullable: /nullable=(True|False)/.exec(downgrade)?.[1],
        serverDefault: /server_default="([^"]*)"/.exec(downgrade)?.[1],
        defaultDropped: downgrade.includes('server_default=None'),
      };
    };
    // A default any number of rows may share: NOT NULL again, as add-field adds a column.
    expect(await restored('status')).toEqual({ nullable: 'False', serverDefault: 'new', defaultDropped: true });
    // No default (a row had its own value, now gone), unique (one default for every row would
    // collide), a reference (no row to name): the rows take NULL.
    for (const field of ['name', 'qty', 'owner']) {
      expect(await restored(field), field).toEqual({ nullable: 'True', serverDefault: undefined, defaultDropped: false });
    }
  });

  it('merges the new fields with what the user wrote in the same files', async () => {
    await append('src/my_api/schemas/orders.py', '\n\n# A note of mine.\n');
    const service = (await read('src/my_api/services/orders.py')).replace('    async with transaction(session):\n        row = await repository.add', '    # Mine: a rule before the insert.\n    async with transaction(session):\n        row = await repository.add');
    await writeFile(at('src/my_api/services/orders.py'), service);
    await runAddField({ domain: 'orders', fields: 'sku:str!?' }, testContext(root).ctx);
    const schemas = await read('src/my_api/schemas/orders.py');
    expect(schemas).toContain('    sku: ShortStr | None = None\n');
    expect(schemas.endsWith('\n\n# A note of mine.\n')).toBe(true);
    const merged = await read('src/my_api/services/orders.py');
    expect(merged).toContain('    # Mine: a rule before the insert.\n');
    expect(merged).toContain('raise ConflictError(msg, field="sku")');
  });

  it('refuses, writing nothing, where the user changed the lines it changes', async () => {
    // The new int column changes this import line too; with the user's comment on it, the line
    // would pass 100 columns, and ruff would move the comment: the user's to place.
    const model = (await read('src/my_api/repositories/orders.py')).replace(
      'from sqlalchemy import String, func, select\n',
      'from sqlalchemy import String, func, select  # what the queries need: types, count and a select\n',
    );
    await writeFile(at('src/my_api/repositories/orders.py'), model);
    const line = model.split('\n').findIndex((text) => text.includes('what the queries need')) + 1;
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddField({ domain: 'orders', fields: 'qty:int?' }, testContext(root).ctx)).rejects.toThrow(
      `add-field cannot merge the new fields with your changes at src/my_api/repositories/orders.py:${line}; nothing was written. Those lines are ones you changed`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('names the field whose column a new field would take: a reference user holds user_id', async () => {
    await runAddField({ domain: 'orders', fields: 'user:ref(users)?' }, testContext(root).ctx);
    await expect(runAddField({ domain: 'orders', fields: 'user_id:int?' }, testContext(root).ctx)).rejects.toThrow(
      'orders already has the column user_id (of its field user) (fields: name, user)',
    );
  });

  it('leaves a test file the user deleted deleted', async () => {
    await rm(at('tests/test_orders_api.py'));
    await runAddField({ domain: 'orders', fields: 'qty:int?' }, testContext(root).ctx);
    expect(Object.keys(await snapshotTree(root))).not.toContain('tests/test_orders_api.py');
  });

  it.each(['src/my_api/repositories/orders.py', 'src/my_api/schemas/orders.py', 'src/my_api/services/orders.py'])(
    'refuses, writing nothing, when %s, which the new fields reach, was moved away',
    async (file) => {
      const { rename } = await import('node:fs/promises');
      await rename(at(file), at(file.replace('orders.py', 'purchases.py')));
      const before = await snapshotTree(root, { withFolders: true });
      const failure = runAddField({ domain: 'orders', fields: 'code:str!?' }, testContext(root).ctx);
      await expect(failure).rejects.toThrow(`${file} is not there (moved or deleted since it was generated), and the change reaches it; restore it, then run again. Nothing was written`);
      await expect(failure).rejects.toHaveProperty('exitCode', 1);
      expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    },
  );

  it.each([
    ['orders', 'qty:int', /the rows already in the table need a value: give a default \(qty:int=...\) or make it optional/],
    ['orders', 'sku:str!=x', /every row already in the table would hold the same default/],
    ['orders', 'customer:ref(users)', /a reference joins a table that may hold rows only as optional/],
    ['orders', 'customer:ref(invoices)?', /No domain "invoices" to refer to \(domains: orders, users\)/],
    ['invoices', 'qty:int?', /No domain "invoices" in this project \(domains: orders, users\)/],
    ['orders', 'name:str?', /orders already has the field name \(fields: name\)/],
    ['orders', 'name_id:int?, name:str?', /orders already has the field name \(fields: name\)/],
    ['orders', 'qty:money?', /unknown type "money"/],
  ])('refuses %s %j in one line, writing nothing', async (domain, fields, message) => {
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddField({ domain, fields }, testContext(root).ctx)).rejects.toThrow(message);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('--dry-run lists what it would change and writes nothing', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    const { ctx, output } = testContext(root);
    await runAddField({ domain: 'orders', fields: 'qty:int?', dryRun: true }, ctx);
    expect(output.join('\n')).toContain('migrations/versions/add_orders_qty.py');
    expect(output.join('\n')).toContain('src/my_api/schemas/orders.py');
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });
});

describe('add-field, as hostile users tried it', () => {
  it('refuses a field the user already wrote by hand, naming the line, writing nothing', async () => {
    const model = (await read('src/my_api/repositories/orders.py')).replace(
      '    name: Mapped[str] = mapped_column(String(255))\n',
      '    name: Mapped[str] = mapped_column(String(255))\n    sku: Mapped[str | None] = mapped_column(String(64))\n',
    );
    await writeFile(at('src/my_api/repositories/orders.py'), model);
    const line = model.split('\n').findIndex((text) => text.includes('sku:')) + 1;
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddField({ domain: 'orders', fields: 'sku:str?' }, testContext(root).ctx)).rejects.toThrow(
      `orders already has sku, written by hand at src/my_api/repositories/orders.py:${line}`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it.each([
    ['a test of the name a generated test takes', 'tests/test_orders_api.py', '\n\ndef test_the_list_filters_on_an_exact_match() -> None:\n    assert True\n', 'level:int+=1', 'test_the_list_filters_on_an_exact_match'],
    ['a helper of the name the uniqueness check takes', 'src/my_api/services/orders.py', '\n\nasync def _check(value: int) -> None:\n    return None\n', 'code:str!?', '_check'],
    ['a module import that the new type\'s import would hide', 'src/my_api/repositories/orders.py', '\n\nimport datetime  # noqa: E402\n\nSTARTED = datetime.datetime.now\n', 'seen:datetime?', 'datetime'],
  ])('refuses, writing nothing, where a name it defines is one the user defined: %s (the later would hide the other)', async (_, file, code, fields, name) => {
    await append(file, code);
    const theirs = (await read(file)).split('\n').findIndex((line) => new RegExp(`^(async def|def|import) ${name}\\b`).test(line)) + 1;
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddField({ domain: 'orders', fields }, testContext(root).ctx)).rejects.toThrow(
      `${file}:${theirs} defines ${name}, which this command defines there too, and the later would hide the other; rename yours`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  // Each a name the user renamed, which the command's new lines would still use (a NameError, an
  // ImportError or an AttributeError once they ran).
  const renamed = (path: string, from: RegExp, to: string, theirs = '') => async () => writeFile(at(path), `${(await read(path)).replaceAll(from, to)}${theirs}`);
  it.each([
    [
      'read a name renamed in the file (create_order; a fixture of the old name is a parameter, no name the new test sees)',
      'level:int+=1',
      [renamed('tests/test_orders_api.py', /\bcreate_order\b/g, 'make_order', '\n\ndef test_mine(create_order: dict[str, object]) -> None:\n    assert create_order\n')],
      'tests/test_orders_api.py: the lines this command adds there read create_order, which the file does not define (renamed by hand?); define or import it there again',
    ],
    [
      'import a name renamed in another module (create_user; a local of the old name is none the module defines)',
      'owner:ref(users)?',
      [renamed('tests/test_users_api.py', /\bcreate_user\b/g, 'make_user', '\n\ndef test_mine(client: TestClient) -> None:\n    create_user = make_user\n    assert create_user(client)["id"]\n')],
      'tests/test_orders_api.py: the lines this command adds there import create_user from test_users_api, which tests/test_users_api.py does not define (renamed by hand?)',
    ],
    [
      'call a function renamed in a module it imports (the users repository\'s get)',
      'owner:ref(users)?',
      [renamed('src/my_api/repositories/users.py', /async def get\(/g, 'async def get_by_id('), renamed('src/my_api/services/users.py', /repository\.get\(/g, 'repository.get_by_id(')],
      'src/my_api/services/orders.py: the lines this command adds there read users_repository.get, which src/my_api/repositories/users.py does not define (renamed by hand?)',
    ],
  ])('refuses, writing nothing, where its lines would %s', async (_, fields, edits, message) => {
    for (const edit of edits) await edit();
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddField({ domain: 'orders', fields }, testContext(root).ctx)).rejects.toThrow(message);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('puts its import of the project\'s own module in the user\'s block of them, sorted (ruff\'s isort)', async () => {
    const tests = 'tests/test_orders_api.py';
    await writeFile(at('tests/helpers.py'), 'def make_note() -> str:\n    return "note"\n');
    const mine = (await read(tests)).replace('from fastapi.testclient import TestClient\n', 'from fastapi.testclient import TestClient\n\nfrom helpers import make_note\n');
    await writeFile(at(tests), `${mine}\n\ndef test_note() -> None:\n    assert make_note()\n`);
    await runAddField({ domain: 'orders', fields: 'owner:ref(users)?' }, testContext(root).ctx);
    expect(await read(tests)).toContain('from fastapi.testclient import TestClient\n\nfrom helpers import make_note\nfrom test_users_api import create_user\n\n');
  });

  it('merges import lines the user put comments after, beside the standard library\'s imports a date field needs, and takes a commented one out whole with its last name', async () => {
    const model = 'src/my_api/repositories/orders.py';
    await writeFile(at(model), (await read(model)).replace('from sqlalchemy import String, func, select\n', 'from sqlalchemy import String, func, select  # the query API\n'));
    await runAddField({ domain: 'orders', fields: 'due:date?, price:decimal?' }, testContext(root).ctx);
    expect(await read(model)).toContain('from datetime import date\nfrom decimal import Decimal\n\nfrom sqlalchemy import Date, Numeric, String, func, select  # the query API\n');
    await writeFile(at(model), (await read(model)).replace('from decimal import Decimal\n', 'from decimal import Decimal  # money\n'));
    await runRemoveField({ domain: 'orders', field: 'price' }, testContext(root).ctx);
    expect(await read(model)).toContain('from datetime import date\n\nfrom sqlalchemy import Date, String, func, select  # the query API\n');
  });

  it('puts back an import the user took out, unused then, that its new lines read (import pytest)', async () => {
    const tests = 'tests/test_orders_api.py';
    // Their parametrized tests deleted, `import pytest` went too (ruff's F401 asked for it).
    const mine = (await read(tests)).replace(/\n\n@pytest\.mark\.parametrize[\s\S]*?(?=\n\n\ndef test_ids)/, '').replace('import pytest\n', '');
    expect(mine).not.toContain('pytest');
    await writeFile(at(tests), mine);
    await runAddField({ domain: 'orders', fields: 'level:int+=1' }, testContext(root).ctx);
    const merged = await read(tests);
    expect(merged).toContain('@pytest.mark.parametrize("field", FILTERS)');
    expect(merged).toContain('from typing import Any\n\nimport pytest\nfrom fastapi.testclient import TestClient\n');
  });

  it('refuses to remove a reference whose name the user gave a relationship, naming its line', async () => {
    await runAddField({ domain: 'orders', fields: 'buyer:ref(users)?' }, testContext(root).ctx);
    const model = 'src/my_api/repositories/orders.py';
    const source = (await read(model)).replace(/^( {4}__tablename__ = "orders"\n)/m, '$1    buyer: Mapped["User | None"] = relationship(lazy="raise")\n');
    await writeFile(at(model), source);
    const line = source.split('\n').findIndex((text) => text.startsWith('    buyer: Mapped')) + 1;
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveField({ domain: 'orders', field: 'buyer' }, testContext(root).ctx)).rejects.toThrow(
      `Cannot remove orders.buyer while code uses it: ${model}:${line}`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('takes a name the domain\'s code uses otherwise for no column: a parameter, a local, a dict key, another class\'s attribute', async () => {
    await append(
      'src/my_api/services/orders.py',
      '\n\ndef describe(code: str) -> dict[str, int]:\n    errno = len(code)\n    return {"code": errno}\n\n\nclass Failure:\n    code: int = 0\n',
    );
    await runAddField({ domain: 'orders', fields: 'code:str!?' }, testContext(root).ctx);
    expect(await read('src/my_api/repositories/orders.py')).toContain('    code: Mapped[str | None] = mapped_column(String(255), unique=True)\n');
  });

  it('refuses tests that would import the helpers of a test file the user deleted', async () => {
    await rm(at('tests/test_users_api.py'));
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddField({ domain: 'orders', fields: 'buyer:ref(users)?' }, testContext(root).ctx)).rejects.toThrow(
      "tests/test_orders_api.py would import test_users_api's helpers, but tests/test_users_api.py is gone",
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it.each([
    ['two spaces', '  '],
    ['tabs', '\t'],
  ])('merges into files the user reformatted with %s in the same indentation; remove-field gives them back', async (_, unit) => {
    const files = ['src/my_api/services/orders.py', 'src/my_api/repositories/orders.py', 'src/my_api/schemas/orders.py'];
    for (const file of files) await writeFile(at(file), (await read(file)).replace(/^(?: {4})+/gm, (indent) => unit.repeat(indent.length / 4)));
    const before = await snapshotTree(root);
    const fields = 'code:str!?, sku:str!?';
    await runAddField({ domain: 'orders', fields }, testContext(root).ctx);
    // What a project left as generated gets, line for line, each line at the same depth (sku's
    // uniqueness check beside code's, not nested in it), in the user's indentation.
    const cwd = await tempDir();
    await runCreate({ directory: 'my-api', git: false, install: false }, testContext(cwd).ctx);
    await runAddField({ domain: 'orders', fields }, testContext(join(cwd, 'my-api')).ctx);
    const inFours = (text: string) => text.replace(new RegExp(`^(?:${unit})+`, 'gm'), (indent) => '    '.repeat(indent.length / unit.length));
    for (const file of files) expect(inFours(await read(file)), file).toBe(await readFile(join(cwd, 'my-api', file), 'utf8'));
    await runRemoveField({ domain: 'orders', field: 'sku' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'code' }, testContext(root).ctx);
    expect(withoutMigrationsAndManifest(await snapshotTree(root))).toEqual(withoutMigrationsAndManifest(before));
  });

  it('refuses, writing nothing, to merge lines Python would not read: a class body the user indented with tabs among spaces', async () => {
    const model = 'src/my_api/repositories/orders.py';
    await writeFile(at(model), (await read(model)).replace(/^ {4}(__tablename__|id: Mapped|name: Mapped)/gm, '\t$1'));
    const before = await snapshotTree(root, { withFolders: true });
    const failure = runAddField({ domain: 'orders', fields: 'email:str?' }, testContext(root).ctx);
    await expect(failure).rejects.toThrow(new RegExp(`^add-field cannot merge the new fields with your changes at ${model}:\\d+; nothing was written\\. Those lines`));
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('merges into a file whose last line has no newline, and leaves it so', async () => {
    const schemas = await read('src/my_api/schemas/orders.py');
    await writeFile(at('src/my_api/schemas/orders.py'), schemas.slice(0, -1));
    await runAddField({ domain: 'orders', fields: 'status:str+?' }, testContext(root).ctx);
    const merged = await read('src/my_api/schemas/orders.py');
    expect(merged.endsWith('\n')).toBe(false);
    expect(merged).toContain('    status: ShortStr | None = None\n');
  });

  it('takes a file unchanged since generated as the base, whatever this version renders for it', async () => {
    // As if generated by an older version: another comment, and the manifest's hash of it.
    const path = 'src/my_api/schemas/orders.py';
    const older = (await read(path)).replace('from pydantic import', '# Made by an older version.\nfrom pydantic import');
    await writeFile(at(path), older);
    const manifest = JSON.parse(await read('.create-layered-backend.json'));
    manifest.files[path] = contentHash(older);
    await writeFile(at('.create-layered-backend.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await runAddField({ domain: 'orders', fields: 'qty:int?' }, testContext(root).ctx);
    expect(await read(path)).not.toContain('# Made by an older version.');
    expect(await read(path)).toContain('    qty: Int32 | None = None\n');
  });

  it("keeps ruff format's blank line after a class docstring when the user's own filter outlives the last generated one", async () => {
    await runAddField({ domain: 'orders', fields: 'qty:int+=1' }, testContext(root).ctx);
    const path = 'src/my_api/schemas/orders.py';
    await writeFile(at(path), (await read(path)).replace('    qty: QueryInt32 | None = None\n', '    qty: QueryInt32 | None = None\n    code_prefix: str | None = None\n'));
    await runRemoveField({ domain: 'orders', field: 'qty' }, testContext(root).ctx);
    expect(await read(path)).toMatch(/class OrderListQuery\(PageParams\):\n {4}"""[^\n]*"""\n\n {4}code_prefix: str \| None = None\n$/);
  });

  it('writes what ruff and mypy accept for many fields, references to two domains, and unique filters', async () => {
    await runAddDomain({ name: 'products', fields: 'title:str' }, testContext(root).ctx);
    const many = Array.from({ length: 14 }, (_, i) => `extra_field_${i}:int?`).join(', ');
    await runAddField({ domain: 'orders', fields: `product:ref(products)?, buyer:ref(users)?, tag:str?!+, ${many}` }, testContext(root).ctx);
    const service = await read('src/my_api/services/orders.py');
    // Each reference's row in a variable of its own, of its own type.
    expect(service).toContain('        product_row = await products_repository.get(');
    expect(service).toContain('        buyer_row = await users_repository.get(');
    // Unique and filtered: the unique constraint's index serves the filter; no second index.
    expect(await read('src/my_api/repositories/orders.py')).toContain('    tag: Mapped[str | None] = mapped_column(String(255), unique=True)\n');
    const tree = await snapshotTree(root);
    const migration = tree['migrations/versions/add_orders_product_id_buyer_id_t.py'] as string;
    expect(migration).not.toContain('ix_orders_tag');
    expect(migration.split('\n')[0]).toBe('"""Add 17 columns to orders.');
    const python = Object.entries(tree).filter(([path]) => path.endsWith('.py'));
    for (const [path, file] of python) for (const line of file.split('\n')) expect(line.length, `${path}: ${line}`).toBeLessThanOrEqual(100);
  });

  it('adds a field with a ")" in its default after a field with a default, keeping both as written', async () => {
    await runAddDomain({ name: 'notes', fields: 'body:text=hi' }, testContext(root).ctx);
    await runAddField({ domain: 'notes', fields: 'mood:str=:)' }, testContext(root).ctx);
    const schemas = await read('src/my_api/schemas/notes.py');
    expect(schemas).toContain('    body: LongStr = "hi"\n');
    expect(schemas).toContain('    mood: ShortStr = ":)"\n');
    expect(await read('migrations/versions/add_notes_mood.py')).toContain('                "mood",\n                sa.String(length=255),\n');
  });

  it('keeps long and wide defaults within ruff\'s 100 columns, a CJK character counting two, their text whole', async () => {
    const spaced = Array.from({ length: 12 }, () => 'parcel').join(' ');
    const wide = '中'.repeat(45);
    await runAddField({ domain: 'orders', fields: `note:text=${spaced}, label:str=${wide}` }, testContext(root).ctx);
    const migration = await read('migrations/versions/add_orders_note_label.py');
    const tree = await snapshotTree(root);
    for (const [path, file] of Object.entries(tree).filter(([path]) => path.endsWith('.py'))) {
      for (const line of file.split('\n')) expect(line.length + (line.match(/[\u4e00-\u9fff]/g)?.length ?? 0), `${path}: ${line}`).toBeLessThanOrEqual(100);
    }
    // Each server default split into string pieces Python joins back into the default.
    const defaults = [...migration.matchAll(/server_default=\(\n((?: +"[^"\n]*"\n)+) +\)/g)].map((match) =>
      [...(match[1] as string).matchAll(/"([^"]*)"/g)].map((piece) => piece[1]).join(''),
    );
    expect(defaults).toEqual([spaced, wide]);
    expect(await read('src/my_api/schemas/orders.py')).toContain(`    label: ShortStr = (\n        "${wide}"\n    )\n`);
  });

  it('measures a default as ruff does: a Bengali vowel sign takes no column, so the line stays whole as ruff format keeps it', async () => {
    // 80 characters, 40 columns to ruff: counted as 80, the default went into parentheses, and
    // `ruff format --check` wanted it back on one line.
    const bengali = 'কা'.repeat(40);
    await runAddField({ domain: 'orders', fields: `motto:str=${bengali}` }, testContext(root).ctx);
    expect(await read('src/my_api/schemas/orders.py')).toContain(`    motto: ShortStr = "${bengali}"\n`);
  });

  it('splits a long server default into pieces ruff format keeps apart, a word with ASCII escaped in each', async () => {
    // Cut from the word "…Маркет2025", whose digits make RUF001 read its Cyrillic, the first piece
    // escaped nothing: the pieces then fit one line, ruff format joined them, and RUF001 reported the result.
    const company = 'ИнтерСтройКомплектМаркет2025';
    await runAddField({ domain: 'orders', fields: `company:str=${company}` }, testContext(root).ctx);
    const migration = await read('migrations/versions/add_orders_company.py');
    const split = /server_default=\(\n((?: +"[^"\n]*"\n)+)( +)\)/.exec(migration);
    const pieces = [...(split?.[1] ?? '').matchAll(/"([^"]*)"/g)].map((piece) => piece[1] as string);
    expect(pieces.map((piece) => JSON.parse(`"${piece}"`)).join('')).toBe(company);
    expect(pieces.length).toBeGreaterThan(1);
    // What ruff format would join them into does not fit the pieces' line.
    expect(columns(`${split?.[2]}    "${pieces.join('')}"`)).toBeGreaterThan(100);
  });

  it('refuses to add a field ruff would flag, and still adds fields beside one an earlier version recorded', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddField({ domain: 'orders', fields: 'password:str=changeme' }, testContext(root).ctx)).rejects.toThrow(/ruff's S105/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    // As 0.1.0 recorded it, before the refusal: the domain's other commands still read it.
    const manifest = JSON.parse(await read('.create-layered-backend.json'));
    manifest.domains.orders.fields = 'name:str, l:int=1';
    await writeFile(at('.create-layered-backend.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await runAddField({ domain: 'orders', fields: 'note:str?' }, testContext(root).ctx);
    expect(JSON.parse(await read('.create-layered-backend.json')).domains.orders.fields).toBe('name:str, l:int=1, note:str?');
  });

  it('gives a unique uuid its own value without counting rows, its import in isort\'s order', async () => {
    // ruff: `from uuid import uuid4` came before `from typing import Any` (I001), and the row
    // counter went unused (F841).
    await runAddDomain({ name: 'tickets', fields: 'title:str, code:uuid!' }, testContext(root).ctx);
    const tests = await read('tests/test_tickets_api.py');
    expect(tests).toMatch(/^from typing import Any\nfrom uuid import uuid4\n\nimport pytest\n/m);
    expect(tests).not.toContain('ROWS');
    expect(tests).toContain('        "code": str(uuid4()),\n');
  });

  it('writes an empty PAYLOAD as {} when every value column is unique', async () => {
    await runAddField({ domain: 'orders', fields: 'tag:str?!' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'name' }, testContext(root).ctx);
    const tests = await read('tests/test_orders_api.py');
    expect(tests).toContain('PAYLOAD: dict[str, Any] = {}\n');
    expect(tests).toContain('STORED: dict[str, Any] = {}\n');
  });
});

describe('remove-field', () => {
  it('refuses while a validator, or a test the user wrote, names the field in a string; --force removes it anyway', async () => {
    await runAddField({ domain: 'orders', fields: 'qty:int+=1' }, testContext(root).ctx);
    const path = 'src/my_api/schemas/orders.py';
    const schemas = (await read(path)).replace(
      'class OrderCreate(BaseModel):\n',
      'class OrderCreate(BaseModel):\n    @field_validator("qty")\n    @classmethod\n    def positive(cls, value: int) -> int:\n        return value\n\n',
    );
    await writeFile(at(path), schemas);
    const validator = schemas.split('\n').findIndex((text) => text.includes('field_validator("qty")')) + 1;
    await writeFile(at('tests/test_totals.py'), 'def test_qty(client):\n    assert client.post("/orders", json={"name": "a", "qty": 2}).json()["qty"] == 2\n');
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveField({ domain: 'orders', field: 'qty' }, testContext(root).ctx)).rejects.toThrow(
      `Cannot remove orders.qty while code uses it: ${path}:${validator}, tests/test_totals.py:2. Remove those uses first, or use --force to remove it anyway`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    const { ctx, output } = testContext(root);
    await runRemoveField({ domain: 'orders', field: 'qty', force: true }, ctx);
    expect(output.join('\n')).toContain(`Still using qty, to fix by hand (lines as they were): ${path}:${validator}, tests/test_totals.py:2`);
    expect(await read(path)).not.toContain('qty: Int32');
  });

  it('finds the field in lines the user added to generated tests (conftest.py, another domain\'s), not in what the generator wrote there', async () => {
    await runAddField({ domain: 'orders', fields: 'sku:str?' }, testContext(root).ctx);
    // users has a field of the same name: its generated tests say "sku" for their own domain.
    await runAddField({ domain: 'users', fields: 'sku:str?' }, testContext(root).ctx);
    await append('tests/test_users_api.py', '\n\ndef test_order_for_user(client):\n    assert client.post("/orders", json={"name": "a", "sku": "x"}).status_code == 201\n');
    await append('tests/conftest.py', '\n\nORDER = {"name": "a", "sku": "x"}\n');
    const usersLine = (await read('tests/test_users_api.py')).trimEnd().split('\n').length;
    const conftestLine = (await read('tests/conftest.py')).trimEnd().split('\n').length;
    await expect(runRemoveField({ domain: 'orders', field: 'sku' }, testContext(root).ctx)).rejects.toThrow(
      `Cannot remove orders.sku while code uses it: tests/conftest.py:${conftestLine}, tests/test_users_api.py:${usersLine}.`,
    );
  });

  it('does not take what the generator wrote in a project test the user edited for a use: the schedulers\' .due() beside a field due', async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'my-api', extras: 'schedulers', git: false, install: false }, testContext(cwd).ctx);
    root = join(cwd, 'my-api');
    await runAddField({ domain: 'orders', fields: 'due:date?' }, testContext(root).ctx);
    // Reformatted with two spaces: every line of it differs from what was generated.
    const tests = 'tests/test_schedulers.py';
    await writeFile(at(tests), (await read(tests)).replace(/^(?: {4})+/gm, (indent) => '  '.repeat(indent.length / 4)));
    expect(await read(tests)).toMatch(/\.due\(/);
    await runRemoveField({ domain: 'orders', field: 'due' }, testContext(root).ctx);
    expect(await read('src/my_api/schemas/orders.py')).not.toContain('due');
  });

  it('refuses, naming file and line, while the user\'s code uses the field', async () => {
    await runAddField({ domain: 'orders', fields: 'status:str=new' }, testContext(root).ctx);
    await append('src/my_api/services/orders.py', '\n\ndef label(order: OrderRead) -> str:\n    return order.status\n');
    await writeFile(at('src/my_api/services/report.py'), 'from my_api.repositories.orders import Order\n\n\ndef of(row: Order) -> str:\n    return row.status\n');
    const lines = (await read('src/my_api/services/orders.py')).split('\n').length - 1;
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveField({ domain: 'orders', field: 'status' }, testContext(root).ctx)).rejects.toThrow(
      `Cannot remove orders.status while code uses it: src/my_api/services/orders.py:${lines}, src/my_api/services/report.py:5. Remove those uses first, or use --force to remove it anyway`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('keeps an import its last field no longer needs while the user\'s own code in the file uses it', async () => {
    // A hostile pass: round_up used Decimal, and remove-field took `from decimal import Decimal` out with price.
    await runAddField({ domain: 'orders', fields: 'price:decimal?' }, testContext(root).ctx);
    const path = 'src/my_api/repositories/orders.py';
    const generated = await read(path);
    await append(path, '\n\ndef round_up(value: Decimal) -> Decimal:\n    return value.quantize(Decimal("1"))\n');
    await runRemoveField({ domain: 'orders', field: 'price' }, testContext(root).ctx);
    const after = await read(path);
    expect(after).not.toContain('price');
    // Where it stood, in its own import section as ruff sorts them.
    const imports = (text: string) => text.slice(0, text.indexOf('\nclass '));
    expect(imports(after)).toBe(imports(generated).replace('Numeric, ', ''));
    expect(after).toContain('def round_up(value: Decimal) -> Decimal:');
  });

  it('still takes the import out when nothing but the removed field used it', async () => {
    await runAddField({ domain: 'orders', fields: 'price:decimal?' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'price' }, testContext(root).ctx);
    expect(await read('src/my_api/repositories/orders.py')).not.toContain('from decimal import Decimal');
  });

  it('keeps the standard library\'s imports one section, as ruff sorts it, beside one the user added; remove-field gives the file back', async () => {
    // A hostile pass: `from datetime import date` landed in a block of its own under the user's
    // `import logging` (ruff I001), and its removal left logging against the third-party section.
    const path = 'src/my_api/repositories/orders.py';
    const mine = (await read(path)).replace('from sqlalchemy import String', 'import logging\n\nfrom sqlalchemy import String') + '\n\nlog = logging.getLogger(__name__)\n';
    await writeFile(at(path), mine);
    await runAddField({ domain: 'orders', fields: 'due:date?, price:decimal?' }, testContext(root).ctx);
    expect(await read(path)).toContain('"""\n\nimport logging\nfrom datetime import date\nfrom decimal import Decimal\n\nfrom sqlalchemy import Date, Numeric, String,');
    await runRemoveField({ domain: 'orders', field: 'due' }, testContext(root).ctx);
    expect(await read(path)).toContain('"""\n\nimport logging\nfrom decimal import Decimal\n\nfrom sqlalchemy import Numeric, String,');
    // The generator puts datetime first in its section; beside the user's import it goes in order.
    await runAddField({ domain: 'orders', fields: 'at:datetime?' }, testContext(root).ctx);
    expect(await read(path)).toContain('"""\n\nimport logging\nfrom datetime import datetime\nfrom decimal import Decimal\n\nfrom sqlalchemy import Numeric, String,');
    await runRemoveField({ domain: 'orders', field: 'price' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'at' }, testContext(root).ctx);
    expect(await read(path)).toBe(mine);
  });

  it('puts a name the user still reads back into its module\'s statement, not a second one beside it', async () => {
    // A hostile pass: the whole `from sqlalchemy import Date, String, ...` came back beside `from sqlalchemy import String, ...`.
    await runAddField({ domain: 'orders', fields: 'born:date?' }, testContext(root).ctx);
    const path = 'src/my_api/repositories/orders.py';
    await writeFile(at(path), (await read(path)).replace(/^( {4}born: .*\n)/m, '$1    birthday: Mapped[date | None] = mapped_column(Date)\n'));
    await runRemoveField({ domain: 'orders', field: 'born' }, testContext(root).ctx);
    const after = await read(path);
    expect(after.match(/^from sqlalchemy import .*$/gm)).toEqual(['from sqlalchemy import Date, String, func, select']);
    expect(after.match(/^from datetime import .*$/gm)).toEqual(['from datetime import date']);
  });

  it('keeps an import a string annotation reads, and drops one only a parameter of that name reads', async () => {
    await runAddField({ domain: 'orders', fields: 'born:date?, price:decimal?' }, testContext(root).ctx);
    const path = 'src/my_api/repositories/orders.py';
    await append(path, '\n\ndef when(value: object) -> "date":\n    return cast("date", value)\n\n\ndef label(Decimal: str) -> str:\n    return Decimal.upper()\n');
    await writeFile(at(path), (await read(path)).replace('from decimal import Decimal\n', 'from decimal import Decimal\nfrom typing import cast\n'));
    await runRemoveField({ domain: 'orders', field: 'born' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'price' }, testContext(root).ctx);
    const after = await read(path);
    expect(after).toContain('from datetime import date\n');
    expect(after).not.toContain('from decimal import Decimal');
  });

  it.each([
    ['a multi-line import of theirs', 'from typing import (\n    Any,\n    cast,\n)\n', '\n\ndef f(x: Any) -> int:\n    return cast(int, x)\n'],
    ['imports of theirs on both sides of the generated one', 'from zoneinfo import ZoneInfo\n', '\n\nTZ = ZoneInfo("UTC")\n'],
  ])('merges the standard library\'s imports beside %s, and remove-field gives the file back', async (_, below, uses) => {
    // A hostile pass: the first was left out of order (I001), the second refused as a conflict.
    const path = 'src/my_api/schemas/orders.py';
    const generated = await read(path);
    const mine = `${generated.replace('from datetime import datetime\n', `import logging\nfrom datetime import datetime\n${below}`)}\n\nlog = logging.getLogger(__name__)${uses}`;
    await writeFile(at(path), mine);
    await runAddField({ domain: 'orders', fields: 'born:date?' }, testContext(root).ctx);
    expect(await read(path)).toContain(`\nimport logging\nfrom datetime import date, datetime\n${below}\nfrom pydantic`);
    await runRemoveField({ domain: 'orders', field: 'born' }, testContext(root).ctx);
    expect(await read(path)).toBe(mine);
  });

  it.each([
    // A third pass: each left ruff's I001 (or F811) after an add-field that exited 0.
    ['a third-party import of theirs above the generated ones', 'import anyio\n', '\n\nasync def pause() -> None:\n    await anyio.sleep(0)\n', 'from datetime import date\n\nimport anyio\nfrom sqlalchemy import Date, String,'],
    ['`import datetime as dt` of theirs', 'import datetime as dt\n\n', '\n\nTODAY = dt.date.today\n', 'import datetime as dt\nfrom datetime import date\n\nfrom sqlalchemy import Date, String,'],
    ['a statement of theirs from the same module', 'from datetime import date, timedelta\n\n', '\n\nWEEK = timedelta(days=7)\nTODAY = date.today\n', 'from datetime import date, timedelta\n\nfrom sqlalchemy import Date, String,'],
  ])('puts the standard library\'s new import where ruff would beside %s; remove-field gives the file back', async (_, imports, uses, expected) => {
    const path = 'src/my_api/repositories/orders.py';
    const mine = `${(await read(path)).replace('from sqlalchemy import String', `${imports}from sqlalchemy import String`)}${uses}`;
    await writeFile(at(path), mine);
    await runAddField({ domain: 'orders', fields: 'born:date?' }, testContext(root).ctx);
    expect(await read(path)).toContain(`"""\n\n${expected}`);
    await runRemoveField({ domain: 'orders', field: 'born' }, testContext(root).ctx);
    expect(await read(path)).toBe(mine);
  });

  it('takes a name the generator joined into a statement of the user\'s back out when no code reads it', async () => {
    const path = 'src/my_api/repositories/orders.py';
    const mine = `${(await read(path)).replace('from sqlalchemy import String', 'from datetime import timedelta\n\nfrom sqlalchemy import String')}\n\nWEEK = timedelta(days=7)\n`;
    await writeFile(at(path), mine);
    await runAddField({ domain: 'orders', fields: 'born:date?' }, testContext(root).ctx);
    expect(await read(path)).toContain('\nfrom datetime import date, timedelta\n\nfrom sqlalchemy import Date, String,');
    await runRemoveField({ domain: 'orders', field: 'born' }, testContext(root).ctx);
    expect(await read(path)).toBe(mine);
  });

  it('merges by name an import line the user added a name to, where add-field changes the same line', async () => {
    // A third hostile pass: one more error type imported by hand made every such add-field refuse.
    const path = 'src/my_api/services/orders.py';
    const mine = `${(await read(path)).replace('from my_api.core.errors import NotFoundError\n', 'from my_api.core.errors import NotFoundError, RuleViolationError\n')}\n\ndef refuse() -> None:\n    raise RuleViolationError("no")\n`;
    await writeFile(at(path), mine);
    await runAddField({ domain: 'orders', fields: 'email:str!?' }, testContext(root).ctx);
    expect(await read(path)).toContain('\nfrom my_api.core.errors import ConflictError, NotFoundError, RuleViolationError\n');
    await runRemoveField({ domain: 'orders', field: 'email' }, testContext(root).ctx);
    expect(await read(path)).toBe(mine);
  });

  it('keeps an import a parameter\'s annotation reads (date: date), and one __all__ names', async () => {
    await runAddField({ domain: 'orders', fields: 'born:date?, price:decimal?' }, testContext(root).ctx);
    const path = 'src/my_api/repositories/orders.py';
    await append(path, '\n\ndef label(date: date) -> str:\n    return date.isoformat()\n\n\n__all__ = ["Decimal", "Order"]\n');
    await runRemoveField({ domain: 'orders', field: 'born' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'price' }, testContext(root).ctx);
    const after = await read(path);
    expect(after).toContain('from datetime import date\nfrom decimal import Decimal\n');
  });

  it('is not held back by the templates\' own use of the name (fastapi\'s status beside a field called status)', async () => {
    await runAddField({ domain: 'orders', fields: 'status:str=new' }, testContext(root).ctx);
    await runRemoveField({ domain: 'orders', field: 'status' }, testContext(root).ctx);
    expect(await read('src/my_api/routers/orders/handlers.py')).toContain('from fastapi import APIRouter, status\n');
    expect(await read('src/my_api/schemas/orders.py')).not.toContain('status');
  });

  it.each([
    ['orders', 'price', /orders has no field "price" \(fields: name\)/],
    ['orders', 'name', 'name is the last field of orders holding a value of its own: add another first (add-field), or remove-domain orders'],
    ['invoices', 'name', /No domain "invoices" in this project/],
  ])('refuses %s %s, writing nothing', async (domain, field, message) => {
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveField({ domain, field }, testContext(root).ctx)).rejects.toThrow(message);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });
});

describe('the job examples\' tests after the fields of their domain change', () => {
  // They posted {"name": ...}, create's field: remove-field users name left them failing (KeyError,
  // 422). They post what the domain's own tests build, which every field command renders again.
  it('build their payloads with valid_payload from the domain\'s own tests, which follows its fields', async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'jobs', extras: 'workers,schedulers', git: false, install: false }, testContext(cwd).ctx);
    const jobs = (path: string) => readFile(join(cwd, 'jobs', path), 'utf8');
    await runAddField({ domain: 'users', fields: 'code:str!?' }, testContext(join(cwd, 'jobs')).ctx);
    await runRemoveField({ domain: 'users', field: 'name' }, testContext(join(cwd, 'jobs')).ctx);
    const own = await jobs('tests/test_users_api.py');
    expect(own).toMatch(/^def valid_payload\(client: TestClient\) -> dict\[str, Any\]:/m);
    expect(own).not.toContain('"name"');
    for (const file of ['tests/test_workers.py', 'tests/test_schedulers.py']) {
      const text = await jobs(file);
      expect(text).toContain('\nfrom test_users_api import valid_payload\n');
      expect(text).toContain('valid_payload(client)');
      expect(text).not.toContain('"name"');
    }
  });

  it('hold their domain back from remove-domain once the code they test no longer does', async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'jobs', extras: 'workers', git: false, install: false }, testContext(cwd).ctx);
    const project = join(cwd, 'jobs');
    for (const file of ['src/jobs/workers/tasks.py', 'src/jobs/routers/imports/handlers.py']) await writeFile(join(project, file), '"""Ours now."""\n');
    const before = await snapshotTree(project, { withFolders: true });
    const importLine = (before['tests/test_workers.py'] as string).split('\n').indexOf('from test_users_api import valid_payload') + 1;
    expect(importLine).toBeGreaterThan(0);
    await expect(runRemoveDomain({ name: 'users' }, testContext(project).ctx)).rejects.toThrow(
      `Cannot remove users while code that stays uses it: tests/test_workers.py:${importLine} imports test_users_api.`,
    );
    expect(await snapshotTree(project, { withFolders: true })).toEqual(before);
  });
});

describe('references between domains', () => {
  it('remove-domain refuses a domain another refers to, naming the field to remove first', async () => {
    await runAddDomain({ name: 'invoices', fields: 'total:decimal, order:ref(orders, on_delete=cascade)' }, testContext(root).ctx);
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveDomain({ name: 'orders' }, testContext(root).ctx)).rejects.toThrow(
      'invoices.order refers to orders: remove-field invoices order first',
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    await runRemoveField({ domain: 'invoices', field: 'order' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'orders' }, testContext(root).ctx);
    expect(Object.keys(await snapshotTree(root)).filter((path) => path.startsWith('src/my_api/services/'))).toEqual([
      'src/my_api/services/__init__.py',
      'src/my_api/services/invoices.py',
      'src/my_api/services/users.py',
    ]);
  });

  it('a domain removed with an edited file kept neither refers nor can be changed, until remove-domain --force ends it', async () => {
    await runAddDomain({ name: 'tags', fields: 'label:str, owner:ref(users)?' }, testContext(root).ctx);
    await append('tests/test_tags_api.py', '# ours\n');
    await runRemoveDomain({ name: 'tags' }, testContext(root).ctx);
    const kept = 'The domain tags was removed; remove-domain kept the files you had changed (tests/test_tags_api.py): remove-domain tags --force deletes them';
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveField({ domain: 'tags', field: 'owner' }, testContext(root).ctx)).rejects.toThrow(kept);
    await expect(runAddField({ domain: 'tags', fields: 'note:text?' }, testContext(root).ctx)).rejects.toThrow(kept);
    await expect(runAddDomain({ name: 'notes', fields: 'tag:ref(tags)?' }, testContext(root).ctx)).rejects.toThrow(kept);
    await expect(runAddDomain({ name: 'tags' }, testContext(root).ctx)).rejects.toThrow('remove-domain tags --force deletes them');
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    // Its reference to users no longer holds users back.
    await runRemoveDomain({ name: 'users' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'tags', force: true }, testContext(root).ctx);
    expect(JSON.parse(await read('.create-layered-backend.json')).domains).not.toHaveProperty('tags');
    expect(Object.keys(await snapshotTree(root))).not.toContain('tests/test_tags_api.py');
  });

  it('add-domain writes the foreign key, its 409 check in the service and the delete rule\'s test', async () => {
    await runAddDomain({ name: 'invoices', fields: 'total:decimal, order:ref(orders, on_delete=cascade)' }, testContext(root).ctx);
    expect(await read('src/my_api/repositories/invoices.py')).toContain('ForeignKey("orders.id", ondelete="CASCADE")');
    expect(await read('src/my_api/services/invoices.py')).toContain('raise ConflictError(msg, field="order_id")');
    expect(await read('migrations/versions/create_invoices.py')).toContain('ondelete="CASCADE"');
    expect(await read('tests/test_invoices_api.py')).toContain('def test_deleting_what_order_id_names');
  });
});
