import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAddDomain } from '../../src/commands/add-domain/index.js';
import { runAddField } from '../../src/commands/add-field/index.js';
import { runCreate } from '../../src/commands/create/index.js';
import { runRemoveDomain } from '../../src/commands/remove-domain/index.js';
import { syntaxErrorLine } from '../../src/core/python-edit.js';
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
    ['bases', undefined, /would define "Base" in repositories\/bases.py, which already uses that name/],
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

  it('refuses to replace a hand-written file where one of its files goes, unless --force, which lists it', async () => {
    await writeFile(join(root, 'src/my_api/services/invoices.py'), '# hand-written\n');
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddDomain({ name: 'invoices' }, testContext(root).ctx)).rejects.toThrow(
      /add-domain invoices would overwrite src\/my_api\/services\/invoices.py; pick another name, or use --force/,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    const { ctx, output } = testContext(root);
    await runAddDomain({ name: 'invoices', force: true }, ctx);
    expect(output.join('\n')).toContain('  replace src/my_api/services/invoices.py');
    expect(await readFile(join(root, 'src/my_api/services/invoices.py'), 'utf8')).toContain('Business rules for invoices');
  });

  it('refuses a name whose module a package of the project already is, even with --force', async () => {
    await mkdir(join(root, 'src/my_api/services/invoices'));
    await writeFile(join(root, 'src/my_api/services/invoices/__init__.py'), '');
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddDomain({ name: 'invoices', force: true }, testContext(root).ctx)).rejects.toThrow(
      /src\/my_api\/services\/invoices.py would clash with the existing module src\/my_api\/services\/invoices/,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('refuses a default too long for one line of the schema, writing nothing', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    // Quoted and indented by 8 on a line of its own, 93 characters no longer fit in 100.
    const fields = `note:str=${'x'.repeat(93)}`;
    await expect(runAddDomain({ name: 'invoices', fields }, testContext(root).ctx)).rejects.toThrow(
      /the default of "note" does not fit a 100-column line \(95 columns as Python source\)$/,
    );
    // Twenty Cherokee letters that look Latin: 120 columns once escaped, and the line says why.
    await expect(runAddDomain({ name: 'invoices', fields: `note:str=${'\u13aa'.repeat(20)}` }, testContext(root).ctx)).rejects.toThrow(
      /does not fit a 100-column line \(122 columns as Python source, with escapes for what ruff's RUF001 reports\)$/,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('builds on a hand-written revision whatever its id, and refuses one it cannot print, writing nothing', async () => {
    const handWritten = (id: string) =>
      `"""By hand."""\n\nrevision = ${id}\ndown_revision = "create_orders"\n\n\ndef upgrade() -> None:\n    pass\n`;
    await writeFile(join(root, 'migrations/versions/by_hand.py'), handWritten(`'ab"c'`));
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddDomain({ name: 'invoices' }, testContext(root).ctx)).rejects.toThrow(
      'migrations/versions/by_hand.py: its revision id "ab\\"c" holds a quote, a backslash or a line break',
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);

    // Read as Python would read it, or not at all: an escape, an f-string; and no longer than Alembic's column.
    for (const [id, message] of [
      [`'a\\'b'`, 'migrations/versions/by_hand.py:3: expected a plain string literal (no f-string, bytes or escapes), found'],
      [`f'a{{b'`, 'migrations/versions/by_hand.py:3: expected a plain string literal'],
      [`"${'x'.repeat(33)}"`, 'migrations/versions/by_hand.py: its revision id has 33 characters, more than the 32'],
      [`"${'😀'.repeat(33)}"`, 'migrations/versions/by_hand.py: its revision id has 33 characters, more than the 32'],
    ]) {
      await writeFile(join(root, 'migrations/versions/by_hand.py'), handWritten(id as string));
      await expect(runAddDomain({ name: 'invoices' }, testContext(root).ctx), id).rejects.toThrow(message as string);
    }

    // 32 characters, 64 UTF-16 units: Alembic's column counts characters.
    await writeFile(join(root, 'migrations/versions/by_hand.py'), handWritten(`"${'😀'.repeat(32)}"`));
    await runAddDomain({ name: 'widgets' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'widgets', purge: true }, testContext(root).ctx);

    await writeFile(join(root, 'migrations/versions/by_hand.py'), handWritten(`"2026.11 état 'b'"`));
    await runAddDomain({ name: 'invoices' }, testContext(root).ctx);
    const migration = await readFile(join(root, 'migrations/versions/create_invoices.py'), 'utf8');
    expect(migration).toContain(`Revises: 2026.11 état 'b'\n`);
    expect(migration).toContain(`down_revision: str | None = "2026.11 état 'b'"\n`);
  });

  it('outside a project: a clear error', async () => {
    await expect(runAddDomain({ name: 'widgets' }, testContext(await tempDir()).ctx)).rejects.toThrow(/Not inside/);
  });
});

describe('remove-domain', () => {
  it('keeps the create migration (history) and drops the table in a new migration at the head', async () => {
    const before = await snapshotTree(root);
    await runAddDomain({ name: 'products', fields: 'name:str, price:decimal' }, testContext(root).ctx);
    const added = await snapshotTree(root);
    await runRemoveDomain({ name: 'products' }, testContext(root).ctx);
    const after = await snapshotTree(root);
    expect(Object.keys(after).filter((path) => !(path in before)).sort()).toEqual([
      'migrations/versions/create_products.py',
      'migrations/versions/drop_products.py',
    ]);
    expect(after['migrations/versions/create_products.py']).toBe(added['migrations/versions/create_products.py']);
    const drop = after['migrations/versions/drop_products.py'] as string;
    expect(drop).toContain('down_revision: str | None = "create_products"');
    expect(drop).toMatch(/def upgrade\(\) -> None:\n    op.drop_table\("products"\)/);
    expect(drop).toMatch(/def downgrade\(\) -> None:\n    op.create_table\(\n        "products",[\s\S]*sa.Column\("price", sa.Numeric\(12, 2\)/);
    // Added again later: new, distinct revision ids at the head of the chain.
    await runAddDomain({ name: 'products' }, testContext(root).ctx);
    const again = await readFile(join(root, 'migrations/versions/create_products_2.py'), 'utf8');
    expect(again).toContain('revision: str = "create_products_2"');
    expect(again).toContain('down_revision: str | None = "drop_products"');
  });

  it('refuses, even with --force, while the model maps a column added by hand, which the drop migration could not put back', async () => {
    // A hostile pass: the downgrade recreated products without archived, and the user's own
    // migration dropping archived then failed in the migrations test.
    await runAddDomain({ name: 'products', fields: 'name:str, owner:ref(users)?' }, testContext(root).ctx);
    const model = 'src/my_api/repositories/products.py';
    const source = await readFile(join(root, model), 'utf8');
    const line = source.split('\n').findIndex((text) => text.startsWith('    name: Mapped[str]')) + 2;
    await writeFile(join(root, model), source.replace(/^( {4}name: Mapped\[str\].*\n)/m, '$1    archived: Mapped[bool] = mapped_column(default=False)\n    owner: Mapped["User | None"] = relationship()\n'));
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveDomain({ name: 'products', force: true }, testContext(root).ctx)).rejects.toThrow(
      `${model}:${line} maps archived, added by hand: the migration that drops products could not put it back on downgrade. Drop it first (from the model, with a migration), then run again`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    // Without it (the relationship is no column), the domain goes.
    await writeFile(join(root, model), (await readFile(join(root, model), 'utf8')).replace(/ {4}archived: .*\n/, ''));
    await runRemoveDomain({ name: 'products', force: true }, testContext(root).ctx);
    expect(await readFile(join(root, 'migrations/versions/drop_products.py'), 'utf8')).toContain('op.drop_table("products")');
  });

  it.each([
    ['a Column() without Mapped', 'nickname = Column(String(50))', 'nickname'],
    ['Mapped under a module alias', 'nickname: so.Mapped[str | None] = so.mapped_column(String(50))', 'nickname'],
  ])('refuses a column added by hand as %s', async (_, line, column) => {
    // A hostile pass found both accepted, and the migrations test failing after.
    await runAddDomain({ name: 'products', fields: 'name:str' }, testContext(root).ctx);
    const model = 'src/my_api/repositories/products.py';
    const source = await readFile(join(root, model), 'utf8');
    await writeFile(join(root, model), source.replace(/^( {4}name: Mapped\[str\].*\n)/m, `$1    ${line}\n`));
    const at = source.split('\n').findIndex((text) => text.startsWith('    name: Mapped[str]')) + 2;
    await expect(runRemoveDomain({ name: 'products', force: true }, testContext(root).ctx)).rejects.toThrow(`${model}:${at} maps ${column}, added by hand`);
  });

  it('--purge refuses while a migration of the team\'s names the table (a data fix), writing nothing', async () => {
    const versions = join(root, 'migrations/versions');
    // The head: create's migrations run users', then orders'.
    const revision = /^revision: str = "(\w+)"/m.exec(await readFile(join(versions, 'create_orders.py'), 'utf8'))?.[1] as string;
    const seed = [
      '"""Seed."""',
      '',
      'from alembic import op',
      '',
      'revision: str = "seed"',
      `down_revision: str | None = "${revision}"`,
      '',
      '',
      'def upgrade() -> None:',
      `    op.execute("INSERT INTO orders (name) VALUES ('first')")`,
      '',
    ].join('\n');
    await writeFile(join(versions, 'seed.py'), seed);
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveDomain({ name: 'orders', purge: true }, testContext(root).ctx)).rejects.toThrow(
      'migrations/versions/seed.py:10 names orders, whose migrations --purge would delete: remove-domain orders without --purge',
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('refuses while code that stays names one of its modules in a string (a monkeypatch target), naming the line', async () => {
    const file = 'tests/test_mine.py';
    const source = 'import pytest\n\n\ndef test_patched(monkeypatch: pytest.MonkeyPatch) -> None:\n    monkeypatch.setattr("my_api.services.orders.list_orders", None)\n';
    await writeFile(join(root, file), source);
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveDomain({ name: 'orders' }, testContext(root).ctx)).rejects.toThrow(`${file}:5 names my_api.services.orders in a string`);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    // A module of another name that starts alike is not it.
    await writeFile(join(root, file), source.replace('services.orders.list_orders', 'services.orders_archive.list'));
    await runRemoveDomain({ name: 'orders' }, testContext(root).ctx);
  });

  it('refuses a domain whose table a model of the team\'s maps already, writing nothing', async () => {
    const file = 'src/my_api/repositories/catalog.py';
    const model = 'from sqlalchemy.orm import Mapped, mapped_column\n\nfrom my_api.core.db import Base\n\n\nclass Item(Base):\n    __tablename__ = "products"\n\n    id: Mapped[int] = mapped_column(primary_key=True)\n';
    await writeFile(join(root, file), model);
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddDomain({ name: 'products' }, testContext(root).ctx)).rejects.toThrow(`${file}:7 maps the table products already`);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    // Another name goes in beside it; a Table() of the name is refused as well.
    await runAddDomain({ name: 'gadgets' }, testContext(root).ctx);
    await writeFile(join(root, 'src/my_api/repositories/legacy.py'), 'from sqlalchemy import Column, Integer, Table\n\nfrom my_api.core.db import Base\n\nwidgets = Table("widgets", Base.metadata, Column("id", Integer, primary_key=True))\n');
    await expect(runAddDomain({ name: 'widgets' }, testContext(root).ctx)).rejects.toThrow('src/my_api/repositories/legacy.py:5 maps the table widgets already');
  });

  it.each([
    ['in another domain\'s model', 'src/my_api/repositories/users.py', '    first_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))'],
    ['in a model of the team\'s own module', 'src/my_api/repositories/catalog.py', '    first_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))'],
    ['over several lines, by keyword', 'src/my_api/repositories/users.py', '    first_order_id: Mapped[int] = mapped_column(\n        ForeignKey(\n            column="orders.id",\n        ),\n    )'],
    ['as a table constraint', 'src/my_api/repositories/users.py', '    __table_args__ = (ForeignKeyConstraint(["first_order_id"], ["orders.id"]),)'],
  ])('refuses while a ForeignKey written by hand %s points at its table, writing nothing', async (_, file, line) => {
    const source = (await readFile(join(root, file), 'utf8').catch(() => '')) + `\n\nclass Mine:\n${line}\n`;
    await writeFile(join(root, file), source);
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveDomain({ name: 'orders', force: true }, testContext(root).ctx)).rejects.toThrow(
      `${file}:${source.split('\n').findIndex((text) => text.includes('ForeignKey') && !text.startsWith('from')) + 1} refers to orders with a ForeignKey written by hand`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('is not held back by a ForeignKey to orders in a comment, or to a table whose name starts alike', async () => {
    const file = 'src/my_api/repositories/users.py';
    await writeFile(join(root, file), `${await readFile(join(root, file), 'utf8')}\n# Later: ForeignKey("orders.id")\nARCHIVE = 'ForeignKey("orders_archive.id")'\n`);
    await runRemoveDomain({ name: 'orders' }, testContext(root).ctx);
  });

  it('refuses a column a mixin of the file gives the model, and, with --force, another model\'s table in the file', async () => {
    await runAddDomain({ name: 'products', fields: 'name:str' }, testContext(root).ctx);
    const model = 'src/my_api/repositories/products.py';
    const source = await readFile(join(root, model), 'utf8');
    const mixin = 'class Audited:\n    audited_by: Mapped[str | None] = mapped_column(String(50))\n\n\n';
    await writeFile(join(root, model), source.replace('class Product(Timestamps, Base):', `${mixin}class Product(Audited, Timestamps, Base):`));
    const line = (await readFile(join(root, model), 'utf8')).split('\n').indexOf('    audited_by: Mapped[str | None] = mapped_column(String(50))') + 1;
    await expect(runRemoveDomain({ name: 'products', force: true }, testContext(root).ctx)).rejects.toThrow(`${model}:${line} maps audited_by, added by hand`);
    const tags = '\n\nclass Tag(Base):\n    __tablename__ = "product_tags"\n\n    id: Mapped[int] = mapped_column(primary_key=True)\n';
    await writeFile(join(root, model), `${source}${tags}`);
    const tagLine = `${source}${tags}`.split('\n').indexOf('class Tag(Base):') + 1;
    await expect(runRemoveDomain({ name: 'products', force: true }, testContext(root).ctx)).rejects.toThrow(
      `${model}:${tagLine} maps the table product_tags too, which removing products would leave behind in the database: move that model to a module of its own first, then run again`,
    );
  });

  it('says to run ruff format where ruff\'s format settings print lines otherwise than create\'s (line length, quotes)', async () => {
    const warned = async (name: string) => {
      const { ctx, output } = testContext(root);
      await runAddDomain({ name }, ctx);
      return output.filter((line) => line.includes('line-length'));
    };
    expect(await warned('tags')).toEqual([]);
    const pyproject = join(root, 'pyproject.toml');
    await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace(/^line-length = 100$/m, 'line-length = 120'));
    expect(await warned('labels')).toEqual([
      "ruff format here has line-length = 120, and the Python lines this writes are printed as create's settings have them: `ruff format` reprints them.",
    ]);
    // ruff reads a ruff.toml before pyproject.toml, and without a line-length there takes its own 88.
    await writeFile(join(root, 'ruff.toml'), 'indent-width = 4\n[format]\nquote-style = "single"\nline-ending = "cr-lf"\n');
    expect(await warned('notes')).toEqual([
      expect.stringContaining('has line-length = 88, quote-style = "single", line-ending = "cr-lf", and the Python lines'),
    ]);
    // A command that only takes lines out prints none to reformat; one that writes a new file
    // does, as remove-domain's migration dropping the table.
    const removed = async (name: string, purge: boolean) => {
      const { ctx, output } = testContext(root);
      await runRemoveDomain({ name, purge }, ctx);
      return output.filter((line) => line.includes('ruff format here'));
    };
    expect(await removed('notes', true)).toEqual([]);
    expect(await removed('labels', false)).toEqual([expect.stringContaining('line-ending = "cr-lf", and the Python lines')]);
    expect((await warned('memos'))[0]).toContain('(ruff check may still find a comment too long for 88)');
  });

  it.each([
    ['indent-style = "tab" in [tool.ruff.format]', '[tool.ruff.format]\nindent-style = "tab"\n', '\t'],
    ['indent-width = 2 in ruff.toml', null, '  '],
  ])('a project formatted with %s: new files come in that indentation; add then remove --purge gives its bytes back', async (_, pyproject, unit) => {
    // The team's settings, and every Python file as ruff format then leaves it.
    if (pyproject) await writeFile(join(root, 'pyproject.toml'), `${await readFile(join(root, 'pyproject.toml'), 'utf8')}\n${pyproject}`);
    else await writeFile(join(root, 'ruff.toml'), 'line-length = 100\nindent-width = 2\n');
    const inUnit = (text: string) => text.replace(/^(?: {4})+/gm, (indent) => unit.repeat(indent.length / 4));
    for (const [path, text] of Object.entries(await snapshotTree(root))) {
      if (path.endsWith('.py')) await writeFile(join(root, path), inUnit(text as string));
    }
    const before = await snapshotTree(root, { withFolders: true });
    const commands = async (project: string) => {
      await runAddDomain({ name: 'products', fields: 'name:str, price:decimal, owner:ref(users)?' }, testContext(project).ctx);
      await runAddField({ domain: 'products', fields: 'sku:str!?' }, testContext(project).ctx);
    };
    await commands(root);
    // What the same commands write in a project left in four spaces, in the team's indentation.
    const cwd = await tempDir();
    await runCreate({ directory: 'my-api', git: false, install: false }, testContext(cwd).ctx);
    await commands(join(cwd, 'my-api'));
    const plain = await snapshotTree(join(cwd, 'my-api'));
    const after = await snapshotTree(root);
    const written = Object.keys(after).filter((path) => path.endsWith('.py') && after[path] !== before[path]);
    expect(written.length).toBeGreaterThan(8);
    for (const path of written) {
      expect(after[path], path).toBe(inUnit(plain[path] as string));
      expect(await syntaxErrorLine(after[path] as string), path).toBeUndefined();
    }
    await runRemoveDomain({ name: 'products', purge: true }, testContext(root).ctx);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('add then remove --purge leaves the project byte-identical', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    await runAddDomain({ name: 'products', fields: 'name:str, price:decimal' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'products', purge: true }, testContext(root).ctx);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('--purge with its create migration edited: says why the migrations stay and a new one drops the table, in a dry run too', async () => {
    await runAddDomain({ name: 'products' }, testContext(root).ctx);
    const created = join(root, 'migrations/versions/create_products.py');
    await writeFile(created, `${await readFile(created, 'utf8')}\n# my data fix\n`);
    const why = '--purge: migrations/versions/create_products.py changed since generated, so the migrations stay and a new one drops the table (--purge --force deletes them anyway)';
    const dry = testContext(root);
    await runRemoveDomain({ name: 'products', purge: true, dryRun: true }, dry.ctx);
    expect(dry.output).toContain(why);
    const { ctx, output } = testContext(root);
    await runRemoveDomain({ name: 'products', purge: true }, ctx);
    expect(output).toContain(why);
    expect(await readFile(created, 'utf8')).toContain('# my data fix');
    expect(await readFile(join(root, 'migrations/versions/drop_products.py'), 'utf8')).toContain('op.drop_table("products")');
  });

  it('--purge of a domain in the middle of the migration chain relinks the next migration', async () => {
    await runAddDomain({ name: 'products' }, testContext(root).ctx);
    await runAddDomain({ name: 'invoices' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'products', purge: true }, testContext(root).ctx);
    const tree = await snapshotTree(root);
    expect(tree).not.toHaveProperty(['migrations/versions/create_products.py']);
    expect(tree['migrations/versions/create_invoices.py']).toContain('down_revision: str | None = "create_orders"');
    expect(tree['migrations/versions/create_invoices.py']).toContain('Revises: create_orders\n');
  });

  it('keeps every migration of a domain that add-field changed, and --purge takes them all out of the chain', async () => {
    // add_orders_y sorts before create_orders: the first of the domain's migrations was taken
    // for its create migration, and create_orders was deleted as an ordinary file.
    await runAddField({ domain: 'users', fields: 'a:int=1' }, testContext(root).ctx);
    await runAddField({ domain: 'orders', fields: 'y:str=q' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'orders' }, testContext(root).ctx);
    const revisions = async () => {
      const tree = await snapshotTree(root);
      return Object.entries(tree)
        .filter(([path]) => path.startsWith('migrations/versions/'))
        .map(([, text]) => [/^revision: str = "(\w+)"/m.exec(text as string)?.[1], /^down_revision: str \| None = (?:None|"(\w+)")/m.exec(text as string)?.[1] ?? null]);
    };
    expect(await revisions()).toEqual([
      ['add_orders_y', 'add_users_a'],
      ['add_users_a', 'create_orders'],
      ['create_orders', 'create_users'],
      ['create_users', null],
      ['drop_orders', 'add_orders_y'],
    ]);

    await runAddDomain({ name: 'invoices' }, testContext(root).ctx);
    await runAddField({ domain: 'invoices', fields: 'b:int=1' }, testContext(root).ctx);
    await runAddField({ domain: 'users', fields: 'c:int=1' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'invoices', purge: true }, testContext(root).ctx);
    expect((await revisions()).filter(([revision]) => ['add_users_c', 'create_invoices', 'add_invoices_b'].includes(revision as string))).toEqual([
      ['add_users_c', 'drop_orders'],
    ]);
  });

  it('--purge relinks onto a parent whose id holds a quote, printing it as Python reads it', async () => {
    // By hand: orders' migration built on a revision whose id is `p"1`, and one more built on orders.
    await writeFile(
      join(root, 'migrations/versions/p1.py'),
      `"""By hand."""\n\nrevision = 'p"1'\ndown_revision = "create_users"\n\n\ndef upgrade() -> None:\n    pass\n`,
    );
    const orders = join(root, 'migrations/versions/create_orders.py');
    await writeFile(orders, (await readFile(orders, 'utf8')).replace('down_revision: str | None = "create_users"', `down_revision: str | None = 'p"1'`));
    await writeFile(join(root, 'migrations/versions/c1.py'), `revision = "c1"\ndown_revision = "create_orders"\n`);
    await runRemoveDomain({ name: 'orders', purge: true, force: true }, testContext(root).ctx);
    expect(await readFile(join(root, 'migrations/versions/c1.py'), 'utf8')).toBe(`revision = "c1"\ndown_revision = 'p"1'\n`);
  });

  it('--purge leaves a merge no parent that another parent reaches, and refuses while a depends_on names the migration', async () => {
    // Two branches off orders and the things domain, merged by hand (alembic merge heads). Relinked
    // to ("hand1", "hand2", "create_orders"), the merge named an ancestor of its other parents,
    // and `alembic upgrade head` failed with KeyError.
    await runAddDomain({ name: 'things' }, testContext(root).ctx);
    const migration = (id: string, parents: string, extra = '') =>
      writeFile(join(root, `migrations/versions/${id}.py`), `"""By hand."""\n\nrevision = "${id}"\ndown_revision = ${parents}\n${extra}`);
    await migration('hand1', '"create_orders"');
    await migration('hand2', '"create_orders"');
    await migration('merge1', '("hand1", "hand2", "create_things")');
    await migration('later', '"merge1"', 'depends_on = "create_things"\n');
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveDomain({ name: 'things', purge: true }, testContext(root).ctx)).rejects.toThrow(
      /^migrations\/versions\/later\.py depends on create_things \(depends_on\): point it elsewhere, or remove-domain things without --purge/,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    await migration('later', '"merge1"');
    await runRemoveDomain({ name: 'things', purge: true }, testContext(root).ctx);
    expect(await readFile(join(root, 'migrations/versions/merge1.py'), 'utf8')).toBe(
      '"""By hand."""\n\nrevision = "merge1"\ndown_revision = ("hand1", "hand2")\n',
    );
  });

  it('keeps and lists a file the user edited, unless --force; a kept test file is said to fail now', async () => {
    const schemas = join(root, 'src/my_api/schemas/orders.py');
    await writeFile(schemas, `${await readFile(schemas, 'utf8')}\n# my note\n`);
    const tests = join(root, 'tests/test_orders_api.py');
    await writeFile(tests, `${await readFile(tests, 'utf8')}\n# my case\n`);
    const { ctx, output } = testContext(root);
    await runRemoveDomain({ name: 'orders' }, ctx);
    expect(output.join('\n')).toContain('  keep    src/my_api/schemas/orders.py');
    expect(output).toContain('Kept the files you changed since they were generated (--force removes them too): src/my_api/schemas/orders.py, tests/test_orders_api.py');
    expect(output).toContain('tests/test_orders_api.py tests the routes just removed: pytest fails until you delete it (or remove-domain orders --force)');
    expect(await readFile(schemas, 'utf8')).toContain('# my note');
    await runRemoveDomain({ name: 'orders', force: true }, testContext(root).ctx);
    const left = Object.keys(await snapshotTree(root)).filter((path) => path.includes('orders') && !path.startsWith('migrations/'));
    expect(left).toEqual([]);
  });

  it('refuses, naming file and line, while code it would keep imports what it deletes', async () => {
    const service = join(root, 'src/my_api/services/orders.py');
    await writeFile(service, `${await readFile(service, 'utf8')}\n# my rule\n`);
    const checkout = ['"""Checkout."""', '', 'from my_api.schemas.orders import OrderRead', 'from my_api.services import users', ''];
    await writeFile(join(root, 'src/my_api/services/checkout.py'), checkout.join('\n'));
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveDomain({ name: 'orders' }, testContext(root).ctx)).rejects.toThrow(
      /Cannot remove orders while code that stays uses it: src\/my_api\/services\/checkout.py:3 imports my_api.schemas.orders; src\/my_api\/services\/orders.py:\d+ imports my_api.repositories.orders/,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });
  it('in domain-first, names the module a kept file takes from the domain, not its package', async () => {
    // A hostile pass saw "imports my_api.domains.orders" for an import of its deps.
    const cwd = await tempDir();
    await runCreate({ directory: 'my-api', layout: 'domain-first', git: false, install: false }, testContext(cwd).ctx);
    root = join(cwd, 'my-api');
    const report = ['"""Report."""', '', 'from my_api.domains.orders import deps', 'from my_api.domains.orders.schemas import OrderRead', ''];
    await writeFile(join(root, 'src/my_api/routers/report.py'), report.join('\n'));
    await expect(runRemoveDomain({ name: 'orders' }, testContext(root).ctx)).rejects.toThrow(
      'Cannot remove orders while code that stays uses it: src/my_api/routers/report.py:3 imports my_api.domains.orders.deps; src/my_api/routers/report.py:4 imports my_api.domains.orders.schemas.',
    );
  });
});

