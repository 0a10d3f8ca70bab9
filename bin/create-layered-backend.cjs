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
  // Node 22.1 and later keep V8's compiled code of the bundle in a cache on this machine, so the
  // next run skips parsing and compiling it; Node 20 has no such cache and compiles each time.
  require('node:module').enableCompileCache?.();
  require('../dist/index.cjs')
    .main(argv)
    .then((code) => {
      process.exitCode = code;
    });
}
