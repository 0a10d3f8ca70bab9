import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, tempDir } from '../helpers.js';
import { snapshotTree } from '../tree.js';

/**
 * The cache of V8's compiled code (src/code-cache.ts), from outside: a run makes it, the next runs
 * use it, and a cache that does not belong to the code being run is never used.
 */

/** The package as installed, in a folder of its own: these tests change its files. */
async function installedCopy(): Promise<string> {
  const installed = await tempDir();
  for (const part of ['bin', 'dist', 'package.json', 'CHANGELOG.md']) cpSync(join(bin, '../..', part), join(installed, part), { recursive: true });
  return installed;
}

function run(binFile: string, args: string[], cwd: string, cache: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [binFile, ...args], {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', NODE_COMPILE_CACHE: cache, ...env },
    encoding: 'utf8',
  });
}

/** The cache folder of this package's version on this Node, and its files by name. */
function cacheFiles(cache: string): { folder: string; files: string[] } {
  const versions = readdirSync(join(cache, 'create-layered-backend'));
  expect(versions).toHaveLength(1);
  const folder = join(cache, 'create-layered-backend', versions[0] as string);
  return { folder, files: readdirSync(folder).sort() };
}

const header = (file: string) => JSON.parse(readFileSync(file, 'utf8').slice(0, readFileSync(file, 'utf8').indexOf('\n'))) as { commands: string[] };
const bundleCache = (folder: string, files: string[]) => join(folder, files.find((name) => name.startsWith('index.cjs-')) as string);

describe('the code cache', () => {
  it('is made by a first run, used unchanged by the next, grows by each command once, and gives the same project', async () => {
    const cache = await tempDir();
    const work = await tempDir();
    const first = run(bin, ['first', '--yes', '--no-install', '--no-git'], work, cache);
    expect(first.status, first.stderr).toBe(0);
    const { folder, files } = cacheFiles(cache);
    expect(files.some((name) => /^index\.cjs-\w+\.v8$/.test(name))).toBe(true);
    expect(files.some((name) => /^project\.cjs-\w+\.v8$/.test(name))).toBe(true);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const bundle = bundleCache(folder, files);
    expect(header(bundle).commands).toEqual(['create']);
    const made = statSync(bundle);

    // A cache V8 refused, or one that did not hold create's code, would be written again.
    const [cachedWork, uncachedWork] = [await tempDir(), await tempDir()];
    const second = run(bin, ['my-api', '--yes', '--no-install', '--no-git'], cachedWork, cache);
    expect(second.status, second.stderr).toBe(0);
    expect(statSync(bundle).mtimeMs).toBe(made.mtimeMs);
    const uncached = run(bin, ['my-api', '--yes', '--no-install', '--no-git'], uncachedWork, cache, { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(uncached.status, uncached.stderr).toBe(0);
    const withCache = await snapshotTree(join(cachedWork, 'my-api'));
    expect(Object.keys(withCache).length).toBeGreaterThan(50);
    expect(withCache).toEqual(await snapshotTree(join(uncachedWork, 'my-api')));
    expect(second.stdout).toBe(uncached.stdout);

    const added = run(bin, ['add-domain', 'products'], join(work, 'first'), cache);
    expect(added.status, added.stderr).toBe(0);
    expect(header(bundle).commands).toEqual(['create', 'add-domain']);
    expect(cacheFiles(cache).files.some((name) => /^domain\.cjs-\w+\.v8$/.test(name))).toBe(true);
  });

  it('NODE_DISABLE_COMPILE_CACHE: nothing is written', async () => {
    const cache = await tempDir();
    const result = run(bin, ['my-api', '--yes', '--no-install', '--no-git'], await tempDir(), cache, { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('a folder that cannot be made (a file in the way): the run succeeds and says nothing of it', async () => {
    const blocked = join(await tempDir(), 'a-file');
    writeFileSync(blocked, '');
    const result = run(bin, ['my-api', '--yes', '--no-install', '--no-git'], await tempDir(), join(blocked, 'cache'));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('a bundle changed to the same length, its times set back, runs its new code, not the cached old one', async () => {
    const installed = await installedCopy();
    const cache = await tempDir();
    const work = await tempDir();
    const installedBin = join(installed, 'bin/create-layered-backend.cjs');
    expect(run(installedBin, ['one', '--yes', '--no-install', '--no-git'], work, cache).stdout).toContain('Created one:');
    const bundle = join(installed, 'dist/index.cjs');
    const { atime, mtime } = statSync(bundle);
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('ctx.log.success(`Created ${', 'ctx.log.success(`Crafted ${'));
    utimesSync(bundle, atime, mtime);
    const result = run(installedBin, ['two', '--yes', '--no-install', '--no-git'], work, cache);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Crafted two:');
  });

  it("a cache in a folder others can write to is not used: another user's bytecode never runs", async () => {
    // Two installs of the same length: the real one, and one whose code says something else.
    const real = await installedCopy();
    const forged = await installedCopy();
    const bundle = join(forged, 'dist/index.cjs');
    writeFileSync(bundle, readFileSync(bundle, 'utf8').replace('ctx.log.success(`Created ${', 'ctx.log.success(`Crafted ${'));
    const work = await tempDir();
    const [realCache, forgedCache] = [await tempDir(), await tempDir()];
    expect(run(join(real, 'bin/create-layered-backend.cjs'), ['one', '--yes', '--no-install', '--no-git'], work, realCache).status).toBe(0);
    expect(run(join(forged, 'bin/create-layered-backend.cjs'), ['two', '--yes', '--no-install', '--no-git'], work, forgedCache).status).toBe(0);
    // The forged code's cache under the real bundle's header: V8 would take it (same length).
    const target = cacheFiles(realCache);
    const source = cacheFiles(forgedCache);
    const realFile = bundleCache(target.folder, target.files);
    const forgedBytes = readFileSync(bundleCache(source.folder, source.files));
    const realBytes = readFileSync(realFile);
    // Its checksum too: whoever can write the folder can compute one.
    const forgedData = forgedBytes.subarray(forgedBytes.indexOf(10) + 1);
    const realHeader = JSON.parse(realBytes.toString('utf8', 0, realBytes.indexOf(10))) as Record<string, unknown>;
    const plantedHeader = JSON.stringify({ ...realHeader, sha256: createHash('sha256').update(forgedData).digest('hex') });
    writeFileSync(realFile, Buffer.concat([Buffer.from(`${plantedHeader}\n`), forgedData]));

    // In the user's own folder it is run (which shows the planted cache would work)...
    const trusted = run(join(real, 'bin/create-layered-backend.cjs'), ['three', '--yes', '--no-install', '--no-git'], work, realCache);
    expect(trusted.stdout).toContain('Crafted three:');
    // ...and in a folder anyone could have written it to, it is not.
    chmodSync(target.folder, 0o777);
    const refused = run(join(real, 'bin/create-layered-backend.cjs'), ['four', '--yes', '--no-install', '--no-git'], work, realCache);
    expect(refused.status, refused.stderr).toBe(0);
    expect(refused.stdout).toContain('Created four:');
  });

  it('a cache V8 refuses (another V8, other flags, damaged) is made again, and the run is unaffected', async () => {
    const cache = await tempDir();
    const work = await tempDir();
    expect(run(bin, ['one', '--yes', '--no-install', '--no-git'], work, cache).status).toBe(0);
    const { folder, files } = cacheFiles(cache);
    const file = bundleCache(folder, files);
    const bytes = readFileSync(file);
    // V8's own header (magic number, version and flag hashes) starts after ours.
    bytes.fill(0xff, bytes.indexOf(10) + 1, bytes.indexOf(10) + 33);
    writeFileSync(file, bytes);
    const result = run(bin, ['two', '--yes', '--no-install', '--no-git'], work, cache);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const remade = readFileSync(file);
    expect(remade.subarray(remade.indexOf(10) + 1, remade.indexOf(10) + 33).every((byte) => byte === 0xff)).toBe(false);
  });

  it('a FIFO or a device where a cache goes is passed over, not waited on', async () => {
    const cache = await tempDir();
    const work = await tempDir();
    expect(run(bin, ['one', '--yes', '--no-install', '--no-git'], work, cache).status).toBe(0);
    const { folder, files } = cacheFiles(cache);
    const bundle = bundleCache(folder, files);
    rmSync(bundle);
    expect(spawnSync('mkfifo', [bundle]).status).toBe(0);
    const templates = join(folder, files.find((name) => name.startsWith('project.cjs-')) as string);
    rmSync(templates);
    symlinkSync('/dev/zero', templates);
    const result = spawnSync(process.execPath, [bin, 'two', '--yes', '--no-install', '--no-git'], {
      cwd: work,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', NODE_COMPILE_CACHE: cache },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('runs at once with no cache yet each leave a whole cache, which the next run uses', async () => {
    const cache = await tempDir();
    const work = await tempDir();
    const runs = [1, 2, 3, 4].map((n) => {
      const child = spawn(process.execPath, [bin, `p${n}`, '--yes', '--no-install', '--no-git'], {
        cwd: work,
        env: { ...process.env, CI: 'true', NO_COLOR: '1', NODE_COMPILE_CACHE: cache },
        stdio: 'ignore',
      });
      return once(child, 'exit');
    });
    expect((await Promise.all(runs)).map(([code]) => code)).toEqual([0, 0, 0, 0]);
    const { folder, files } = cacheFiles(cache);
    expect(files.every((name) => name.endsWith('.v8') || name === 'node')).toBe(true);
    const bundle = bundleCache(folder, files);
    const made = statSync(bundle).mtimeMs;
    expect(run(bin, ['p5', '--yes', '--no-install', '--no-git'], work, cache).status).toBe(0);
    expect(statSync(bundle).mtimeMs).toBe(made);
  });

  it('a run that changed V8 flags (tree-sitter started) saves no cache, which V8 would refuse to the next run', async () => {
    const cache = await tempDir();
    const work = await tempDir();
    expect(run(bin, ['my-api', '--yes', '--no-install', '--no-git'], work, cache).status).toBe(0);
    const root = join(work, 'my-api');
    const registry = join(root, 'src/my_api/routers/__init__.py');
    writeFileSync(registry, `${readFileSync(registry, 'utf8')}# Ours.\n`);
    const { folder, files } = cacheFiles(cache);
    const bundle = bundleCache(folder, files);
    const added = run(bin, ['add-domain', 'widgets'], root, cache);
    expect(added.status, added.stderr).toBe(0);
    expect(readFileSync(registry, 'utf8')).toContain('# Ours.');
    expect(header(bundle).commands).toEqual(['create']);
  });

  it('a cache whose bytes were damaged under an intact header (a tail a crash left zeroed) is made again, not run', async () => {
    // A hostile pass: V8 ran the damaged bytecode, and every later run crashed without a word (exit 139).
    const cache = await tempDir();
    const work = await tempDir();
    expect(run(bin, ['one', '--dry-run', '--json'], work, cache).status).toBe(0);
    const { folder, files } = cacheFiles(cache);
    const file = bundleCache(folder, files);
    const bytes = readFileSync(file);
    bytes.fill(0, Math.floor(bytes.length / 2));
    writeFileSync(file, bytes);
    for (const attempt of ['damaged', 'made again']) {
      const result = run(bin, ['two', '--dry-run', '--json'], work, cache);
      expect(result.status, `${attempt}: ${result.stderr}`).toBe(0);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout).command).toBe('create');
    }
    expect(readFileSync(file).subarray(-64).some((byte) => byte !== 0)).toBe(true);
  });

  it("Node's own compile cache goes in the CLI's folder, not the temporary folder every user shares", async () => {
    const cache = await tempDir();
    const shared = await tempDir();
    expect(run(bin, ['one', '--dry-run'], await tempDir(), cache, { TMPDIR: shared }).status).toBe(0);
    expect(readdirSync(shared)).toEqual([]);
    // Node 20 has no compile cache of its own.
    if ('enableCompileCache' in nodeModule) expect(statSync(join(cacheFiles(cache).folder, 'node')).mode & 0o777).toBe(0o700);
  });

  it('XDG_CACHE_HOME under /proc, where no folder can be made: the run ends as it would without a cache', async () => {
    // A hostile pass: Node's recursive mkdir looped there for ever, after the run's work was done.
    // (NODE_COMPILE_CACHE there hangs Node itself, before the CLI runs: not set.)
    const { NODE_COMPILE_CACHE: _, ...env } = process.env;
    const result = spawnSync(process.execPath, [bin, 'one', '--dry-run', '--json'], {
      cwd: await tempDir(),
      env: { ...env, CI: 'true', NO_COLOR: '1', XDG_CACHE_HOME: '/proc/create-layered-backend-test' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('a cache not written for a month (another version, a Node since upgraded, an install since gone) is removed when one is saved', async () => {
    // A newcomer's pass: 16 MB of caches kept for ever, 26 copies from installs in folders long gone.
    const cache = await tempDir();
    const work = await tempDir();
    expect(run(bin, ['one', '--dry-run'], work, cache).status).toBe(0);
    const { folder } = cacheFiles(cache);
    const month = (Date.now() - 31 * 24 * 60 * 60 * 1000) / 1000;
    const oldVersion = join(cache, 'create-layered-backend', '0.0.1-node18.0.0-x64');
    const recentVersion = join(cache, 'create-layered-backend', '0.0.2-node18.0.0-x64');
    for (const dir of [oldVersion, recentVersion]) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'index.cjs-x.v8'), 'old');
    }
    utimesSync(join(oldVersion, 'index.cjs-x.v8'), month, month);
    const goneInstall = join(folder, 'index.cjs-gone.v8');
    writeFileSync(goneInstall, 'old');
    utimesSync(goneInstall, month, month);
    // A command not run yet saves its code, and prunes.
    const root = join(work, 'p');
    expect(run(bin, ['p', '--yes', '--no-install', '--no-git'], work, cache).status).toBe(0);
    expect(run(bin, ['add-domain', 'products'], root, cache).status).toBe(0);
    expect(existsSync(oldVersion)).toBe(false);
    expect(existsSync(goneInstall)).toBe(false);
    expect(existsSync(join(recentVersion, 'index.cjs-x.v8'))).toBe(true);
  });
});
