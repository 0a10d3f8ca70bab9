import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

// --ignore-scripts: packs the dist/ npm test built, without rebuilding it under the other tests' feet.
const repo = resolve(import.meta.dirname, '../..');

describe('the package npm would publish', () => {
  it('holds the bin, dist/, the licences, the README and the changelog, and depends on nothing', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--silent', '--ignore-scripts'], { cwd: repo, encoding: 'utf8' }));
    const files = (packed.files as Array<{ path: string }>).map((file) => file.path).sort();
    const outside = files.filter((path) => !/^(bin\/create-layered-backend\.cjs|dist\/.+|CHANGELOG\.md|LICENSE|README\.md|package\.json)$/.test(path));
    expect(outside).toEqual([]);
    for (const needed of ['dist/index.cjs', 'dist/on-demand.cjs', 'dist/templates/domain.cjs', 'dist/tree-sitter-python.wasm', 'dist/THIRD_PARTY_LICENSES.txt', 'LICENSE', 'CHANGELOG.md']) {
      expect(files).toContain(needed);
    }
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
  });

  it('names in THIRD_PARTY_LICENSES each package bundled, execa\'s and clack\'s own dependencies too', () => {
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dependencies?: Record<string, string> }> };
    const closure = new Set<string>();
    const visit = (name: string) => {
      if (closure.has(name)) return;
      closure.add(name);
      for (const dependency of Object.keys(lock.packages[`node_modules/${name}`]?.dependencies ?? {})) visit(dependency);
    };
    for (const name of ['execa', '@clack/prompts', 'commander', 'valibot', 'smol-toml', 'node-diff3', 'web-tree-sitter']) visit(name);
    const notices = readFileSync(join(repo, 'dist/THIRD_PARTY_LICENSES.txt'), 'utf8');
    const named = new Set([...notices.matchAll(/^(\S+) \d+\.\d+\.\d+\S* \([^)\n]+\)$/gm)].map((match) => match[1]));
    expect([...closure].filter((name) => !named.has(name))).toEqual([]);
    // Each with its licence's text, as MIT and the others ask of every copy.
    const entries = notices.split(/\n-{72}\n\n/);
    expect(entries.filter((entry) => !/copyright|licensed under|permission is hereby granted/i.test(entry)).map((entry) => entry.split('\n')[0])).toEqual([]);
  });

  it('installs as one package, offline, and runs', async () => {
    const work = await tempDir();
    const tarball = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: repo, encoding: 'utf8' }).trim();
    const prefix = join(work, 'prefix');
    execFileSync('npm', ['install', '--offline', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, join(work, tarball)]);
    expect(readdirSync(join(prefix, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['create-layered-backend']);
    const version = execFileSync(join(prefix, 'node_modules/.bin/create-layered-backend'), ['--version'], { encoding: 'utf8' });
    expect(version.trim()).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
  });

  it('a bundle that looks nothing up in a source checkout: no Handlebars, no node_modules, no templates/', () => {
    const bundle = readFileSync(join(repo, 'dist/index.cjs'), 'utf8');
    expect(bundle).not.toMatch(/require\("handlebars"\)|require\.resolve\(|readTemplateFiles|tree-sitter-python\/tree-sitter-python\.wasm/);
  });
});
