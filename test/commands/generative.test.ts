import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCreate } from '../../src/commands/create/index.js';
import { main } from '../../src/index.js';
import { PYTHON_KEYWORDS, TEMPLATE_SCOPES } from '../../src/core/names.js';
import { tempDir, testContext } from '../helpers.js';
import { snapshotTree } from '../tree.js';

/**
 * Thousands of random domain names and field specs, biased towards what breaks generated Python:
 * keywords, builtins, the identifiers the templates use, odd defaults; and random projects (names,
 * domains, options) for create, whose files no run parses (the build parses every option
 * combination: scripts/check-renderings.mjs). Every input is either accepted, and then
 * every file it would write parses and compiles (one `python3 -m compileall` over all of them), or
 * refused as a usage error (exit 2) with nothing written.
 */

const BUILTINS = (
  'abs all any ascii bin bool breakpoint bytearray bytes callable chr classmethod compile complex delattr dict dir ' +
  'divmod enumerate eval exec filter float format frozenset getattr globals hasattr hash help hex id input int ' +
  'isinstance issubclass iter len list locals map max memoryview min next object oct open ord pow print property ' +
  'range repr reversed round set setattr slice sorted staticmethod str sum super tuple type vars zip self cls'
).split(' ');
const TEMPLATE_NAMES = [...new Set(TEMPLATE_SCOPES.flatMap((scope) => scope.names.split(' ')))];
const TRICKY = [
  ...PYTHON_KEYWORDS,
  'match', 'case', 'type', '_', ...BUILTINS, ...TEMPLATE_NAMES, 'os', 'sys', 'item', 'row', 'param', 'change', 'metadata',
  'registry', 'model_config', 'model_dump', '_secret', '__init__', 'json', 'schema', 'copy', 'date', 'datetime', 'uuid',
  'decimal', 'health', 'routers', 'api', 'status', 'person', 'child', 'data', 'series', 'news', 'fish', 'octopus',
];
const COMMANDS = ['help', 'add-domain', 'remove-domain', 'add-field', 'remove-field', 'add-flow', 'remove-flow', 'upgrade', 'flip'];
const TYPES = ['str', 'text', 'int', 'float', 'bool', 'decimal', 'date', 'datetime', 'uuid'];
const REFERENCES = ['users', 'orders', 'widgets'].flatMap((domain) =>
  ['', ', on_delete=cascade', ', on_delete=set_null', ', on_delete=restrict', ', on_delete=never', ',on_delete = cascade'].map((option) => `ref(${domain}${option})`),
);

const word = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.constantFrom(...TRICKY).map((name) => `${name}s`),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,34}$/),
  fc.stringMatching(/^[A-Za-z0-9 _./-]{1,30}$/),
  fc.string({ maxLength: 12 }),
);

const defaultValue = fc.oneof(
  fc.constantFrom(
    '007', '0', '-0', '-1', '2147483647', '2147483648', '-2147483649', '99999999999999999999999', '2024-13-45',
    '2024-02-29', '2023-02-29', '0000-01-01', 'NaN', 'inf', '-Infinity', '1e309', '1e5', '.5', '1.', '0x10', 'abc',
    'true', 'False', 'yes', '"quoted"', "it's", 'a"b', 'back\\slash', '9999999999.99', '12345678901', '1.005',
    'x'.repeat(256), 'ünïcödé',
  ),
  fc.integer().map(String),
  fc.double().map(String),
  fc.string({ maxLength: 20 }),
);

const fieldName = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,31}$/), weight: 4 },
  { arbitrary: fc.constantFrom(...TRICKY), weight: 3 },
  { arbitrary: word, weight: 1 },
);

const field = fc
  .record({
    name: fieldName,
    type: fc.oneof(
      { arbitrary: fc.constantFrom(...TYPES), weight: 9 },
      // References to the project's domains (widgets is the one being added), with their options.
      { arbitrary: fc.constantFrom(...REFERENCES), weight: 3 },
      { arbitrary: fc.constantFrom('string', 'money', 'Int', '', 'ref', 'ref()', 'str(users)'), weight: 1 },
    ),
    // ? optional, ! unique, + indexed, in any order, sometimes twice.
    markers: fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(fc.constantFrom('?', '!', '+'), { maxLength: 3 }), weight: 2 }),
    fallback: fc.option(defaultValue, { nil: undefined, freq: 2 }),
  })
  .map(({ name, type, markers, fallback }) => `${name}:${type}${markers.join('')}${fallback === undefined ? '' : `=${fallback}`}`);

const spec = fc.array(field, { minLength: 1, maxLength: 3 }).map((fields) => fields.join(', '));

let root: string;
const accepted: Array<{ by: string; files: Record<string, string> }> = [];
const rejected: Array<{ by: string; argv: string[]; cwd: string }> = [];
let errors: string[] = [];
let lastRun: { argv: string[]; cwd: string };

beforeAll(async () => {
  const cwd = await tempDir();
  await runCreate({ directory: 'my-api', git: false, install: false }, testContext(cwd).ctx);
  root = join(cwd, 'my-api');
  vi.spyOn(console, 'error').mockImplementation((message: unknown) => void errors.push(String(message)));
});

afterAll(() => vi.restoreAllMocks());

/**
 * A command's --dry-run --json in process: the exit code, and the planned Python files when
 * accepted. `operands` go last, after `--` when one starts with "-" (else it would be an option).
 */
async function plan(argv: string[], cwd = root, operands: string[] = []) {
  const last = [...(operands.some((operand) => operand.startsWith('-')) ? ['--'] : []), ...operands];
  lastRun = { argv: [...argv, ...last], cwd };
  const output: string[] = [];
  const { ctx } = testContext(cwd);
  errors = [];
  const code = await main([...argv, '--dry-run', '--json', ...last], { ...ctx, log: { ...ctx.log, raw: (text) => void output.push(text) } });
  const files: Record<string, string> = {};
  if (code === 0) {
    const json = JSON.parse(output.join('\n')) as { format: number; changes: Array<{ path: string; content?: string }> };
    expect(json.format).toBe(1);
    for (const change of json.changes) {
      if (change.content === undefined) continue;
      if (change.path.endsWith('.py')) files[change.path] = change.content;
      // TOML has no compileall: parsed here, a failure shrunk like any other.
      if (change.path.endsWith('.toml')) expect(() => parseToml(change.content as string), change.path).not.toThrow();
    }
  }
  return { code, files, error: errors.join('\n') };
}

function check(by: string, result: Awaited<ReturnType<typeof plan>>) {
  if (result.code === 0) {
    accepted.push({ by, files: result.files });
    return true;
  }
  rejected.push({ by, ...lastRun });
  // A usage error: one line, exit 2; anything else (1, an internal error) is a bug to shrink.
  return result.code === 2 && !result.error.includes('\n') && !/Internal error/.test(result.error);
}

describe('random domain names and field specs', () => {
  it('domain names: accepted, or refused as a usage error', async () => {
    await fc.assert(
      // The name as an operand (after -- when it starts with "-"): -h would otherwise ask for help.
      fc.asyncProperty(word, async (name) => check('name', await plan(['add-domain', '--fields', 'name:str'], root, [name]))),
      { numRuns: 1000 },
    );
  });

  it('field specs: accepted, or refused as a usage error', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (fields) => check('fields', await plan(['add-domain', 'widgets', '--fields', fields]))),
      { numRuns: 2000 },
    );
  });

  it('projects (names, domains, options): accepted, or refused as a usage error', async () => {
    const cwd = await tempDir();
    const project = fc.record({
      directory: word,
      domains: fc.array(word, { minLength: 1, maxLength: 3 }),
      db: fc.constantFrom('sqlite', 'postgres'),
      layout: fc.constantFrom('layer-first', 'domain-first'),
      extras: fc.subarray(['crawlers', 'schedulers', 'clients', 'workers']),
    });
    await fc.assert(
      fc.asyncProperty(project, async ({ directory, domains, db, layout, extras }) => {
        const argv = ['--yes', '--no-git', '--no-install', '--domains', domains.join(','), '--db', db, '--layout', layout];
        if (extras.length > 0) argv.push('--extras', extras.join(','));
        // A word that names one of the CLI's commands runs that command: a user writes ./help.
        return check('project', await plan(argv, cwd, [COMMANDS.includes(directory) ? `./${directory}` : directory]));
      }),
      { numRuns: 300 },
    );
  });

  it('every accepted input gives Python that compiles, in one compileall run', async () => {
    // Each kind well represented, or the property proved little.
    for (const by of ['name', 'fields']) expect(accepted.filter((entry) => entry.by === by).length).toBeGreaterThan(250);
    expect(accepted.filter((entry) => entry.by === 'project').length).toBeGreaterThan(50);
    expect(rejected.length).toBeGreaterThan(500);
    const batch = await tempDir();
    for (const [index, { files }] of accepted.entries()) {
      for (const [path, content] of Object.entries(files)) {
        const target = join(batch, `case_${index}`, path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
    }
    // Exit 1 with the failing files listed if any does not compile.
    execFileSync('python3', ['-m', 'compileall', '-q', '-j', '0', batch], { stdio: 'pipe' });
  });

  it('a refused input writes nothing, run for real', async () => {
    const runs = [...rejected.filter(({ by }) => by !== 'project').slice(0, 40), ...rejected.filter(({ by }) => by === 'project').slice(0, 20)];
    const folders = [...new Set(runs.map(({ cwd }) => cwd))];
    const before = await Promise.all(folders.map((folder) => snapshotTree(folder, { withFolders: true })));
    for (const { argv, cwd } of runs) expect(await main(argv, testContext(cwd).ctx)).toBe(2);
    expect(await Promise.all(folders.map((folder) => snapshotTree(folder, { withFolders: true })))).toEqual(before);
  });
});
