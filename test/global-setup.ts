import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The end-to-end tests run the built bin: a dist/ older than the sources would test old code.
 * `npm test` builds first; a bare `vitest` run after an edit is stopped here instead.
 */
export default function setup(): () => void {
  distIsCurrent();
  // The runs of the bin keep their code cache (src/code-cache.ts) in a folder of the test run's,
  // not the user's: made by the first run of each command, used by the rest.
  const cache = mkdtempSync(join(tmpdir(), 'clb-code-cache-'));
  process.env.NODE_COMPILE_CACHE = cache;
  return () => rmSync(cache, { recursive: true, force: true });
}

function distIsCurrent(): void {
  const root = resolve(import.meta.dirname, '..');
  const built = statSync(join(root, 'dist/index.cjs'), { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) throw new Error('dist/ is missing: run "npm run build" (npm test does)');
  const sources = ['src', 'templates', 'bin'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name)),
  );
  const newer = sources.filter((file) => statSync(file).mtimeMs > built);
  if (newer.length > 0) {
    throw new Error(`dist/ is older than ${newer.slice(0, 3).join(', ')}: run "npm run build" (npm test does)`);
  }
}
