import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Injected at build time (tsup) and test time (vitest): --version reads no file.
declare const __CLB_VERSION__: string;
export const VERSION = __CLB_VERSION__;

/** templates/ of a source checkout; only used when no precompiled bundle sits beside the code. */
export function templatesDir(): string {
  // Sources live in src/ and src/core/: walk up to package.json.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'templates');
    if (dirname(dir) === dir) throw new Error('create-layered-backend: package.json not found above the CLI');
  }
}
