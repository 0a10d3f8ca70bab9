import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageIn, packagePlans } from '../../src/commands/upgrade/base.js';
import { ownPlans, replay, replaySteps } from '../../src/commands/upgrade/replay.js';
import { type Manifest, parseManifest } from '../../src/core/manifest.js';
import { runCli, tempDir, testContext } from '../helpers.js';
import { snapshotTree } from '../tree.js';

const repo = resolve(import.meta.dirname, '../..');

/**
 * A project with a life behind it: PostgreSQL and extras, a reference, a cycle of references
 * (users -> products -> users, the second given by add-field), create's domain without create's
 * field (workers' example uses that domain), a flow, and a domain removed while one of its files
 * was edited (remove-domain kept that file, and its record).
 */
let root: string;
beforeAll(async () => {
  const cwd = await tempDir();
  root = join(cwd, 'my-api');
  const cli = async (...args: string[]) => {
    const result = await runCli(args, args[0] === 'my-api' ? cwd : root);
    expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  };
  await cli('my-api', '--yes', '--no-install', '--no-git', '--db', 'postgres', '--extras', 'crawlers,workers');
  await cli('add-domain', 'products', '--fields', 'name:str, price:decimal=9.50, owner:ref(users)');
  await cli('add-field', 'users', 'favourite:ref(products)?, nickname:str!?');
  await cli('remove-field', 'users', 'name');
  await cli('add-flow', 'checkout', '--uses', 'users,orders');
  await cli('add-domain', 'tags');
  const service = join(root, 'src/my_api/schemas/tags.py');
  await writeFile(service, `${await readFile(service, 'utf8')}\n# Mine.\n`);
  await cli('remove-domain', 'tags');
});

/** The project's files a replay renders: all but the migrations, the manifest and the removed domain's kept file. */
async function renderedFiles(): Promise<Record<string, string>> {
  const tree = await snapshotTree(root, { ignore: ['migrations/versions', '.create-layered-backend.json', 'src/my_api/schemas/tags.py'] });
  return Object.fromEntries(Object.entries(tree).filter(([path]) => !path.includes('__pycache__')));
}

/** A new project, my-api, made with `createArgs`; `cli` runs a command in it and expects exit 0. */
async function newProject(createArgs: string[]) {
  const cwd = await tempDir();
  const project = join(cwd, 'my-api');
  const cli = async (...args: string[]) => {
    const result = await runCli(args, project);
    expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };
  const created = await runCli(['my-api', '--yes', '--no-install', '--no-git', ...createArgs], cwd);
  expect(created.exitCode, created.stderr).toBe(0);
  return { project, cli };
}

describe('the replay that renders a base', () => {
  it('reproduces every file of the project, byte for byte, with the built package and in process', async () => {
    const manifest = parseManifest(await readFile(join(root, '.create-layered-backend.json'), 'utf8'), 'manifest');
    // The registry's order: create's domains, then products, then the flow.
    const steps = replaySteps(manifest, ['users', 'orders', 'products', 'checkout']);
    expect(steps.map((step) => step.command)).toEqual(['create', 'add-domain', 'add-domain', 'add-flow', 'add-field', 'remove-field']);
    const expected = await renderedFiles();
    for (const plans of [packagePlans(packageIn(repo)), ownPlans(testContext(root).ctx)]) {
      const rendering = await replay(plans, steps, await tempDir());
      expect(Object.fromEntries([...rendering.files].sort(([a], [b]) => a.localeCompare(b)))).toEqual(expected);
      expect([...rendering.editedAfter].sort()).toEqual(['pyproject.toml', 'src/my_api/routers/__init__.py', 'src/my_api/schemas/users.py', 'src/my_api/repositories/users.py', 'src/my_api/services/users.py', 'tests/test_users_api.py'].sort());
    }
  });
});

describe('upgrade of a project whose first domain create could not have made as it is', () => {
  // The replay gave the registry's first domain create's field (name:str) and the rest by
  // add-field, which refuses a required field without a default and a unique one with a default,
  // adds a field after the others, and a second "name" not at all: upgrade failed ("cannot render
  // this project again") or moved name first.
  it.each([
    ['a domain add-domain made with fields add-field refuses', [['add-domain', 'products', '--fields', 'sku:str, code:str!=x'], ['add-domain', 'tags'], ['remove-domain', 'users'], ['remove-domain', 'orders']]],
    ['a domain add-domain made with name after another field', [['add-domain', 'items', '--fields', 'x:int=1, name:str'], ['remove-domain', 'users'], ['remove-domain', 'orders']]],
    ['create\'s domain whose name field was replaced', [['add-field', 'users', 'x:int=1'], ['remove-field', 'users', 'name'], ['add-field', 'users', 'name:str?']]],
  ])('%s: renders its base, and finds nothing to change', async (_, history) => {
    const { project, cli } = await newProject([]);
    for (const args of history) await cli(...args);
    const before = await snapshotTree(project, { withFolders: true });
    expect((await cli('upgrade', '--dry-run', '--base', repo)).stdout).toContain('(nothing to change)');
    expect((await cli('upgrade', '--base', repo)).stdout).toMatch(/nothing to change/);
    expect(await snapshotTree(project, { withFolders: true })).toEqual(before);
  });
});

describe('upgrade of a project whose job examples call a domain that is not the registry\'s first', () => {
  // The workers' and schedulers' examples call the domain create was given first. The replay gave
  // create the registry's first domain instead: after routers were reordered or that domain
  // removed, a same-version upgrade rewrote the unchanged examples (and README.md, the tests) for
  // another domain; with that domain not as create makes it, upgrade failed.
  const registry = 'src/my_api/routers/__init__.py';
  const examples = ['src/my_api/workers/tasks.py', 'src/my_api/schedulers/jobs.py', 'src/my_api/routers/imports/handlers.py', 'tests/test_workers.py', 'tests/test_schedulers.py'];
  // users' router included last, as written, or with a prefix the registry's text does not print.
  const usersLast = (line: string) => async (project: string) => {
    const text = await readFile(join(project, registry), 'utf8');
    const moved = `${text.replace('api_router.include_router(users_router)\n', '')}${line}\n`;
    expect(moved).not.toBe(`${text}${line}\n`);
    await writeFile(join(project, registry), moved);
  };
  const swapRouters = usersLast('api_router.include_router(users_router)');
  // Upgrade leaves a domain whose router the registry no longer includes as it is.
  const unregisterUsers = async (project: string) => {
    const text = await readFile(join(project, registry), 'utf8');
    const without = text.replace('from my_api.routers.users import router as users_router\n', '').replace('api_router.include_router(users_router)\n', '');
    expect(without.includes('users')).toBe(false);
    await writeFile(join(project, registry), without);
  };
  const swapFlows = async (project: string) => {
    const text = await readFile(join(project, registry), 'utf8');
    const swapped = text.replace('include_router(alpha_router)\napi_router.include_router(beta_router)', 'include_router(beta_router)\napi_router.include_router(alpha_router)');
    expect(swapped).not.toBe(text);
    await writeFile(join(project, registry), swapped);
  };
  const usersAfter = (router: string) => async (project: string) => {
    const text = (await readFile(join(project, registry), 'utf8')).replace('api_router.include_router(users_router)\n', '');
    const include = `api_router.include_router(${router}_router)\n`;
    expect(text).toContain(include);
    await writeFile(join(project, registry), text.replace(include, `${include}api_router.include_router(users_router)\n`));
  };
  // What a user does before remove-domain users allows it: the examples call orders instead.
  const examplesCallOrders = async (project: string) => {
    for (const file of examples) {
      const text = await readFile(join(project, file), 'utf8');
      await writeFile(join(project, file), text.replaceAll('users', 'orders').replaceAll('User', 'Order').replaceAll(/_user\b/g, '_order'));
    }
  };
  // Each domain first refers to a domain the registry includes later: the replay added neither
  // (upgrade failed), or added the one it could first (the registry rewritten in another order).
  const crossReferences = [
    ['add-field', 'orders', 'buyer:ref(users)?, qty:int?'],
    ['remove-field', 'orders', 'name'],
    ['add-field', 'users', 'fav:ref(orders)?, age:int?'],
    ['remove-field', 'users', 'name', '--force'],
  ];
  it.each([
    ['routers reordered by hand', [swapRouters]],
    ['the domain removed once the examples call another', [examplesCallOrders, ['remove-domain', 'users']]],
    ['the domain removed, then added again with other fields', [examplesCallOrders, ['remove-domain', 'users'], ['add-domain', 'users', '--fields', 'email:str']]],
    ['the domain given fields create and add-field cannot give it in order', [['add-field', 'users', 'x:int=1'], ['remove-field', 'users', 'name'], ['add-field', 'users', 'name:str?']]],
    ['domains whose first fields refer to each other, routers reordered', [...crossReferences, swapRouters]],
    ['domains whose first fields refer to each other, one not as create makes it', [...crossReferences, ['add-field', 'users', 'name:text?']]],
    ['two flows whose routers a domain\'s now sits between', [['add-flow', 'alpha', '--uses', 'users'], ['add-flow', 'beta', '--uses', 'users'], usersAfter('alpha')]],
    ['a domain another refers to, its router taken out by hand', [['add-field', 'orders', 'buyer:ref(users)?'], unregisterUsers]],
    ['a domain another refers to first and requires, its router taken out by hand', [['add-domain', 'posts', '--fields', 'owner:ref(users), title:str'], unregisterUsers]],
    ['a domain a flow uses, its router taken out by hand', [['add-flow', 'checkout', '--uses', 'users'], unregisterUsers]],
    ['two flows whose routers were swapped', [['add-flow', 'alpha', '--uses', 'users'], ['add-flow', 'beta', '--uses', 'users'], swapFlows]],
    ['a required reference to the domain, included after it', [['add-domain', 'posts', '--fields', 'title:str, owner:ref(users)'], swapRouters]],
    ['a required reference to the domain, whose include line was edited', [['add-domain', 'posts', '--fields', 'title:str, owner:ref(users)'], usersLast('api_router.include_router(users_router, prefix="/v1")')]],
  ] as Array<[string, Array<string[] | ((project: string) => Promise<void>)>]>)('%s: renders its base, and finds nothing to change', async (_, history) => {
    const { project, cli } = await newProject(['--extras', 'workers,schedulers']);
    for (const step of history) await (typeof step === 'function' ? step(project) : cli(...step));
    const manifestFile = join(project, '.create-layered-backend.json');
    const manifest = async () => JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
    const files = () => snapshotTree(project, { withFolders: true, ignore: ['.create-layered-backend.json'] });
    const [filesBefore, manifestBefore] = [await files(), await manifest()];
    // A registry reordered by hand is merged: the manifest may record what this version renders
    // for it now (its order, or the order references allow). Nothing else changes.
    const dryRun = (await cli('upgrade', '--dry-run', '--base', repo)).stdout;
    expect(dryRun).not.toMatch(/^ {2}(create|edit|delete|merge|conflict) +(?!\.create-layered-backend\.json$)\S/m);
    await cli('upgrade', '--base', repo);
    expect(await files()).toEqual(filesBefore);
    const manifestAfter = await manifest();
    // Where the record stays, the dry run has nothing to change (and may list files it keeps).
    if (manifestAfter.files[registry] === manifestBefore.files[registry]) expect(dryRun).toContain('  (nothing to change)');
    expect({ ...manifestAfter, files: { ...manifestAfter.files, [registry]: '' } }).toEqual({ ...manifestBefore, files: { ...manifestBefore.files, [registry]: '' } });
  });
});

describe('the examples\' domain in the manifest', () => {
  let project: string;
  const manifestFile = () => join(project, '.create-layered-backend.json');
  beforeAll(async () => {
    ({ project } = await newProject(['--extras', 'workers']));
    expect(JSON.parse(await readFile(manifestFile(), 'utf8'))).toMatchObject({ format: 5, examples: 'users' });
  });

  it.each(['user', 'class'])('%j, not a domain module\'s name: upgrade refuses in one line, exit 1, nothing written', async (examples) => {
    const text = await readFile(manifestFile(), 'utf8');
    await writeFile(manifestFile(), text.replace('"examples": "users"', `"examples": "${examples}"`));
    const before = await snapshotTree(project, { withFolders: true });
    const result = await runCli(['upgrade', '--base', repo], project);
    await writeFile(manifestFile(), text);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe(`.create-layered-backend.json: examples: "${examples}" is not a domain's module name; restore it from version control`);
    expect(await snapshotTree(project, { withFolders: true })).toEqual({ ...before, '.create-layered-backend.json': text });
  });

  it('absent from a format 4 manifest: upgrade records the registry\'s first domain', async () => {
    const { examples, ...older } = JSON.parse(await readFile(manifestFile(), 'utf8')) as Manifest;
    await writeFile(manifestFile(), JSON.stringify({ ...older, format: 4 }, null, 2));
    expect((await runCli(['upgrade', '--base', repo], project)).exitCode).toBe(0);
    expect(JSON.parse(await readFile(manifestFile(), 'utf8'))).toMatchObject({ format: 5, examples });
  });
});

describe('upgrade, through the bin', () => {
  it('finds nothing to change in a project of its own version, and leaves the removed domain alone', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    const result = await runCli(['upgrade', '--dry-run', '--base', repo], join(root, 'src'));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('(nothing to change)');
    expect(result.stderr).toContain('Left as they are: tags (routers/__init__.py does not import their routers');
    const upgraded = await runCli(['upgrade'], root);
    expect(upgraded.exitCode, upgraded.stderr).toBe(0);
    expect(upgraded.stdout).toMatch(/Up to date with create-layered-backend \d+\.\d+\.\d+: nothing to change\./);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it.each([
    [['upgrade', '--to', 'latest'], 2, /^--to latest: not a version \(major\.minor\.patch\)$/],
    [['upgrade', '--to', '99.0.0'], 2, /which upgrades to .* only; for 99\.0\.0: npx create-layered-backend@99\.0\.0 upgrade$/],
    [['upgrade', '--base', 'no/such/package.tgz'], 2, /^--base .*no\/such\/package\.tgz: no such file or folder$/],
    [['upgrade', '--base', '.'], 2, /^--base .* holds no readable package\.json$/],
    [['upgrade', '--base', 'pyproject.toml'], 2, /^--base .*pyproject\.toml: not a package tarball \(npm pack makes one\) nor a folder holding the package$/],
    [['upgrade', '--json'], 2, /^--json prints the plan of a dry run: add --dry-run$/],
  ])('%j: one line, exit %i, nothing written', async (args, code, message) => {
    const before = await snapshotTree(root, { withFolders: true });
    const result = await runCli(args, root);
    expect(result.exitCode).toBe(code);
    expect(result.stderr.trim()).toMatch(message);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('outside a project: one line, exit 1', async () => {
    const result = await runCli(['upgrade'], await tempDir());
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toMatch(/^Not inside a create-layered-backend project/);
  });
});
