import { CliError, UsageError } from '../errors.js';
import type { Field } from './fields.js';
import { columnImports, columnSchemaImports, stdlibImports } from './fields.js';
import { isUnchanged, type Manifest } from './manifest.js';
import type { DomainName } from './names.js';
import { byCodePoint } from './order.js';
import type { Plan } from './plan.js';
import {
  addRouterRegistration,
  readRevision,
  removeRouterRegistration,
  type Revision,
  type RouterRegistration,
} from './python-edit.js';
import { fromImport, fromImports, LINE_LENGTH, routerImport, routerInclude } from './python-source.js';
import { type RenderedFile, renderTree } from './render.js';

export interface DomainSpec {
  name: DomainName;
  fields: Field[];
  /** The --fields text, recorded in the manifest. */
  fieldsSpec: string;
}

/** How `routers/__init__.py` registers the router of `routers/<module>`. */
export function routerRegistration(packageName: string, module: string): RouterRegistration {
  return {
    file: `src/${packageName}/routers/__init__.py`,
    module: `${packageName}.routers.${module}`,
    alias: `${module}_router`,
    registry: 'api_router',
  };
}

/**
 * A new project's registrations, printed by its template: imports sorted as ruff's isort wants them,
 * includes in the order given. add-domain's syntax-tree edit produces the same lines.
 */
export function routerRegistrationLines(packageName: string, modules: string[]) {
  const registrations = modules.map((module) => routerRegistration(packageName, module));
  return {
    imports: [...registrations].sort((a, b) => byCodePoint(a.module, b.module)).map(routerImport),
    includes: registrations.map(routerInclude),
  };
}

/** add-domain registers the new router by editing the file's syntax tree, so hand edits survive. */
export async function registerRouter(plan: Plan, packageName: string, domain: DomainName): Promise<void> {
  const registration = routerRegistration(packageName, domain.module);
  const routers = plan.read(registration.file);
  if (routers === undefined) throw new CliError(`${registration.file} is missing; it registers every router`);
  plan.write(registration.file, await addRouterRegistration(routers, registration));
}

/** remove-domain takes the registration out the same way; without the registry there is nothing to take out. */
export async function unregisterRouter(plan: Plan, packageName: string, domain: DomainName): Promise<void> {
  const registration = routerRegistration(packageName, domain.module);
  const routers = plan.read(registration.file);
  if (routers !== undefined) plan.write(registration.file, await removeRouterRegistration(routers, registration));
}

export const MIGRATIONS_DIR = 'migrations/versions';

/** Alembic's alembic_version.version_num is VARCHAR(32); PostgreSQL enforces it. */
const MAX_REVISION_LENGTH = 32;

export interface MigrationFile extends Revision {
  path: string;
}

/**
 * The ids of a migration this generator wrote, as its template prints them: one line each. Read
 * so only from a file whose content hash says it is still exactly as written.
 */
function generatedRevision(source: string): Revision | undefined {
  const revision = /^revision: str = "(\w+)"$/m.exec(source)?.[1];
  const down = /^down_revision: str \| None = (?:None|"(\w+)")$/m.exec(source);
  return revision && down ? { revision, downRevisions: down[1] ? [down[1]] : [] } : undefined;
}

/**
 * The migrations as they will be after the plan. Alembic skips `__init__*` files; so does this.
 * A project may hold hundreds: the ones still as generated (by the manifest's hashes) are read by
 * their known shape, every other one through its syntax tree.
 */
export async function readMigrations(plan: Plan, manifest: Manifest): Promise<MigrationFile[]> {
  const paths = plan
    .filesIn(MIGRATIONS_DIR)
    .filter((path) => path.endsWith('.py') && !path.slice(MIGRATIONS_DIR.length + 1).startsWith('__init__'));
  return Promise.all(
    paths.map(async (path) => {
      const source = plan.read(path) as string;
      const original = plan.original(path);
      const asGenerated =
        original !== undefined && original.toString('utf8') === source && isUnchanged(original, manifest.files[path])
          ? generatedRevision(source)
          : undefined;
      return { path, ...(asGenerated ?? (await readRevision(source, path))) };
    }),
  );
}

/** The revision a new migration builds on: the one no other revision names as its parent. */
export function migrationHead(migrations: Revision[]): string | null {
  const parents = new Set(migrations.flatMap((migration) => migration.downRevisions));
  const heads = migrations.map((migration) => migration.revision).filter((revision) => !parents.has(revision));
  if (heads.length > 1) {
    throw new CliError(`Migrations have several heads (${heads.join(', ')}); merge them with "alembic merge heads" first`);
  }
  return heads[0] ?? null;
}

/** Where new migrations go: the revision ids and file names already taken, and the head they build on. */
export interface MigrationChain {
  head: string | null;
  taken: Set<string>;
}

/** The chain in the project: ids of its revisions and names of its files (a hand-written one too). */
export async function migrationChain(plan: Plan, manifest: Manifest): Promise<MigrationChain> {
  const migrations = await readMigrations(plan, manifest);
  const files = plan.filesIn(MIGRATIONS_DIR).map((path) => path.slice(MIGRATIONS_DIR.length + 1).replace(/\.py$/, ''));
  return { head: migrationHead(migrations), taken: new Set([...migrations.map((migration) => migration.revision), ...files]) };
}

/**
 * `<base>`, or `<base>_2`, `<base>_3`... when a revision or a file of that name is taken (a domain
 * removed and added again; a hand-written migration), shortened to fit the column.
 */
function freeRevision(chain: MigrationChain, base: string): string {
  for (let n = 1; ; n += 1) {
    const suffix = n === 1 ? '' : `_${n}`;
    const id = `${base.slice(0, MAX_REVISION_LENGTH - suffix.length)}${suffix}`;
    if (!chain.taken.has(id)) return id;
  }
}

function schemaDeclarations(field: Field) {
  // Class-body lines, formatted as ruff format would leave them: a default that does not fit
  // goes into parentheses on a line of its own.
  const declare = (type: string, defaultValue: string | undefined) => {
    const target = `    ${field.name}: ${type}`;
    if (defaultValue === undefined) return target;
    const flat = `${target} = ${defaultValue}`;
    if (flat.length <= LINE_LENGTH) return flat;
    if (`        ${defaultValue}`.length > LINE_LENGTH) {
      throw new UsageError(`Invalid --fields: the default of "${field.name}" does not fit a ${LINE_LENGTH}-column line`);
    }
    return `${target} = (\n        ${defaultValue}\n    )`;
  };
  const nullable = `${field.schemaType} | None`;
  return {
    createDeclaration: declare(field.optional ? nullable : field.schemaType, field.pythonDefault),
    // Left out, a field keeps its value; null is refused where the column is NOT NULL.
    updateDeclaration: declare(field.optional ? nullable : `Omittable[${field.schemaType}]`, 'None'),
  };
}

/** Everything the domain templates print, computed once here so the templates stay plain Python. */
export function domainTemplateData(packageName: string, spec: DomainSpec) {
  const { name, fields } = spec;
  const columns = columnImports(fields);
  const usesUtcDateTime = fields.some((field) => field.type === 'datetime');
  const bounded = columnSchemaImports(fields);
  const requiredFields = fields.filter((field) => !field.optional);
  const hostileValues = fields.flatMap((field) => field.hostile.map((value) => ({ name: field.name, value })));
  const pkg = packageName;
  const schemaNames = ['Create', 'Read', 'Update'].map((suffix) => `${name.pascal}${suffix}`);
  const domainSchemas: [string, string[]] = [`${pkg}.schemas.${name.module}`, schemaNames];
  return {
    packageName,
    domain: name,
    // Where the domain's module sorts relative to schemas.pagination depends on its name.
    handlerImports: fromImports([
      [`${pkg}.core.db`, ['SessionDep']],
      [`${pkg}.core.errors`, ['error_responses']],
      [`${pkg}.routers.${name.module}.deps`, [`${name.pascal}Id`, `${name.pascal}PageQuery`]],
      domainSchemas,
      [`${pkg}.schemas.pagination`, ['Page']],
      // The domain's own modules under one fixed name: a domain called `items` or `rows` cannot
      // collide with the templates' local variables.
      [`${pkg}.services`, [`${name.module} as service`]],
    ]),
    serviceImports: fromImports([
      [`${pkg}.core.db`, ['transaction']],
      [`${pkg}.core.errors`, ['NotFoundError']],
      [`${pkg}.repositories`, [`${name.module} as repository`]],
      domainSchemas,
      [`${pkg}.schemas.pagination`, ['Page', 'PageParams']],
    ]),
    repositoryImports: fromImports([
      [`${pkg}.core.db`, ['Base', 'Timestamps', ...(usesUtcDateTime ? ['UTCDateTime'] : [])]],
      [`${pkg}.schemas.${name.module}`, [`${name.pascal}Create`, `${name.pascal}Update`]],
    ]),
    fields: fields.map((field) => ({ ...field, ...schemaDeclarations(field) })),
    firstField: fields[0],
    // For the tests: explicit null on each NOT NULL column, and each value a column cannot hold.
    requiredFields,
    hostileValues,
    // Either list empty (every field optional; only uuid fields) leaves its test, and its imports, out.
    testsParametrize: requiredFields.length > 0 || hostileValues.length > 0,
    repositoryStdImports: stdlibImports(fields),
    // The read schema always has created_at/updated_at.
    schemaStdImports: stdlibImports(fields, [['datetime', 'datetime']]),
    sqlalchemyImport: fromImport('sqlalchemy', [...columns, 'func', 'select']),
    schemaImports: [
      fromImport('pydantic', ['BaseModel', 'ConfigDict']),
      ...(bounded.length > 0 ? ['', fromImport(`${pkg}.schemas.columns`, bounded)] : []),
    ].join('\n'),
  };
}

/**
 * Plans the migration that creates (add-domain) or drops (remove-domain) a domain's table, at the
 * head of the chain; a drop's downgrade recreates the table. Returns its path.
 */
export function planMigration(plan: Plan, packageName: string, spec: DomainSpec, chain: MigrationChain, kind: 'create' | 'drop'): string {
  const revision = freeRevision(chain, `${kind}_${spec.name.module}`);
  const creates = kind === 'create';
  const data = {
    ...domainTemplateData(packageName, spec),
    migration: {
      revision,
      message: creates ? `Create the ${spec.name.module} table.` : `Drop the ${spec.name.module} table (remove-domain); downgrading recreates it.`,
      revises: chain.head ?? '(nothing: the first migration)',
      downRevision: chain.head === null ? 'None' : `"${chain.head}"`,
      createsIn: creates ? 'upgrade' : 'downgrade',
      dropsIn: creates ? 'downgrade' : 'upgrade',
    },
  };
  const [file] = renderTree('migration', data, { __package__: packageName, __revision__: revision }) as [RenderedFile];
  plan.generate(file);
  chain.head = revision;
  chain.taken.add(revision);
  return file.path;
}

/**
 * What exists where a rendered file would go: a file is returned (to refuse, or to replace under
 * --force); a folder, or a module the new one would shadow or be shadowed by, is refused outright.
 */
export function occupiedBy(plan: Plan, path: string): string[] {
  if (path.startsWith('src/')) {
    // `x.py` and the package `x/` are the same module to Python.
    const twin = path.endsWith('/__init__.py') ? `${path.slice(0, -'/__init__.py'.length)}.py` : path.endsWith('.py') ? path.slice(0, -3) : undefined;
    if (twin && plan.occupied(twin)) throw new CliError(`${path} would clash with the existing module ${twin}; pick another name`);
  }
  if (!plan.occupied(path)) return [];
  if (plan.original(path) === undefined) throw new CliError(`${path} exists and is not a file; pick another name`);
  return [path];
}

/**
 * Plans one domain across all four layers plus its tests and its create migration.
 * `create` calls this for each initial domain and `add-domain` for one: the same code path.
 * Returns the existing files it would replace (for the command to refuse, or to list under --force).
 */
export function planDomain(plan: Plan, manifest: Manifest, spec: DomainSpec, chain: MigrationChain): string[] {
  const { packageName } = manifest.options;
  const files = renderTree('domain', domainTemplateData(packageName, spec), {
    __package__: packageName,
    __domain__: spec.name.module,
  });
  const replaced = files.flatMap((file) => occupiedBy(plan, file.path));
  for (const file of files) plan.generate(file);
  const migration = planMigration(plan, packageName, spec, chain, 'create');
  manifest.domains[spec.name.module] = { fields: spec.fieldsSpec, files: [...files.map((file) => file.path), migration].sort(byCodePoint) };
  return replaced;
}
