#!/usr/bin/env node
// Thin on purpose: check the runtime, then hand argv to the bundled CLI.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  console.error(`create-layered-backend needs Node.js 20.12 or newer (this is ${process.versions.node}).`);
  process.exit(1);
}
const { main } = await import('../dist/index.js');
process.exitCode = await main(process.argv.slice(2));
