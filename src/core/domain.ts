import { dirname } from 'node:path';
import { CliError, UsageError } from '../errors.js';
import type { Field } from './fields.js';
import { columnImports, columnSchemaImports, domainFields, hasPlainIndex, stdlibImports } from './fields.js';
import { type Extra, isUnchanged, type Manifest, MANIFEST_FILE } from './manifest.js';
import { type DomainName, type DomainRole, domainFile, domainModule, domainName, type Layout } from './names.js';
import { byCodePoint } from './order.js';
import type { Plan } from './plan.js';
import {
  addRouterRegistration,
  importedModules,
  readRevision,
  removeRouterRegistration,
  revisionHead,
  type Revision,
  type RouterRegistration,
} from './python-edit.js';
import { call, columns, fromImport, fromImports, importAs, LINE_LENGTH, naturalOrder, pythonString, routerImport, routerInclude } from './python-source.js';
import { type RenderedFile, renderTree } from './render.js';

/** Where a project's code lives: its package and its layout, as the manifest records them. */
export interface ProjectPlace {
  packageName: string;
  layout: Layout;
}

export interface DomainSpec {
  name: DomainName;
  fields: Field[];
  /** The --fields text, recorded in the manifest. */
  fieldsSpec: string;
}

/** The one file that registers every router. */
export const routerRegistry = (packageName: string) => `src/${packageName}/routers/__init__.py`;

/**
 * How `routers/__init__.py` registers the router of the package `module` (a domain's, health's or
 * a flow's) under the name `<name>_router`.
 */
export function routerRegistration(packageName: string, module: string, name: string): RouterRegistration {
  return { file: routerRegistry(packageName), module, alias: `${name}_router`, registry: 'api_router' };
}

/** The registration of a domain's router, from the package its layout gives it. */
export const domainRouterRegistration = (place: ProjectPlace, domain: string) =>
  routerRegistration(place.packageName, domainModule(place.layout, place.packageName, domain, '__init__'), domain);

/** The registration of a router that is no domain's (health, a flow's): routers/<name>/ in every layout. */
export const sharedRouterRegistration = (packageName: string, name: string) =>
  routerRegistration(packageName, `${packageName}.routers.${name}`, name);

/**
 * A new project's registrations, printed by its template: imports sorted as ruff's isort wants them
 * (each router comes from a package of its own, so by module), includes in the order given.
 * add-domain's syntax-tree edit produces the same lines.
 */
export function routerRegistrationLines(registrations: RouterRegistration[]) {
  // plainImportOrder, each module lower-cased once rather than at each of a grown registry's
  // thousands of comparisons.
  const keyed = registrations.map((registration) => ({ registration, lower: registration.module.toLowerCase() }));
  keyed.sort((a, b) => naturalOrder(a.lower, b.lower) || naturalOrder(a.registration.module, b.registration.module));
  return {
    imports: keyed.flatMap(({ registration }) => routerImport(registration).split('\n')),
    includes: registrations.map(routerInclude),
  };
}

/** The router registry as its template prints it for `registrations`, included in their order. */
export function printedRegistry(packageName: string, registrations: RouterRegistration[]): RenderedFile {
  const [file] = renderTree('registry', { routers: routerRegistrationLines(registrations) }, { __package__: packageName }) as [RenderedFile];
  return file;
}

/**
 * The routers the registry includes, in order, when it is exactly what its template prints for them
 * and what the manifest recorded (create, or a command through this module, wrote it last);
 * undefined when it is anything else (changed by hand, say). It may hold the project's routers
 * and `changing`, the one being added or removed.
 */
function printedRegistrations(plan: Plan, manifest: Manifest, changing: RouterRegistration): RouterRegistration[] | undefined {
  const file = changing.file;
  const source = plan.read(file);
  if (source === undefined || !plan.untouched(file) || !isUnchanged(plan.original(file), manifest.files[file])) return undefined;
  const known = [...projectRouters(manifest.options, liveDomains(manifest), Object.keys(manifest.flows)), changing];
  const byAlias = new Map(known.map((registration) => [registration.alias, registration]));
  const included: RouterRegistration[] = [];
  for (const [, alias] of source.matchAll(/^api_router\.include_router\((\w+)\)$/gm)) {
    const registration = byAlias.get(alias as string);
    if (registration === undefined) return undefined;
    included.push(registration);
  }
  return printedRegistry(manifest.options.packageName, included).content === source ? included : undefined;
}

/**
 * The routers a project registers, in create's order: health's, the workers' endpoint's (the
 * workers extra), then each domain's and each flow's.
 */
export function projectRouters(place: ProjectPlace & { extras: readonly Extra[] }, domains: string[], flows: string[] = []): RouterRegistration[] {
  return [
    sharedRouterRegistration(place.packageName, 'health'),
    ...(place.extras.includes('workers') ? [sharedRouterRegistration(place.packageName, 'imports')] : []),
    ...domains.map((domain) => domainRouterRegistration(place, domain)),
    ...flows.map((flow) => sharedRouterRegistration(place.packageName, flow)),
  ];
}

/**
 * Registers a router (a domain's, a flow's). A registry still as printed is printed again with the
 * new router included last, which is what editing it gives (a test holds the two to each other)
 * without parsing it: a grown project's registry is the largest file a command edits. It is a
 * rendering the build parses in every shape, so the plan's syntax check skips it too. Any
 * other registry is edited through its syntax tree, so hand edits survive.
 */
export async function registerRouter(plan: Plan, manifest: Manifest, registration: RouterRegistration): Promise<void> {
  const routers = plan.read(registration.file);
  if (routers === undefined) throw new CliError(`${registration.file} is missing; it registers every router`);
  const printed = printedRegistrations(plan, manifest, registration);
  if (printed === undefined) plan.write(registration.file, await addRouterRegistration(routers, registration));
  else if (!printed.some((included) => included.alias === registration.alias)) {
    plan.generate(printedRegistry(manifest.options.packageName, [...printed, registration]));
  }
}

/** Takes a router's registration out the same way; without the registry there is nothing to take out. */
export async function unregisterRouter(plan: Plan, manifest: Manifest, registration: RouterRegistration): Promise<void> {
  const routers = plan.read(registration.file);
  if (routers === undefined) return;
  const printed = printedRegistrations(plan, manifest, registration);
  if (printed === undefined) plan.write(registration.file, await removeRouterRegistration(routers, registration));
  else {
    const left = printed.filter((included) => included.alias !== registration.alias);
    if (left.length < printed.length) plan.generate(printedRegistry(manifest.options.packageName, left));
  }
}

export const MIGRATIONS_DIR = 'migrations/versions';

/** Alembic's alembic_version.version_num is VARCHAR(32); PostgreSQL enforces it. */
const MAX_REVISION_LENGTH = 32;

export interface MigrationFile extends Revision {
  path: string;
}

/**
 * A migration's head (readRevision's: all above its first function) exactly as the migration
 * templates print it, LF line endings, ids that are words; comments and blank lines may follow.
 * Its lines leave no string or bracket open, so the two assignments they show are the ones the
 * syntax tree would find there.
 */
const PRINTED_HEAD = new RegExp(
  `^${[
    String.raw`"""[^"\\\n]*`,
    '',
    String.raw`Revision ID: \w+`,
    String.raw`Revises: [^"\\\n]*`,
    '"""',
    '',
    'import sqlalchemy as sa',
    'from alembic import op',
    '',
    String.raw`revision: str = "(\w+)"`,
    String.raw`down_revision: str \| None = (?:None|"(\w+)")`,
    String.raw`branch_labels: str \| None = None`,
    String.raw`depends_on: str \| None = None`,
  ].join('\n')}\n(?:\n|#.*\n)*$`,
);

/** A migration's ids read from its head as printed (PRINTED_HEAD); undefined for any other head. */
function printedRevision(source: string): Revision | undefined {
  const printed = PRINTED_HEAD.exec(revisionHead(source) ?? '');
  return printed ? { revision: printed[1] as string, downRevisions: printed[2] ? [printed[2]] : [] } : undefined;
}

/**
 * The migrations as they will be after the plan. Alembic skips `__init__*` files; so does this.
 * A project may hold hundreds: those whose head is as the templates print it (a generated one,
 * its functions edited or not) are read by that shape, every other one through its syntax tree.
 */
export async function readMigrations(plan: Plan): Promise<MigrationFile[]> {
  const paths = plan
    .filesIn(MIGRATIONS_DIR)
    .filter((path) => path.endsWith('.py') && !path.slice(MIGRATIONS_DIR.length + 1).startsWith('__init__'));
  return Promise.all(
    paths.map(async (path) => {
      const source = plan.read(path) as string;
      return { path, ...(printedRevision(source) ?? (await readRevision(source, path))) };
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
export async function migrationChain(plan: Plan): Promise<MigrationChain> {
  const migrations = await readMigrations(plan);
  const head = migrationHead(migrations);
  // A new migration prints its parent's id inside a string and its docstring, as Alembic does. An
  // id with a character that would end or escape them is refused, so no id changes the syntax of
  // the migration (the build's check of its forms relies on that); so is one longer than
  // alembic_version holds, whose lines would outgrow ruff's limit too.
  const parent = migrations.find((migration) => migration.revision === head);
  if (parent && /["\\\r\n\0]/.test(parent.revision)) {
    throw new CliError(`${parent.path}: its revision id ${JSON.stringify(head)} holds a quote, a backslash or a line break, which a migration built on it cannot print; give it another id`);
  }
  const characters = [...(parent?.revision ?? '')].length;
  if (parent && characters > MAX_REVISION_LENGTH) {
    throw new CliError(`${parent.path}: its revision id has ${characters} characters, more than the ${MAX_REVISION_LENGTH} Alembic's alembic_version column holds; give it a shorter id`);
  }
  const files = plan.filesIn(MIGRATIONS_DIR).map((path) => path.slice(MIGRATIONS_DIR.length + 1).replace(/\.py$/, ''));
  return { head, taken: new Set([...migrations.map((migration) => migration.revision), ...files]) };
}

/**
 * `<base>`, or `<base>_2`, `<base>_3`... when a revision or a file of that name is taken (a domain
 * removed and added again; a hand-written migration), shortened to fit the column.
 */
export function freeRevision(chain: MigrationChain, base: string): string {
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
    const target = `    ${field.column}: ${type}`;
    if (defaultValue === undefined) return target;
    const flat = `${target} = ${defaultValue}`;
    if (columns(flat) <= LINE_LENGTH) return flat;
    if (columns(`        ${defaultValue}`) > LINE_LENGTH) {
      const { defaultValue: typed } = field;
      const escaped = typed !== undefined && /^["']/.test(defaultValue) && defaultValue !== pythonString(typed) ? ", with escapes for what ruff's RUF001 reports" : '';
      throw new UsageError(
        `Invalid fields: the default of "${field.name}" does not fit a ${LINE_LENGTH}-column line (${columns(defaultValue)} columns as Python source${escaped})`,
      );
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

/** The ORM attribute: `    sku: Mapped[str] = mapped_column(String(255), unique=True)`, wrapped as ruff would. */
function columnDeclaration(field: Field): string {
  const options = [field.columnType, ...(field.unique ? ['unique=True'] : []), ...(hasPlainIndex(field) ? ['index=True'] : [])];
  return call('    ', `${field.column}: Mapped[${field.pythonType}] = mapped_column`, options);
}

/**
 * A distinct value per row for a unique field in the tests, from `row` (which counts the rows
 * made) or not. Its expression is given as a chain of calls: where its line does not fit, ruff
 * format puts each call after the first on a line of its own.
 */
const UNIQUE_VALUES: Partial<Record<Field['type'], { chain: string[]; fromRow: boolean; imports: Array<[string, string]> }>> = {
  str: { chain: ['f"first-{row}"'], fromRow: true, imports: [] },
  text: { chain: ['f"first-{row}"'], fromRow: true, imports: [] },
  int: { chain: ['row'], fromRow: true, imports: [] },
  float: { chain: ['row + 0.5'], fromRow: true, imports: [] },
  decimal: { chain: ['f"{row}.50"'], fromRow: true, imports: [] },
  date: { chain: ['date.fromordinal(738_000 + row)', '.isoformat()'], fromRow: true, imports: [['datetime', 'date']] },
  datetime: {
    chain: ['datetime.fromtimestamp(1_700_000_000 + row, UTC)', '.isoformat()', '.replace("+00:00", "Z")'],
    fromRow: true,
    imports: [['datetime', 'UTC'], ['datetime', 'datetime']],
  },
  uuid: { chain: ['str(uuid4())'], fromRow: false, imports: [['uuid', 'uuid4']] },
};

/** A unique field's entry in the tests' valid_payload: `"sku": f"first-{row}",`, split as ruff format would. */
function uniqueEntry(column: string, chain: string[]): string {
  const flat = `        "${column}": ${chain.join('')},`;
  return flat.length <= LINE_LENGTH ? flat : `        "${column}": ${chain.join('\n        ')},`;
}

/** What a domain refers to, for the templates: its repository, its test helper, its delete rule. */
function referenceData(field: Field & { reference: NonNullable<Field['reference']> }, self: DomainName, place: ProjectPlace) {
  const target = domainName(field.reference.domain);
  const { onDelete } = field.reference;
  return {
    name: field.name,
    column: field.column,
    own: target.module === self.module,
    // The domain's own repository is already imported, as `repository`.
    repository: target.module === self.module ? 'repository' : `${target.module}_repository`,
    repositoryImport: importAs(domainModule(place.layout, place.packageName, target.module, 'repository'), `${target.module}_repository`),
    singular: target.singular,
    singularWords: target.singularWords,
    testModule: `test_${target.module}_api`,
    // The tests' requests that name it, split as ruff format would for long names.
    linkFirstRow: call('    ', 'linked = client.patch', [`f"/${target.kebab}/{rows[-1]['id']}"`, `json={"${field.column}": rows[0]["id"]}`]),
    deleteNamed: call('    ', 'response = client.delete', [`f"/${target.kebab}/{created['${field.column}']}"`]),
    // For the test of what deleting it does to the row that names it.
    owner: self.singular,
    ownerKebab: self.kebab,
    restrict: onDelete === 'RESTRICT',
    cascade: onDelete === 'CASCADE',
    setNull: onDelete === 'SET NULL',
  };
}

/** Everything the domain templates print, computed once here so the templates stay plain Python. */
export function domainTemplateData(place: ProjectPlace, spec: Pick<DomainSpec, 'name' | 'fields'>) {
  const { name, fields } = spec;
  const { packageName } = place;
  const pkg = packageName;
  const own = (role: DomainRole) => domainModule(place.layout, packageName, name.module, role);
  const columns = columnImports(fields);
  const usesUtcDateTime = fields.some((field) => field.type === 'datetime');
  const bounded = columnSchemaImports(fields);
  const references = fields.flatMap((field) => (field.reference ? [referenceData({ ...field, reference: field.reference }, name, place)] : []));
  // Another domain's rows are created first in the tests; a row of its own domain is optional.
  const foreignReferences = references.filter((reference) => !reference.own);
  const values = fields.filter((field) => !field.reference);
  const unique = fields.filter((field) => field.unique);
  const filters = fields.filter((field) => field.indexed);
  const requiredFields = fields.filter((field) => !field.optional);
  const hostileValues = fields.flatMap((field) => field.hostile.map((value) => ({ name: field.column, value })));
  const uniqueValues = unique.flatMap((field) => {
    const value = UNIQUE_VALUES[field.type];
    return field.reference || !value ? [] : [{ entry: uniqueEntry(field.column, value.chain), fromRow: value.fromRow, imports: value.imports }];
  });
  // Its own query model even without filters, so that adding one changes no caller's signature.
  const schemaNames = ['Create', 'ListQuery', 'Read', 'Update'].map((suffix) => `${name.pascal}${suffix}`);
  const domainSchemas: [string, string[]] = [own('schemas'), schemaNames];
  const checksInput = references.length > 0 || unique.length > 0;
  const errors = [...(checksInput ? ['ConflictError'] : []), 'NotFoundError'];
  return {
    packageName,
    domain: name,
    routerImport: fromImport(own('handlers'), ['router']),
    // Where the domain's module sorts relative to schemas.pagination depends on its name.
    handlerImports: fromImports([
      [`${pkg}.core.db`, ['SessionDep']],
      [`${pkg}.core.errors`, ['error_responses']],
      [own('deps'), [`${name.pascal}Id`, `${name.pascal}PageQuery`]],
      [own('schemas'), ['Create', 'Read', 'Update'].map((suffix) => `${name.pascal}${suffix}`)],
      [`${pkg}.schemas.pagination`, ['Page']],
      // The domain's own modules under one fixed name: a domain called `items` or `rows` cannot
      // collide with the templates' local variables.
      importAs(own('service'), 'service'),
    ]),
    depsImports: fromImports([
      [`${pkg}.schemas.columns`, ['INT32_MAX']],
      [own('schemas'), [`${name.pascal}ListQuery`]],
    ]),
    serviceImports: fromImports([
      [`${pkg}.core.db`, ['transaction']],
      [`${pkg}.core.errors`, errors],
      importAs(own('repository'), 'repository'),
      ...foreignReferences.map((reference) => reference.repositoryImport),
      domainSchemas,
      [`${pkg}.schemas.pagination`, ['Page']],
    ]),
    repositoryImports: fromImports([
      [`${pkg}.core.db`, ['Base', 'Timestamps', ...(usesUtcDateTime ? ['UTCDateTime'] : [])]],
      [own('schemas'), ['Create', 'ListQuery', 'Update'].map((suffix) => `${name.pascal}${suffix}`)],
    ]),
    fields: fields.map((field) => ({ ...field, ...schemaDeclarations(field), columnDeclaration: columnDeclaration(field) })),
    // The tests' payloads: the fields that hold values, not references to rows.
    values: values.filter((field) => !field.unique),
    changes: values,
    firstValue: values[0],
    references: references.map((reference) => ({ ...reference, idParameter: `${name.singular}_id` })),
    foreignReferences,
    ownReferences: references.filter((reference) => reference.own),
    testReferenceImports: [...new Set(foreignReferences.map((reference) => reference.testModule))]
      .sort(byCodePoint)
      .map((module) => {
        const helpers = foreignReferences.filter((reference) => reference.testModule === module).map((reference) => `create_${reference.singular}`);
        return fromImport(module, [...new Set(helpers)]);
      }),
    unique: unique.map((field) => ({ column: field.column, model: name.pascal, idParameter: `${name.singular}_id`, valueType: field.pythonType.replace(' | None', '') })),
    uniqueValues,
    filters: filters.map((field) => ({
      column: field.column,
      filterType: field.filterType,
      valueType: field.pythonType.replace(' | None', ''),
      filterBy: call('        ', 'query = query.filter_by', [`${field.column}=params.${field.column}`]),
    })),
    checksInput,
    checksUnique: unique.length > 0,
    // For the tests: explicit null on each NOT NULL column, and each value a column cannot hold.
    requiredFields: requiredFields.map((field) => ({ name: field.column })),
    hostileValues,
    testStdImports: stdlibImports([], [['typing', 'Any'], ...uniqueValues.flatMap((value) => value.imports)]),
    countsRows: uniqueValues.some((value) => value.fromRow),
    // The 409 tests' requests, split as ruff format would for a long domain name.
    postTaken: call('    ', 'posted = client.post', [`"/${name.kebab}"`, 'json={**valid_payload(client), field: first[field]}']),
    postNothing: call('    ', 'posted = client.post', [`"/${name.kebab}"`, 'json={**valid_payload(client), field: nothing}']),
    testsParametrize: [requiredFields, hostileValues, unique, references, filters].some((list) => list.length > 0),
    repositoryStdImports: stdlibImports(fields),
    // The read schema always has created_at/updated_at.
    schemaStdImports: stdlibImports(fields, [['datetime', 'datetime']]),
    sqlalchemyImport: fromImport('sqlalchemy', [...columns, 'func', 'select']),
    schemaImports: [
      fromImport('pydantic', ['BaseModel', 'ConfigDict']),
      '',
      fromImports([...(bounded.length > 0 ? [[`${pkg}.schemas.columns`, bounded] as [string, string[]]] : []), [`${pkg}.schemas.pagination`, ['PageParams']]]),
    ].join('\n'),
  };
}

/**
 * A domain's files as `place` lays them out: the templates of its roles (templates/domain/roles,
 * named as domain-first names them) where names.ts puts each, and its API test under tests/.
 */
export function renderDomain(place: ProjectPlace, spec: Pick<DomainSpec, 'name' | 'fields'>): RenderedFile[] {
  const tokens = { __package__: place.packageName, __domain__: spec.name.module };
  return renderTree('domain', domainTemplateData(place, spec), tokens).map((file) => {
    const role = /^roles\/(\w+)\.py$/.exec(file.path)?.[1] as DomainRole | undefined;
    return role === undefined ? file : { ...file, path: domainFile(place.layout, place.packageName, spec.name.module, role) };
  });
}

/**
 * Plans the migration that creates (add-domain) or drops (remove-domain) a domain's table, at the
 * head of the chain; a drop's downgrade recreates the table. Returns its path.
 */
export function planMigration(plan: Plan, place: ProjectPlace, spec: DomainSpec, chain: MigrationChain, kind: 'create' | 'drop'): string {
  const revision = freeRevision(chain, `${kind}_${spec.name.module}`);
  const creates = kind === 'create';
  const table = spec.name.module;
  const data = {
    ...domainTemplateData(place, spec),
    foreignKeys: spec.fields.flatMap((field) =>
      field.reference ? [{ table, column: field.column, target: field.reference.domain, onDelete: field.reference.onDelete }] : [],
    ),
    uniqueConstraints: spec.fields
      .filter((field) => field.unique)
      .map((field) => call('        ', 'sa.UniqueConstraint', [`"${field.column}"`, `name=op.f("uq_${table}_${field.column}")`], ',')),
    indexedColumns: spec.fields.filter(hasPlainIndex).map((field) => ({ table, column: field.column })),
    migration: {
      revision,
      message: creates ? `Create the ${spec.name.module} table.` : `Drop the ${spec.name.module} table (remove-domain); downgrading recreates it.`,
      revises: chain.head ?? '(nothing: the first migration)',
      downRevision: chain.head === null ? 'None' : `"${chain.head}"`,
      createsIn: creates ? 'upgrade' : 'downgrade',
      dropsIn: creates ? 'downgrade' : 'upgrade',
    },
  };
  const [file] = renderTree('migration', data, { __package__: place.packageName, __revision__: revision }) as [RenderedFile];
  plan.generate(file);
  chain.head = revision;
  chain.taken.add(revision);
  return file.path;
}

/** How a domain was asked for: what for, and the name as the user typed it (`nope` for the module `nopes`). */
export interface DomainRequest {
  purpose?: string;
  asked?: string;
}

/** The manifest's record of a domain; refused, listing the project's domains, when there is none. */
export function recordedDomain(manifest: Manifest, module: string, { purpose = 'in this project', asked = module }: DomainRequest = {}): Manifest['domains'][string] {
  const recorded = manifest.domains[module];
  if (!recorded) {
    const derived = asked === module ? '' : `as a module: ${module}; `;
    throw new CliError(`No domain "${asked}" ${purpose} (${derived}domains: ${liveDomains(manifest).join(', ') || 'none'})`);
  }
  return recorded;
}

/** The domains the project has: those remove-domain took away, keeping edited files, are not. */
export function liveDomains(manifest: Manifest): string[] {
  return Object.keys(manifest.domains).filter((domain) => manifest.domains[domain]?.removed !== true);
}

/** A domain the project has, to change or to use: one removed (its edited files kept) is refused. */
export function liveDomain(manifest: Manifest, module: string, request?: DomainRequest): Manifest['domains'][string] {
  const recorded = recordedDomain(manifest, module, request);
  if (recorded.removed) {
    throw new CliError(
      `The domain ${module} was removed; remove-domain kept the files you had changed (${recorded.files.join(', ')}): remove-domain ${module} --force deletes them`,
    );
  }
  return recorded;
}

/** A recorded domain's fields (its spec was checked when it was added). */
export function recordedFields(manifest: Manifest, module: string): Field[] {
  const { fields } = recordedDomain(manifest, module);
  try {
    return domainFields(fields, module, (name) => domainName(name).module);
  } catch (error) {
    // Not the command line's fault: the project's record, changed by hand, is what to fix.
    if (!(error instanceof UsageError)) throw error;
    throw new CliError(`${MANIFEST_FILE}: the fields recorded for ${module} ("${fields}") do not read: ${error.message.replace(/^Invalid fields: /, '')}; put back what a command wrote there`);
  }
}

/**
 * The Python files beside the domains' models (of the manifest's domains and `more`), where the
 * layout keeps them: repositories/ in layer-first, each domains/<name>/ in domain-first.
 */
export function filesBesideModels(plan: Plan, manifest: Manifest, more: string[] = []): string[] {
  const { layout, packageName } = manifest.options;
  const folders = new Set([...Object.keys(manifest.domains), ...more].map((domain) => dirname(domainFile(layout, packageName, domain, 'repository'))));
  return [...folders].flatMap((folder) => plan.filesIn(folder)).filter((file) => file.endsWith('.py'));
}

/** The fields of other domains that refer to `module`. */
export function referrers(manifest: Manifest, module: string): Array<{ domain: string; field: string }> {
  return liveDomains(manifest)
    .filter((domain) => domain !== module)
    .flatMap((domain) =>
      recordedFields(manifest, domain)
        .filter((field) => field.reference?.domain === module)
        .map((field) => ({ domain, field: field.name })),
    );
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
 * The test modules a rendered test file imports, read as the templates print each import, on a
 * line of its own: `from test_users_api import create_user`. The build holds this reading to the
 * syntax tree's for every rendering it parses (scripts/check-renderings.mjs).
 */
const printedTestImports = (text: string): string[] => [...text.matchAll(/^from (test_\w+) import /gm)].map((match) => match[1] as string);

/**
 * A domain's tests make the rows they refer to through the other domain's test helper (`from
 * test_users_api import create_user`). A test file the plan newly makes import a test module that
 * is gone (the user deleted it) would fail the suite: refused, naming both.
 */
export async function refuseMissingTestHelpers(plan: Plan): Promise<void> {
  for (const change of plan.fileChanges()) {
    if (change.kind === 'delete' || !/^tests\/[^/]+\.py$/.test(change.path)) continue;
    const testModules = async (text: string) =>
      (await importedModules(text, change.path)).map(({ module }) => module).filter((module) => /^test_\w+$/.test(module));
    const had = new Set(change.kind === 'edit' ? await testModules(change.before.toString('utf8')) : []);
    const imports = plan.parsedByBuild(change.path) ? printedTestImports(change.text) : await testModules(change.text);
    for (const module of imports) {
      if (!had.has(module) && plan.read(`tests/${module}.py`) === undefined) {
        throw new CliError(`${change.path} would import ${module}'s helpers, but tests/${module}.py is gone: restore it (it makes the rows the tests refer to), then run again`);
      }
    }
  }
}

/**
 * Plans one domain across all four layers plus its tests and its create migration.
 * `create` calls this for each initial domain and `add-domain` for one: the same code path.
 * Returns the existing files it would replace (for the command to refuse, or to list under --force).
 */
export function planDomain(plan: Plan, manifest: Manifest, spec: DomainSpec, chain: MigrationChain): string[] {
  const files = renderDomain(manifest.options, spec);
  const replaced = files.flatMap((file) => occupiedBy(plan, file.path));
  for (const file of files) plan.generate(file);
  const migration = planMigration(plan, manifest.options, spec, chain, 'create');
  manifest.domains[spec.name.module] = { fields: spec.fieldsSpec, files: [...files.map((file) => file.path), migration].sort(byCodePoint) };
  return replaced;
}
