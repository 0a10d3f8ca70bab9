#!/usr/bin/env node
// Builds the package twice and fails unless both builds are byte for byte the same: what npm
// publishes must follow from the sources alone (no machine paths, times or caches in it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function digest() {
  const files = readdirSync('dist', { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return Object.fromEntries(
    files.map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return [path, createHash('sha256').update(readFileSync(path)).digest('hex')];
    }),
  );
}

const build = () => execFileSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
build();
const first = digest();
build();
const second = digest();
const differing = [...new Set([...Object.keys(first), ...Object.keys(second)])].filter((path) => first[path] !== second[path]);
if (differing.length > 0) {
  console.error(`Two builds differ in: ${differing.join(', ')}`);
  process.exit(1);
}
console.error(`Built twice: ${Object.keys(first).length} files, identical.`);
