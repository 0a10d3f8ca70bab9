#!/usr/bin/env node
// Smoke matrix: generate projects from the packed package, install them, and run the project's own
// checks (ruff, ruff format, mypy --strict, lint-imports, pytest). Prints a table; exits 1 on any failure.
// Usage: npm run smoke [-- <combination-name-filter>]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const cache = join(repo, '.smoke-cache');
const filter = process.argv[2] ?? '';

const combinations = [
  { name: 'default', create: [] },
  { name: 'all-extras', create: ['--extras', 'crawlers,schedulers,clients,workers'] },
  { name: 'single-domain', create: ['--domains', 'products'] },
  {
    name: 'default+add-domain',
    create: [],
    after: [['add-domain', 'order_items', '--fields', 'name:str, price:decimal, in_stock:bool=true, notes:text?, due:date?, at:datetime?, ref:uuid?']],
  },
  {
    name: 'default+add+remove-domain',
    create: [],
    after: [
      ['add-domain', 'products', '--fields', 'name:str,price:decimal,in_stock:bool'],
      ['remove-domain', 'products'],
    ],
  },
  { name: 'postgres (static checks)', create: ['--db', 'postgres'], skipPytest: true },
].filter((combination) => combination.name.includes(filter));

// Each rule of the seed must fire: a violating line added to the default project makes its tool fail.
const violations = [
  ['lint-imports catches a repository importing a service', 'src/my_api/repositories/users.py', 'from my_api.services import orders  # noqa: F401', ['lint-imports'], /Layers: .*BROKEN/],
  ['lint-imports catches a service importing another domain', 'src/my_api/services/users.py', 'from my_api.services import orders  # noqa: F401', ['lint-imports'], /Services of different domains are independent\s*BROKEN/],
  ['ruff bans httpx outside utils/http.py', 'src/my_api/services/users.py', 'import httpx  # noqa: F401', ['ruff', 'check', '.'], /TID251/],
  ['ruff bans requests outside utils/http.py', 'src/my_api/routers/users/handlers.py', 'import requests  # noqa: F401', ['ruff', 'check', '.'], /TID251/],
];

const checks = [
  ['ruff check', ['ruff', 'check', '.']],
  ['ruff format', ['ruff', 'format', '--check', '.']],
  ['mypy --strict', ['mypy']],
  ['lint-imports', ['lint-imports']],
  ['pytest', ['pytest', '-q', '-p', 'no:cacheprovider']],
];

function run(command, args, options = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { ok: result.status === 0, seconds: (Date.now() - started) / 1000, output };
}

// 1. Pack and install into an empty prefix: a file missing from `files` fails here.
mkdirSync(cache, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'clb-smoke-'));
const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: repo, encoding: 'utf8' }).trim().split('\n').pop();
const prefix = join(work, 'prefix');
execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, join(work, tarball)], { stdio: 'inherit' });
const bin = join(prefix, 'node_modules', '.bin', 'create-layered-backend');

const env = { ...process.env, UV_CACHE_DIR: join(cache, 'uv'), UV_LINK_MODE: 'copy' };
const rows = [];
for (const combination of combinations) {
  const parent = join(work, combination.name.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(parent);
  const project = join(parent, 'my-api');
  const steps = [['generate', () => run(bin, ['my-api', '--yes', '--no-install', '--no-git', ...combination.create], { cwd: parent })]];
  for (const args of combination.after ?? []) steps.push([args[0], () => run(bin, args, { cwd: project })]);
  // A shared uv cache makes a rerun take seconds; the venv itself is fresh for every combination.
  steps.push(['install', () => run('uv', ['sync', '--quiet', '--extra', 'dev'], { cwd: project, env })]);
  for (const [label, [command, ...args]] of checks) {
    if (label === 'pytest' && combination.skipPytest) continue;
    steps.push([label, () => run(join(project, '.venv', 'bin', command), args, { cwd: project, env })]);
  }
  if (combination.name === 'default') {
    for (const [label, file, line, [command, ...args], expected] of violations) {
      steps.push([label, () => {
        const path = join(project, file);
        const original = readFileSync(path, 'utf8');
        writeFileSync(path, `${line}\n${original}`);
        const result = run(join(project, '.venv', 'bin', command), args, { cwd: project, env });
        writeFileSync(path, original);
        // It must fail, and for the rule under test rather than for some other reason.
        return { ...result, ok: !result.ok && expected.test(result.output) };
      }]);
    }
  }
  for (const [label, step] of steps) {
    const result = existsSync(parent) ? step() : { ok: false, seconds: 0, output: 'skipped' };
    rows.push({ combination: combination.name, check: label, ...result });
    if (!result.ok) {
      console.error(`\n--- ${combination.name}: ${label} failed ---\n${result.output.slice(-4000)}`);
      break;
    }
  }
}

console.log('\ncombination                      check            result   seconds');
for (const row of rows) {
  console.log(`${row.combination.padEnd(32)} ${row.check.padEnd(16)} ${(row.ok ? 'ok' : 'FAILED').padEnd(8)} ${row.seconds.toFixed(1).padStart(7)}`);
}
const failed = rows.filter((row) => !row.ok).length;
console.log(`smoke: ${rows.length - failed} passed, ${failed} failed`);
rmSync(work, { recursive: true, force: true });
process.exit(failed === 0 && rows.length > 0 ? 0 : 1);
