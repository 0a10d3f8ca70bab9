#!/usr/bin/env node
// Thin on purpose: check the runtime, then hand argv to the bundled CLI.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  console.error(`create-layered-backend needs Node.js 20.12 or newer (this is ${process.versions.node}).`);
  process.exit(1);
}
const argv = process.argv.slice(2);
// --help and --version print what the full CLI printed at build time, without loading it.
const printed = argv.length === 1 ? { '--help': 'help.txt', '-h': 'help.txt', '--version': 'version.txt', '-v': 'version.txt' }[argv[0]] : undefined;
if (printed) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(readFileSync(new URL(`../dist/${printed}`, import.meta.url)));
} else {
  const { main } = await import('../dist/index.js');
  process.exitCode = await main(argv);
}
