import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runUpgrade } from '../../src/commands/upgrade/index.js';
import { contentHash, MANIFEST_FORMAT } from '../../src/core/manifest.js';
import { syntaxErrorLine } from '../../src/core/python-edit.js';
import type { TemplateTree } from '../../src/core/template-files.js';
import { VERSION } from '../../src/package.js';
import { runCli, tempDir, testContext } from '../helpers.js';
import { snapshotTree } from '../tree.js';

/**
 * Two versions of the templates: the one this repository builds (dist/, the bin: the "old"
 * version a project was made with, and the base upgrade renders with --base) and, in this
 * process, a copy changed on purpose (the "new" one upgrade brings): a renamed setting, a new
 * middleware, a file added and a file dropped.
 */
const fixture = vi.hoisted(() => ({ templates: '' }));
vi.mock('../../src/core/package-files.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/core/package-files.js')>();
  let trees: Map<string, TemplateTree> | undefined;
  return { ...original, templateTree: (name: string) => (trees ??= original.compileTemplateTrees(fixture.templates)).get(name) };
});

const repo = resolve(import.meta.dirname, '../..');

/** Each change the new templates make: file, text it replaces, replacement. */
const TEMPLATE_CHANGES: Array<[string, string, string]> = [
  // The renamed setting, everywhere it is used.
  ['project/src/__package__/core/config.py.hbs', '    max_body_bytes: int = 1_048_576', '    max_request_body_bytes: int = 1_048_576'],
  ['project/src/__package__/main.py.hbs', 'max_bytes=settings.max_body_bytes', 'max_bytes=settings.max_request_body_bytes'],
  ['project/_env.example.hbs', 'MAX_BODY_BYTES=', 'MAX_REQUEST_BODY_BYTES='],
  ['project/tests/test_app.py.hbs', 'settings.max_body_bytes = 100', 'settings.max_request_body_bytes = 100'],
  // A new docstring for the router registry, a file commands edit after the user may have.
  ['registry/src/__package__/routers/__init__.py.hbs', '"""The one place every router is registered:', '"""Every router is registered here, and only here:'],
  // The new middleware.
  ['project/src/__package__/main.py.hbs', 'from starlette.middleware.cors import CORSMiddleware\n', 'from starlette.middleware.cors import CORSMiddleware\nfrom starlette.middleware.gzip import GZipMiddleware\n'],
  ['project/src/__package__/main.py.hbs', '    app.add_middleware(RequestIdMiddleware)\n', '    app.add_middleware(GZipMiddleware, minimum_size=1024)\n    app.add_middleware(RequestIdMiddleware)\n'],
];
const ADDED = 'CONTRIBUTING.md';
const DROPPED = 'scripts/bench_http.py';

beforeAll(async () => {
  fixture.templates = join(await tempDir(), 'templates');
  await cp(join(repo, 'templates'), fixture.templates, { recursive: true });
  for (const [file, before, after] of TEMPLATE_CHANGES) {
    const path = join(fixture.templates, file);
    const text = await readFile(path, 'utf8');
    // The templates moved on: this fixture must follow them, not silently change nothing.
    if (!text.includes(before)) throw new Error(`${file} no longer holds ${JSON.stringify(before)}`);
    await writeFile(path, text.replace(before, after));
  }
  await writeFile(join(fixture.templates, 'project', ADDED), '# Contributing\n\nRun `uv run pytest` before you push.\n');
  await rm(join(fixture.templates, 'project', `${DROPPED}.hbs`));
});

let root: string;
const at = (path: string) => join(root, path);
const read = (path: string) => readFile(at(path), 'utf8');
const edit = async (path: string, change: (text: string) => string) => writeFile(at(path), change(await read(path)));
const manifest = async () => JSON.parse(await read('.create-layered-backend.json'));

// The user's edits: where the templates did not change, where they changed elsewhere, and
// where they changed the same line.
const MINE_IN_TIME = '\n\ndef tomorrow() -> datetime:\n    return utc_now() + timedelta(days=1)\n';
const MINE_IN_MAIN = '\n# Mine: served by uvicorn my_api.main:app behind the company proxy.\n';
const MINE_IN_CONFIG = '    max_body_bytes: int = 4_194_304  # uploads of scanned forms';

beforeEach(async () => {
  const cwd = await tempDir();
  const created = await runCli(['my-api', '--yes', '--no-install', '--no-git'], cwd);
  expect(created.exitCode, created.stderr).toBe(0);
  root = join(cwd, 'my-api');
  await edit('src/my_api/utils/time.py', (text) => text + MINE_IN_TIME);
  await edit('src/my_api/main.py', (text) => text + MINE_IN_MAIN);
  await edit('src/my_api/core/config.py', (text) => text.replace('    max_body_bytes: int = 1_048_576', MINE_IN_CONFIG));
});

describe('upgrade, with the base rendered by the project\'s version', () => {
  it('keeps, merges, marks the conflict and replaces the rest; exit 1 naming the conflict', async () => {
    const migrations = await snapshotTree(at('migrations/versions'));
    const edited = { time: await read('src/my_api/utils/time.py'), main: await read('src/my_api/main.py') };
    await rm(at('Dockerfile'));
    const { ctx, output } = testContext(root);
    const failure = runUpgrade({ base: repo }, ctx);
    await expect(failure).rejects.toThrow(/^Conflicts to resolve in 1 file: src\/my_api\/core\/config\.py:\d+\. Edit the marked lines/);
    await expect(failure).rejects.toHaveProperty('exitCode', 1);

    // Kept: the templates did not change it.
    expect(await read('src/my_api/utils/time.py')).toBe(edited.time);
    // Merged: the new middleware, the renamed setting and the user's line.
    const main = await read('src/my_api/main.py');
    expect(main).toContain('from starlette.middleware.gzip import GZipMiddleware\n');
    expect(main).toContain('    app.add_middleware(GZipMiddleware, minimum_size=1024)\n');
    expect(main).toContain('max_bytes=settings.max_request_body_bytes');
    expect(main.endsWith(MINE_IN_MAIN)).toBe(true);
    // The conflict, as git writes it: ours, base, theirs.
    expect(await read('src/my_api/core/config.py')).toContain(
      ['<<<<<<< ours', MINE_IN_CONFIG, '||||||| base', '    max_body_bytes: int = 1_048_576', '=======', '    max_request_body_bytes: int = 1_048_576', '>>>>>>> theirs', ''].join('\n'),
    );
    // Replaced (unchanged since generated), created, deleted; a file the user deleted stays deleted.
    expect(await read('.env.example')).toContain('MY_API_MAX_REQUEST_BODY_BYTES=1048576\n');
    expect(await read('tests/test_app.py')).toContain('settings.max_request_body_bytes = 100');
    expect(await read(ADDED)).toContain('# Contributing');
    const tree = await snapshotTree(root);
    expect(tree).not.toHaveProperty([DROPPED]);
    expect(tree).not.toHaveProperty(['Dockerfile']);
    // History is never rendered again.
    expect(await snapshotTree(at('migrations/versions'))).toEqual(migrations);

    const text = output.join('\n');
    expect(text).toContain('  keep    src/my_api/utils/time.py');
    expect(text).toContain('  merge   src/my_api/main.py');
    expect(text).toMatch(/ {2}conflict src\/my_api\/core\/config\.py \(line \d+\)/);
    expect(text).toContain(`  create  ${ADDED}`);
    expect(text).toContain(`  delete  ${DROPPED}`);
    // Merged and conflicted files are recorded as rendered, so they stay the user's (edited).
    const { generator, files } = await manifest();
    expect(generator.version).toBe(VERSION);
    expect(files['src/my_api/main.py']).not.toBe(contentHash(main));
    expect(files).not.toHaveProperty([DROPPED]);
    expect(files[ADDED]).toBe(contentHash(await read(ADDED)));
  });

  it('--dry-run shows the same and writes nothing', async () => {
    const before = await snapshotTree(root, { withFolders: true });
    const { ctx, output } = testContext(root);
    // It exits as the run would: 1, the conflicts named.
    await expect(runUpgrade({ base: repo, dryRun: true }, ctx)).rejects.toThrow(
      /^Would leave conflict markers in 1 file: src\/my_api\/core\/config\.py:\d+; the run writes them and exits 1/,
    );
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
    const text = output.join('\n');
    expect(text).toContain('  merge   src/my_api/main.py');
    expect(text).toMatch(/ {2}conflict src\/my_api\/core\/config\.py \(line \d+\)/);
    expect(text).toContain('Dry run: nothing was written.');

    const json = testContext(root);
    await expect(runUpgrade({ base: repo, dryRun: true, json: true }, json.ctx)).rejects.toThrow(/^Would leave conflict markers/);
    const plan = JSON.parse(json.output.find((line) => line.startsWith('{')) as string);
    expect(plan.merged).toEqual(['src/my_api/main.py']);
    expect(plan.conflicts).toEqual([{ path: 'src/my_api/core/config.py', lines: [expect.any(Number)] }]);
    expect(plan.changes).toContainEqual({ action: 'keep', path: 'src/my_api/utils/time.py' });
    expect(await snapshotTree(root, { withFolders: true })).toEqual(before);
  });

  it('run again before the conflict is resolved: exit 1 again, nothing written; once resolved: nothing to change', async () => {
    await runUpgrade({ base: repo }, testContext(root).ctx).catch(() => undefined);
    const upgraded = await snapshotTree(root, { withFolders: true });
    await expect(runUpgrade({}, testContext(root).ctx)).rejects.toThrow(/^Conflicts to resolve in 1 file: src\/my_api\/core\/config\.py:/);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(upgraded);

    // The user keeps their value under the new name.
    await edit('src/my_api/core/config.py', (text) => text.replace(/<<<<<<< ours\n[\s\S]*?>>>>>>> theirs\n/, '    max_request_body_bytes: int = 4_194_304  # uploads of scanned forms\n'));
    const resolved = await snapshotTree(root, { withFolders: true });
    const { ctx, output } = testContext(root);
    await runUpgrade({}, ctx);
    expect(output.join('\n')).toContain(`Up to date with create-layered-backend ${VERSION}: nothing to change.`);
    expect(await snapshotTree(root, { withFolders: true })).toEqual(resolved);
    for (const [path, text] of Object.entries(resolved)) {
      if (path.endsWith('.py')) expect(await syntaxErrorLine(text), path).toBeUndefined();
    }
  });

  it('merges three-way a file a command edited after the user did, whose record is older than the base', async () => {
    const mine = '\n# Mine: the admin router is registered in main.py.\n';
    await edit('src/my_api/routers/__init__.py', (text) => text + mine);
    const added = await runCli(['add-domain', 'products'], root);
    expect(added.exitCode, added.stderr).toBe(0);
    await runUpgrade({ base: repo }, testContext(root).ctx).catch(() => undefined);
    const registry = await read('src/my_api/routers/__init__.py');
    expect(registry).toMatch(/^"""Every router is registered here, and only here:/);
    expect(registry).toContain('api_router.include_router(products_router)\n');
    expect(registry.endsWith(mine)).toBe(true);
  });

  it('merges two-way where the base does not render a file as the project recorded it (another build of the version)', async () => {
    const recorded = await manifest();
    recorded.files['src/my_api/main.py'] = contentHash('what another build rendered\n');
    await writeFile(at('.create-layered-backend.json'), JSON.stringify(recorded, null, 2));
    await expect(runUpgrade({ base: repo }, testContext(root).ctx)).rejects.toThrow(
      /^Conflicts to resolve in 2 files: src\/my_api\/core\/config\.py:\d+, src\/my_api\/main\.py:\d+ \(without a base/,
    );
    expect(await read('src/my_api/main.py')).not.toContain('||||||| base');
    expect(await read('src/my_api/core/config.py')).toContain('||||||| base');
  });

  it('upgrades a CRLF checkout (git autocrlf) as it would the LF files, every file staying CRLF', async () => {
    for (const [path, text] of Object.entries(await snapshotTree(root))) await writeFile(at(path), text.replaceAll('\n', '\r\n'));
    const { ctx, output } = testContext(root);
    await expect(runUpgrade({ base: repo }, ctx)).rejects.toThrow(/^Conflicts to resolve in 1 file: src\/my_api\/core\/config\.py:/);
    const text = output.join('\n');
    expect(text).toContain('  keep    src/my_api/utils/time.py');
    expect(text).toContain('  merge   src/my_api/main.py');
    expect(await read('.env.example')).toContain('MY_API_MAX_REQUEST_BODY_BYTES=1048576\r\n');
    expect(await read('src/my_api/core/config.py')).toContain('<<<<<<< ours\r\n');
    for (const [path, content] of Object.entries(await snapshotTree(root, { ignore: [ADDED, '.create-layered-backend.json'] }))) {
      expect(content, path).not.toMatch(/[^\r]\n/);
    }
  });

  it('a file the new templates dropped that the user changed is kept, and no longer recorded as generated', async () => {
    await edit(DROPPED, (text) => `${text}# Mine.\n`);
    const { ctx, output } = testContext(root);
    await runUpgrade({ base: repo }, ctx).catch(() => undefined);
    expect(await read(DROPPED)).toMatch(/# Mine\.\n$/);
    expect(output.join('\n')).toContain(`No longer generated, kept as yours: ${DROPPED}`);
    expect((await manifest()).files).not.toHaveProperty([DROPPED]);
  });

  it('a file of the user\'s where the new templates put one is left untouched, and not recorded', async () => {
    await writeFile(at(ADDED), '# How we work\n');
    const { ctx, output } = testContext(root);
    await runUpgrade({ base: repo }, ctx).catch(() => undefined);
    expect(await read(ADDED)).toBe('# How we work\n');
    expect(output.join('\n')).toContain(`Not written, a file of yours is where the templates now have one: ${ADDED}`);
    expect((await manifest()).files).not.toHaveProperty([ADDED]);
  });

  it('a manifest of 0.1.0 (no format number, no flows) is rewritten in the current format', async () => {
    const { format, flows, ...old } = await manifest();
    expect([format, flows]).toEqual([MANIFEST_FORMAT, {}]);
    await writeFile(at('.create-layered-backend.json'), JSON.stringify({ ...old, generator: { ...old.generator, version: '0.1.0' } }, null, 2));
    await runUpgrade({ base: repo }, testContext(root).ctx).catch(() => undefined);
    expect(await manifest()).toMatchObject({ format: MANIFEST_FORMAT, flows: {}, generator: { version: VERSION } });
  });
});

describe('upgrade without a base', () => {
  it('replaces unchanged files, keeps those the templates did not change (by their hash), marks both versions in the rest', async () => {
    // The project's version is nowhere to be had: npm, offline, has no create-layered-backend@0.1.0 in its cache.
    await edit('.create-layered-backend.json', (text) => text.replace(`"version": "${VERSION}"`, '"version": "0.1.0"'));
    const edited = await read('src/my_api/utils/time.py');
    vi.stubEnv('npm_config_offline', 'true');
    const { ctx, output } = testContext(root);
    try {
      await expect(runUpgrade({}, ctx)).rejects.toThrow(
        /^Conflicts to resolve in 2 files: src\/my_api\/core\/config\.py:\d+, src\/my_api\/main\.py:\d+ \(without a base, every difference is marked/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
    expect(output.join('\n')).toMatch(/No base to merge against \(create-layered-backend 0\.1\.0 cannot be had: npm install create-layered-backend@0\.1\.0: .*\)/);
    expect(await read('src/my_api/utils/time.py')).toBe(edited);
    expect(await read('.env.example')).toContain('MY_API_MAX_REQUEST_BODY_BYTES=1048576\n');
    // Two-way: the user's lines and the new ones, no base part.
    const main = await read('src/my_api/main.py');
    expect(main).toContain('<<<<<<< ours\n=======\nfrom starlette.middleware.gzip import GZipMiddleware\n>>>>>>> theirs\n');
    expect(main).toContain(`<<<<<<< ours\n${MINE_IN_MAIN}=======\n>>>>>>> theirs\n`);
    expect(main).not.toContain('||||||| base');
    expect((await manifest()).generator.version).toBe(VERSION);
  });
});
