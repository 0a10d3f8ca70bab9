#!/usr/bin/env node
// Thin on purpose: check the runtime, then hand argv to the bundled CLI. CommonJS, like the bundle:
// Node 20 starts a CommonJS program without setting up its ES module loader.
'use strict';
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  console.error(`create-layered-backend needs Node.js 20.12 or newer (this is ${process.versions.node}).`);
  process.exit(1);
}
const argv = process.argv.slice(2);
// --help and --version print what the full CLI printed at build time, without loading it.
const printed = argv.length === 1 ? { '--help': 'help.txt', '-h': 'help.txt', '--version': 'version.txt', '-v': 'version.txt' }[argv[0]] : undefined;
if (printed) {
  process.stdout.write(require('node:fs').readFileSync(`${__dirname}/../dist/${printed}`));
} else {
  // The bundle loads through a cache of the code V8 compiled for it in earlier runs, on this
  // machine (dist/code-cache.cjs), which also puts Node's own compile cache (22.1 and later) in
  // its folder, for what Node's loader compiles: tree-sitter's glue, the prompts and process packages.
  const { enableNodeCompileCache, requireCached } = require('../dist/code-cache.cjs');
  enableNodeCompileCache();
  requireCached(require('node:path').join(__dirname, '..', 'dist', 'index.cjs'))
    .main(argv)
    .then((code) => {
      process.exitCode = code;
    });
}
