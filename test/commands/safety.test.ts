import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAddDomain } from '../../src/commands/add-domain/index.js';
import { runCreate } from '../../src/commands/create/index.js';
import { runFlip } from '../../src/commands/flip/index.js';
import { runRemoveDomain } from '../../src/commands/remove-domain/index.js';
import { contentHash, MANIFEST_FORMAT, type Manifest } from '../../src/core/manifest.js';
import { main } from '../../src/index.js';
import { tempDir, testContext } from '../helpers.js';
import { snapshotTree } from '../tree.js';

/** Each reproduction of issue 11, as the user met it: a correct edit, or a clear refusal with nothing changed. */

let cwd: string;
let root: string;

beforeEach(async () => {
  cwd = await tempDir();
  await runCreate({ directory: 'my-api', git: false, install: false }, testContext(cwd).ctx);
  root = join(cwd, 'my-api');
});

const manifestOf = async (dir = root) => JSON.parse(await readFile(join(dir, '.create-layered-backend.json'), 'utf8'));
const unchangedSnapshot = () => snapshotTree(root, { withFolders: true });

describe('hand-written files where the generator would write', () => {
  it('a hand-written test file: refused without --force; --force replaces it and says so', async () => {
    await writeFile(join(root, 'tests/test_widgets_api.py'), 'def test_mine() -> None:\n    assert True\n');
    const before = await unchangedSnapshot();
    const { ctx } = testContext(root);
    expect(await main(['add-domain', 'widget'], ctx)).toBe(1);
    expect(await unchangedSnapshot()).toEqual(before);
    const forced = testContext(root);
    await runAddDomain({ name: 'widget', force: true }, forced.ctx);
    expect(forced.output.join('\n')).toContain('  replace tests/test_widgets_api.py');
  });

  it('a hand-written migration named like the new one: left alone, the new one gets its own id at the head', async () => {
    const mine = '"""Mine."""\n\nrevision = "create_widgets"\ndown_revision = "create_orders"\n';
    await writeFile(join(root, 'migrations/versions/create_widgets.py'), mine);
    await runAddDomain({ name: 'widget' }, testContext(root).ctx);
    expect(await readFile(join(root, 'migrations/versions/create_widgets.py'), 'utf8')).toBe(mine);
    const added = await readFile(join(root, 'migrations/versions/create_widgets_2.py'), 'utf8');
    expect(added).toContain('revision: str = "create_widgets_2"');
    expect(added).toContain('down_revision: str | None = "create_widgets"');
  });

  it('a domain whose plural is the package name is fine: package items, domain item', async () => {
    await runCreate({ directory: 'items', git: false, install: false }, testContext(cwd).ctx);
    await runAddDomain({ name: 'item' }, testContext(join(cwd, 'items')).ctx);
    const tree = await snapshotTree(join(cwd, 'items'));
    expect(tree['src/items/services/items.py']).toContain('from items.repositories import items as repository');
  });
});

describe('files made read-only', () => {
  // Refused by their mode, not by a failed write: the folder is writable, so the new file renamed
  // over one, or a deletion, would succeed (and root writes any file).
  it.each([
    ['add-domain, which edits the registry', 'src/my_api/routers/__init__.py', () => runAddDomain({ name: 'widget' }, testContext(root).ctx)],
    ['remove-domain, which deletes the domain', 'src/my_api/services/orders.py', () => runRemoveDomain({ name: 'orders' }, testContext(root).ctx)],
    ['flip, which moves a file and rewrites its imports', 'src/my_api/routers/orders/handlers.py', () => runFlip({}, testContext(root).ctx)],
  ])('%s: refused, naming the file, nothing written', async (_, file, run) => {
    await chmod(join(root, file), 0o444);
    const before = await unchangedSnapshot();
    await expect(run()).rejects.toThrow(`${file} is read-only, and this command would change it; make it writable (chmod u+w)`);
    expect(await unchangedSnapshot()).toEqual(before);
    await chmod(join(root, file), 0o644);
    await run();
    expect(await unchangedSnapshot()).not.toEqual(before);
  });
});

describe('the manifest', () => {
  it('a file the user changed stays theirs after a command edits it', async () => {
    const registry = join(root, 'src/my_api/routers/__init__.py');
    await writeFile(registry, `${await readFile(registry, 'utf8')}# wired by hand below\n`);
    const recorded = (await manifestOf()).files['src/my_api/routers/__init__.py'];
    await runAddDomain({ name: 'widget' }, testContext(root).ctx);
    expect((await manifestOf()).files['src/my_api/routers/__init__.py']).toBe(recorded);
    expect(contentHash(await readFile(registry))).not.toBe(recorded);
  });

  it('a registration the user took out stays out, and the registry theirs, though the rest reads as printed', async () => {
    const registry = join(root, 'src/my_api/routers/__init__.py');
    const text = await readFile(registry, 'utf8');
    await writeFile(registry, text.replace('from my_api.routers.orders import router as orders_router\n', '').replace('api_router.include_router(orders_router)\n', ''));
    const recorded = (await manifestOf()).files['src/my_api/routers/__init__.py'];
    await runAddDomain({ name: 'widget' }, testContext(root).ctx);
    const edited = await readFile(registry, 'utf8');
    expect(edited).toContain('api_router.include_router(widgets_router)\n');
    expect(edited).not.toContain('orders_router');
    expect((await manifestOf()).files['src/my_api/routers/__init__.py']).toBe(recorded);
  });

  it('a relinked migration the user had edited stays edited: a later --purge keeps it', async () => {
    await runAddDomain({ name: 'widget' }, testContext(root).ctx);
    await runAddDomain({ name: 'gadget' }, testContext(root).ctx);
    const gadgets = join(root, 'migrations/versions/create_gadgets.py');
    await writeFile(gadgets, `${await readFile(gadgets, 'utf8')}\n# my data fix\n`);
    await runRemoveDomain({ name: 'widget', purge: true }, testContext(root).ctx);
    expect(await readFile(gadgets, 'utf8')).toContain('down_revision: str | None = "create_orders"');
    await runRemoveDomain({ name: 'gadget', purge: true }, testContext(root).ctx);
    expect(await readFile(gadgets, 'utf8')).toContain('# my data fix');
    // Not deletable, so the table is dropped by a migration instead.
    expect(await readFile(join(root, 'migrations/versions/drop_gadgets.py'), 'utf8')).toContain('op.drop_table("gadgets")');
  });

  it.each([
    ['a path out of the project', (m: Manifest) => m.domains.orders?.files.push('../../outside.txt'), /domains\.orders\.files\.\d+: must be a path inside the project/],
    ['an absolute path', (m: Manifest) => (m.files['/etc/passwd'] = m.files['README.md'] as string), /files\.\/etc\/passwd: must be a path inside the project/],
    ['the wrong shape', (m: Manifest) => ((m as { domains: unknown }).domains = []), /: domains: must be an object; restore it from version control$/],
    ["a domain's files not a list", (m: Manifest) => ((m.domains.users as { files: unknown }).files = 'src'), /: domains\.users\.files: must be a list of strings;/],
    ['a key missing', (m: Manifest) => delete (m as { generator?: unknown }).generator, /: generator: missing; restore it from version control$/],
    ["a domain's key missing", (m: Manifest) => delete (m.domains.users as { fields?: unknown }).fields, /: domains\.users\.fields: missing;/],
    ['a key a domain does not have', (m: Manifest) => ((m.domains.users as { colour?: string }).colour = 'red'), /: domains\.users\.colour: not a key a manifest has;/],
    ['a domain removed: false', (m: Manifest) => ((m.domains.users as { removed?: unknown }).removed = false), /: domains\.users\.removed: false where true belongs;/],
    ['a domain not an object', (m: Manifest) => ((m.domains as Record<string, unknown>).users = null), /: domains\.users: null where Object belongs;/],
    ['a domain named as no module can be', (m: Manifest) => ((m.domains as Record<string, unknown>)['Users'] = m.domains.users), /: domains\.Users: must be a lower-case Python identifier;/],
    ['a key it does not have', (m: Manifest) => ((m.options as { colour?: string }).colour = 'red'), /: options\.colour: not a key a manifest has;/],
    ['a hash cut short', (m: Manifest) => (m.files['README.md'] = 'sha256-abc'), /files\.README\.md: must be a sha256 content hash/],
    ['an unknown database', (m: Manifest) => ((m.options as { db: string }).db = 'mysql'), /: options\.db: "mysql" where \("sqlite" \| "postgres"\) belongs;/],
    ['a newer format', (m: Manifest) => ((m as { format: number }).format = 9), /format 9, newer than this create-layered-backend understands/],
    ['a format that is no number', (m: Manifest) => ((m as { format: unknown }).format = null), /: format: null is not a format number;/],
    ['a fractional format', (m: Manifest) => ((m as { format: unknown }).format = 4.5), /: format: 4.5 is not a format number;/],
    ["a domain's fields that do not parse", (m: Manifest) => ((m.domains.users as { fields: string }).fields = 'name:strr'), /^\.create-layered-backend\.json: the fields recorded for users \("name:strr"\) do not read: unknown type "strr"/],
  ])('with %s is refused with the key named, exit 1, nothing touched', async (_, tamper, message) => {
    await writeFile(join(cwd, 'outside.txt'), 'not yours\n');
    const manifest = await manifestOf();
    tamper(manifest);
    await writeFile(join(root, '.create-layered-backend.json'), JSON.stringify(manifest));
    const before = await snapshotTree(cwd, { withFolders: true });
    const failure = runRemoveDomain({ name: 'orders', force: true }, testContext(root).ctx);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toHaveProperty('exitCode', 1);
    expect(await snapshotTree(cwd, { withFolders: true })).toEqual(before);
  });

  it('a manifest that is not UTF-8 is said so, without advice meant for Python files', async () => {
    await writeFile(join(root, '.create-layered-backend.json'), Buffer.from([0xff, 0xfe, 0x7b]));
    const failure = runRemoveDomain({ name: 'orders' }, testContext(root).ctx);
    await expect(failure).rejects.toThrow(/^\.create-layered-backend\.json is not valid UTF-8; convert it to UTF-8$/);
    await expect(failure).rejects.toHaveProperty('exitCode', 1);
  });

  it('a domain it does not have is named as the user typed it, with the module that was looked for', async () => {
    const failure = runRemoveDomain({ name: 'nope' }, testContext(root).ctx);
    await expect(failure).rejects.toThrow('No domain "nope" in this project (as a module: nopes; domains: orders, users)');
    await expect(failure).rejects.toHaveProperty('exitCode', 1);
    await expect(runRemoveDomain({ name: 'invoices' }, testContext(root).ctx)).rejects.toThrow('No domain "invoices" in this project (domains: orders, users)');
  });

  it('a manifest of 0.1.0 (no format number, no flows, no layout) is read and rewritten in the current format', async () => {
    const {
      format,
      flows,
      placements,
      options: { layout, ...options },
      ...old
    } = await manifestOf();
    expect([format, flows, placements, layout]).toEqual([MANIFEST_FORMAT, {}, {}, 'layer-first']);
    await writeFile(join(root, '.create-layered-backend.json'), JSON.stringify({ ...old, options }, null, 2));
    await runAddDomain({ name: 'widget' }, testContext(root).ctx);
    expect(await manifestOf()).toMatchObject({ format: MANIFEST_FORMAT, flows: {}, placements: {}, options: { layout: 'layer-first' } });
  });

  it('create --force over a generated project records every file, so remove-domain still works after', async () => {
    await runCreate({ directory: 'my-api', force: true, git: false, install: false }, testContext(cwd).ctx);
    const manifest = await manifestOf();
    const files = Object.keys(await snapshotTree(root)).filter((path) => path !== '.create-layered-backend.json');
    expect(Object.keys(manifest.files).sort()).toEqual(files.sort());
    await runRemoveDomain({ name: 'orders' }, testContext(root).ctx);
    expect(await snapshotTree(root)).not.toHaveProperty(['src/my_api/services/orders.py']);
  });

  it('a whole-project CRLF checkout (git autocrlf) counts as unchanged', async () => {
    for (const [path, text] of Object.entries(await snapshotTree(root))) {
      await writeFile(join(root, path), text.replaceAll('\n', '\r\n'));
    }
    const { ctx, output } = testContext(root);
    await runRemoveDomain({ name: 'orders' }, ctx);
    expect(output.join('\n')).not.toMatch(/Kept the files/);
    const tree = await snapshotTree(root);
    expect(tree).not.toHaveProperty(['src/my_api/services/orders.py']);
    expect(tree['src/my_api/routers/__init__.py']).not.toMatch(/[^\r]\n/);
  });
});

describe('encodings, symlinks and odd files', () => {
  it('keeps a Latin-1 router registry in Latin-1, byte for byte around the edit', async () => {
    const registry = join(root, 'src/my_api/routers/__init__.py');
    const text = `# -*- coding: latin-1 -*-\n# Grüße, café\n${await readFile(registry, 'utf8')}`;
    await writeFile(registry, Buffer.from(text, 'latin1'));
    await runAddDomain({ name: 'widget' }, testContext(root).ctx);
    const bytes = await readFile(registry);
    expect(bytes.includes(Buffer.from('Grüße, café', 'latin1'))).toBe(true);
    expect(bytes.toString('latin1')).toContain('api_router.include_router(widgets_router)');
  });

  it('refuses a file declaring an encoding it cannot edit safely', async () => {
    const registry = join(root, 'src/my_api/routers/__init__.py');
    await writeFile(registry, `# -*- coding: cp1252 -*-\n${await readFile(registry, 'utf8')}`);
    const before = await unchangedSnapshot();
    await expect(runAddDomain({ name: 'widget' }, testContext(root).ctx)).rejects.toThrow(
      /routers\/__init__.py declares the encoding "cp1252", which create-layered-backend cannot edit safely/,
    );
    expect(await unchangedSnapshot()).toEqual(before);
  });

  it('refuses a domain file that is a symlink leading out of the project', async () => {
    await writeFile(join(cwd, 'elsewhere.py'), 'x = 1\n');
    const schemas = join(root, 'src/my_api/schemas/orders.py');
    await rm(schemas);
    await symlink(join(cwd, 'elsewhere.py'), schemas);
    await expect(runRemoveDomain({ name: 'orders', force: true }, testContext(root).ctx)).rejects.toThrow(
      /Refusing to touch "src\/my_api\/schemas\/orders.py": it leads outside the project/,
    );
    expect(await readFile(join(cwd, 'elsewhere.py'), 'utf8')).toBe('x = 1\n');
  });

  it('an empty migrations/versions/__init__.py (which Alembic skips) blocks nothing', async () => {
    await writeFile(join(root, 'migrations/versions/__init__.py'), '');
    await runAddDomain({ name: 'widget' }, testContext(root).ctx);
    await runRemoveDomain({ name: 'widget', purge: true }, testContext(root).ctx);
    expect(await readFile(join(root, 'migrations/versions/__init__.py'), 'utf8')).toBe('');
  });

  it('a registration inside a function is a use remove-domain cannot take out: refused with its line', async () => {
    const registry = join(root, 'src/my_api/routers/__init__.py');
    await writeFile(registry, `${await readFile(registry, 'utf8')}\n\ndef debug() -> None:\n    api_router.include_router(orders_router)\n`);
    const before = await unchangedSnapshot();
    await expect(runRemoveDomain({ name: 'orders' }, testContext(root).ctx)).rejects.toThrow(
      /src\/my_api\/routers\/__init__.py:16 still uses orders_router/,
    );
    expect(await unchangedSnapshot()).toEqual(before);
  });

  it('a planned path through a symlinked folder that leaves the project is refused', async () => {
    await mkdir(join(cwd, 'elsewhere'));
    await rm(join(root, 'tests'), { recursive: true });
    await symlink(join(cwd, 'elsewhere'), join(root, 'tests'));
    await expect(runAddDomain({ name: 'widget' }, testContext(root).ctx)).rejects.toThrow(
      /Refusing to touch "tests\/test_widgets_api.py": it leads outside the project/,
    );
    expect(await snapshotTree(join(cwd, 'elsewhere'))).toEqual({});
  });
});

describe('names the templates could not take', () => {
  it.each(['items', 'rows', 'param', 'change', 'page', 'field', 'status', 'class', 'type'])('domain %j works, its code importing its own modules by alias', async (name) => {
    await runAddDomain({ name }, testContext(root).ctx);
    const manifest = await manifestOf();
    expect(Object.keys(manifest.domains)).toHaveLength(3);
  });

  it.each(['os', 'base', 'mapped', 'string', 'x'])('domain %j is refused as a usage error, nothing written', async (name) => {
    const before = await unchangedSnapshot();
    expect(await main(['add-domain', name], testContext(root).ctx)).toBe(2);
    expect(await unchangedSnapshot()).toEqual(before);
  });
});

describe('a folder where a file belongs', () => {
  it('is refused with its path, nothing written', async () => {
    const registry = join(root, 'src/my_api/routers/__init__.py');
    await rm(registry);
    await mkdir(registry);
    const before = await unchangedSnapshot();
    await expect(runAddDomain({ name: 'widget' }, testContext(root).ctx)).rejects.toThrow(
      /src\/my_api\/routers\/__init__.py is a folder where a file belongs/,
    );
    expect(await unchangedSnapshot()).toEqual(before);
  });
});
