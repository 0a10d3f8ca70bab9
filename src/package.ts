import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  // Bundled code lives in dist/, sources in src/core/ and friends: walk up to package.json either way.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('create-layered-backend: package.json not found above the CLI');
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
export const VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
