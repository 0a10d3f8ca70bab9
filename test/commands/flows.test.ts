import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAddDomain } from '../../src/commands/add-domain/index.js';
import { runAddFlow } from '../../src/commands/add-flow/index.js';
import { runCreate } from '../../src/commands/create/index.js';
import { runFlip } from '../../src/commands/flip/index.js';
import { runRemoveDomain } from '../../src/commands/remove-domain/index.js';
import { runRemoveFlow } from '../../src/commands/remove-flow/index.js';
import { main } from '../../src/index.js';
import { tempDir, testContext } from '../helpers.js';
import { snapshotTree } from '../tree.js';

let root: string;

beforeEach(async () => {
  const cwd = await tempDir();
  await runCreate({ directory: 'my-api', git: false, install: false }, testContext(cwd).ctx);
  root = join(cwd, 'my-api');
});

describe('add-flow', () => {
  it('writes the flow, its model, router and test, registers the router and adds its contract', async () => {
    const before = await snapshotTree(root);
    await runAddFlow({ name: 'checkout', uses: 'users,orders' }, testContext(root).ctx);
    const after = await snapshotTree(root);
    expect(Object.keys(after).filter((path) => !(path in before)).sort()).toEqual([
      'src/my_api/flows/checkout.py',
      'src/my_api/routers/checkout/__init__.py',
      'src/my_api/routers/checkout/handlers.py',
      'src/my_api/schemas/checkout.py',
      'tests/test_checkout_flow.py',
    ]);
    expect(after['src/my_api/flows/checkout.py']).toContain('from my_api.services import orders, users\n');
    expect(after['src/my_api/routers/__init__.py']).toContain('api_router.include_router(checkout_router)');
    expect(after['pyproject.toml']).toBe(
      `${before['pyproject.toml']}
[[tool.importlinter.contracts]]
name = "Flow checkout: the services it names and no other"
type = "forbidden"
source_modules = ["my_api.flows.checkout"]
forbidden_modules = ["my_api.services"]
ignore_imports = [
    "my_api.flows.checkout -> my_api.services.users",
    "my_api.flows.checkout -> my_api.services.orders",
]
unmatched_ignore_imports_alerting = "none"
broken_contract_guidance = "A flow imports the services it names: add the import to this contract's ignore_imports in pyproject.toml if checkout should use that domain too."
`,
    );
    const manifest = JSON.parse(after['.create-layered-backend.json'] as string);
    expect(manifest.flows.checkout.uses).toEqual(['users', 'orders']);
  });

  it('then remove-flow leaves the project byte-identical', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    await runAddFlow({ name: 'checkout', uses: 'users,orders' }, testContext(root).ctx);
    await runRemoveFlow({ name: 'checkout' }, testContext(root).ctx);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('keeps a CRLF pyproject.toml CRLF: the contract it adds, flip\'s and remove-flow\'s (a hostile pass found LF lines among them)', async () => {
    const pyproject = join(root, 'pyproject.toml');
    await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replaceAll('\n', '\r\n'));
    const before = await snapshotTree(root, { withFolders: true });
    const lfOnly = (text: string) => text.split('\r\n').filter((line) => line.includes('\n'));
    await runAddFlow({ name: 'checkout', uses: 'users,orders' }, testContext(root).ctx);
    expect(await readFile(pyproject, 'utf8')).toContain('name = "Flow checkout: the services it names and no other"\r\n');
    expect(lfOnly(await readFile(pyproject, 'utf8'))).toEqual([]);
    await runFlip({}, testContext(root).ctx);
    expect(lfOnly(await readFile(pyproject, 'utf8'))).toEqual([]);
    await runFlip({}, testContext(root).ctx);
    await runRemoveFlow({ name: 'checkout' }, testContext(root).ctx);
    // The manifest now records pyproject.toml's hash as CRLF (as it is), where create recorded it as written.
    const { '.create-layered-backend.json': _, ...after } = await snapshotTree(root, { withFolders: true });
    expect(after).toEqual(Object.fromEntries(Object.entries(before).filter(([path]) => path !== '.create-layered-backend.json')));
  });

  it('refuses to drop a contract the user changed (an import allowed by hand), naming its lines; --force drops it', async () => {
    // A hostile pass: remove-flow deleted the contract with the user's ignore_imports line in it.
    const pyproject = join(root, 'pyproject.toml');
    const created = await readFile(pyproject, 'utf8');
    await runAddFlow({ name: 'billing', uses: 'users' }, testContext(root).ctx);
    const text = await readFile(pyproject, 'utf8');
    const allowed = '    "my_api.flows.billing -> my_api.services.users",\n';
    await writeFile(pyproject, text.replace(allowed, `${allowed}    "my_api.flows.billing -> my_api.services.orders",  # invoices need the order\n`));
    const lines = (await readFile(pyproject, 'utf8')).split('\n');
    const start = lines.indexOf('name = "Flow billing: the services it names and no other"');
    const end = lines.indexOf('broken_contract_guidance = "A flow imports the services it names: add the import to this contract\'s ignore_imports in pyproject.toml if billing should use that domain too."', start) + 1;
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveFlow({ name: 'billing' }, testContext(root).ctx)).rejects.toThrow(
      `pyproject.toml:${start}-${end} holds the contract of the flow billing, with lines you changed since add-flow wrote it: --force removes it with them`,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    await runRemoveFlow({ name: 'billing', force: true }, testContext(root).ctx);
    expect(await readFile(pyproject, 'utf8')).toBe(created);
  });

  it('leaves a comment the user put after the contract: it is not the contract\'s', async () => {
    // A hostile pass: remove-flow refused it as an edit, and --force deleted it.
    const pyproject = join(root, 'pyproject.toml');
    const created = await readFile(pyproject, 'utf8');
    await runAddFlow({ name: 'billing', uses: 'users' }, testContext(root).ctx);
    await writeFile(pyproject, `${await readFile(pyproject, 'utf8')}\n# Local overrides below: keep.\n`);
    await runRemoveFlow({ name: 'billing' }, testContext(root).ctx);
    expect(await readFile(pyproject, 'utf8')).toBe(`${created}\n# Local overrides below: keep.\n`);
  });

  it('remove-flow of the first of two flows leaves what add-flow of the second alone gives', async () => {
    const cwd = await tempDir();
    await runCreate({ directory: 'my-api', git: false, install: false }, testContext(cwd).ctx);
    await runAddFlow({ name: 'beta', uses: 'users' }, testContext(join(cwd, 'my-api')).ctx);
    await runAddFlow({ name: 'alpha', uses: 'users' }, testContext(root).ctx);
    await runAddFlow({ name: 'beta', uses: 'users' }, testContext(root).ctx);
    await runRemoveFlow({ name: 'alpha' }, testContext(root).ctx);
    // The blank line before beta's contract went with alpha's.
    expect(await readFile(join(root, 'pyproject.toml'), 'utf8')).toBe(await readFile(join(cwd, 'my-api', 'pyproject.toml'), 'utf8'));
  });

  it.each([
    [['add-flow', 'checkout'], 2, /add-flow needs --uses/],
    [['add-flow', 'checkout', '--uses', ''], 2, /at least one domain/],
    [['add-flow', 'class', '--uses', 'users'], 2, /keyword/],
    [['add-flow', 'checkout', '--uses', 'users,invoices'], 1, /No domain "invoices" in this project \(domains: orders, users\)/],
    // As typed, as the other commands name it (a hostile pass saw "nopes").
    [['add-flow', 'checkout', '--uses', 'users, nope'], 1, /No domain "nope" in this project \(as a module: nopes; domains: orders, users\)/],
    [['add-flow', 'users', '--uses', 'orders'], 1, /"users" is a domain/],
  ])('%j: exit %i, nothing written', async (argv, code, message) => {
    const before = await snapshotTree(root, { withFolders: true });
    const errors: string[] = [];
    const error = console.error;
    console.error = (text: string) => void errors.push(text);
    try {
      expect(await main(argv, testContext(root).ctx)).toBe(code);
    } finally {
      console.error = error;
    }
    expect(errors.join('\n')).toMatch(message);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('remove-domain refuses while a flow uses the domain', async () => {
    await runAddFlow({ name: 'checkout', uses: 'orders' }, testContext(root).ctx);
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runRemoveDomain({ name: 'orders' }, testContext(root).ctx)).rejects.toThrow(
      /The flow checkout uses orders: remove-flow checkout first/,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('remove-flow keeping files the user changed ends the flow: the files stay theirs, and the domains it used can go', async () => {
    await runAddFlow({ name: 'checkout', uses: 'orders' }, testContext(root).ctx);
    // Every file of the flow changed (a ruff format with tabs does that): all are kept.
    const files = JSON.parse(await readFile(join(root, '.create-layered-backend.json'), 'utf8')).flows.checkout.files as string[];
    for (const file of files) await writeFile(join(root, file), `${await readFile(join(root, file), 'utf8')}\n# mine\n`);
    const { ctx, output } = testContext(root);
    await runRemoveFlow({ name: 'checkout' }, ctx);
    expect(output).toContain(`Kept the files you changed since they were generated, now yours alone (--force removes them): ${files.join(', ')}`);
    for (const file of files) expect(await readFile(join(root, file), 'utf8')).toContain('# mine');
    const manifest = JSON.parse(await readFile(join(root, '.create-layered-backend.json'), 'utf8'));
    expect([manifest.flows, files.filter((file) => manifest.files[file] !== undefined)]).toEqual([{}, []]);
    await expect(runRemoveFlow({ name: 'checkout' }, testContext(root).ctx)).rejects.toThrow(/^No flow "checkout" in this project/);
    // What the kept file imports of orders still holds orders back, naming the line.
    await expect(runRemoveDomain({ name: 'orders' }, testContext(root).ctx)).rejects.toThrow(/Cannot remove orders while code that stays uses it: src\/my_api\/flows\/checkout\.py:\d+ imports/);
  });

  it('the longest names still give lines of at most 100 columns (found by a hostile run)', async () => {
    const cwd = await tempDir();
    const [d, e, flow] = ['d'.repeat(24) + 's', 'e'.repeat(24) + 's', 'f'.repeat(25)];
    await runCreate({ directory: 'long', name: 'p'.repeat(24), domains: `${d},${e}`, git: false, install: false }, testContext(cwd).ctx);
    const project = join(cwd, 'long');
    const before = await snapshotTree(project);
    await runAddFlow({ name: flow, uses: `${d},${e}` }, testContext(project).ctx);
    const after = await snapshotTree(project);
    const changed = Object.keys(after).filter((path) => path.endsWith('.py') && after[path] !== before[path]);
    expect(changed.length).toBeGreaterThanOrEqual(5);
    const long = changed.flatMap((path) => (after[path] as string).split('\n').flatMap((line, index) => (line.length > 100 ? [`${path}:${index + 1}`] : [])));
    expect(long).toEqual([]);
  });

  it('a domain and a flow of one name: each refused, naming the other', async () => {
    await runAddFlow({ name: 'items', uses: 'orders' }, testContext(root).ctx);
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddDomain({ name: 'items' }, testContext(root).ctx)).rejects.toThrow('"items" is a flow; give the domain a name of its own');
    await expect(runAddFlow({ name: 'users', uses: 'orders' }, testContext(root).ctx)).rejects.toThrow('"users" is a domain; give the flow a name of its own');
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('refuses a project whose layers contract has no flows layer, naming the fix', async () => {
    const pyproject = join(root, 'pyproject.toml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace('    "flows",\n', ''));
    await expect(runAddFlow({ name: 'checkout', uses: 'orders' }, testContext(root).ctx)).rejects.toThrow(
      /layers contract has no flows layer: add "\(flows\)" between the routers and the services/,
    );
  });

  // The layers contract as import-linter reads it, not as create printed it.
  it.each([
    ['single quotes', (text: string) => text.replace('    "flows",\n', "    'flows',\n")],
    ['a list on one line', (text: string) => text.replace(/layers = \[\n((?:    .*\n)+?)\]\n/, (_, body: string) => `layers = [${body.trim().split('\n').map((line) => line.trim()).join(' ')}]\n`)],
    ['flows beside another layer', (text: string) => text.replace('    "flows",\n', '    "flows | (crawlers)",\n')],
    ['full module names, no containers', (text: string) => text.replace('containers = ["my_api"]\nlayers = [\n    "main",', 'layers = [\n    "my_api.main",').replace('    "flows",\n', '    "my_api.flows",\n')],
  ])('accepts a flows layer written with %s', async (_, respell) => {
    const pyproject = join(root, 'pyproject.toml');
    const { writeFile } = await import('node:fs/promises');
    const text = await readFile(pyproject, 'utf8');
    expect(respell(text)).not.toBe(text);
    await writeFile(pyproject, respell(text));
    await runAddFlow({ name: 'checkout', uses: 'orders' }, testContext(root).ctx);
    expect(await readFile(join(root, 'src/my_api/flows/checkout.py'), 'utf8')).toContain('async def overview(');
  });

  it('refuses a flows layer that is only a line of another table, not of the layers contract', async () => {
    const pyproject = join(root, 'pyproject.toml');
    const { writeFile } = await import('node:fs/promises');
    const text = (await readFile(pyproject, 'utf8')).replace('    "flows",\n', '');
    await writeFile(pyproject, `${text}\n[tool.elsewhere]\nnames = [\n    "flows",\n]\n`);
    const before = await snapshotTree(root, { withFolders: true });
    await expect(runAddFlow({ name: 'checkout', uses: 'orders' }, testContext(root).ctx)).rejects.toThrow(/layers contract has no flows layer/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it.each([
    ['add-flow', () => runAddFlow({ name: 'checkout', uses: 'orders' }, testContext(root).ctx)],
    ['remove-flow', () => runRemoveFlow({ name: 'checkout' }, testContext(root).ctx)],
  ])('%s on a pyproject.toml that is not TOML says so, not that something is missing from it', async (command, run) => {
    const { writeFile } = await import('node:fs/promises');
    if (command === 'remove-flow') await runAddFlow({ name: 'checkout', uses: 'orders' }, testContext(root).ctx);
    const pyproject = join(root, 'pyproject.toml');
    await writeFile(pyproject, (await readFile(pyproject, 'utf8')).replace('[tool.ruff]', '[tool.ruff'));
    const before = await snapshotTree(root, { withFolders: true });
    const failure = run();
    await expect(failure).rejects.toThrow(/^pyproject\.toml is not valid TOML \(.+\); fix it, then run again$/);
    await expect(failure).rejects.toHaveProperty('exitCode', 1);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });
});
