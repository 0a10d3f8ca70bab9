import { existsSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

// `npm test` builds first: the module as the bin loads it, in fresh processes with V8's default flags.
const codeCache = resolve(import.meta.dirname, '../../dist/code-cache.cjs');

/** Loads `file` through requireCached in a new process and returns what it printed of the exports. */
async function load(file: string, { training = false } = {}) {
  const script = `console.log(JSON.stringify(require(${JSON.stringify(codeCache)}).requireCached(${JSON.stringify(file)})))`;
  const env = training ? { CLB_TRAIN_CODE_CACHE: '1' } : {};
  return execa('node', ['-e', script], { env, reject: false });
}

describe('code caches', () => {
  it('training writes a cache that the next run loads, and the file behaves as under require', async () => {
    const dir = await tempDir();
    const file = join(dir, 'module.cjs');
    await writeFile(file, "module.exports = { file: __filename, dir: __dirname, sep: require('node:path').sep };\n");
    const expected = JSON.stringify({ file, dir, sep: '/' });

    expect((await load(file, { training: true })).stdout).toBe(expected);
    expect(existsSync(`${file}.v8-cache`)).toBe(true);
    // A second training run loads the first one's cache and fails if V8 rejects it.
    const again = await load(file, { training: true });
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await load(file)).stdout).toBe(expected);
  });

  it('a file changed after its cache was made runs as changed, even at the same length', async () => {
    const dir = await tempDir();
    const file = join(dir, 'module.cjs');
    await writeFile(file, "module.exports = 'built';\n");
    await load(file, { training: true });
    await writeFile(file, "module.exports = 'local';\n");
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    expect((await load(file)).stdout).toBe('"local"');
  });

  it('training refuses a file that calls import(), which cached code cannot run', async () => {
    const dir = await tempDir();
    const file = join(dir, 'module.cjs');
    await writeFile(file, "exports.os = () => import('node:os');\n");
    const result = await load(file, { training: true });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('uses import(), which a code-cached file cannot');
    expect(existsSync(`${file}.v8-cache`)).toBe(false);
  });
});
