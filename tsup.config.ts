import { copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  target: 'node20',
  platform: 'node',
  // Commands stay in their own chunks, loaded only when run; --help never parses them.
  splitting: true,
  clean: true,
  async onSuccess() {
    // The Python grammar ships inside our package, so users do not install tree-sitter-python.
    const grammar = createRequire(import.meta.url).resolve('tree-sitter-python/tree-sitter-python.wasm');
    await copyFile(grammar, 'dist/tree-sitter-python.wasm');
  },
});
