import { CliError } from '../errors.js';
import type { Field } from './fields.js';
import { columnImports, stdlibImports } from './fields.js';
import { type Manifest } from './manifest.js';
import type { DomainName } from './names.js';
import { type Plan } from './plan.js';
import { addRouterRegistration, readRevision, removeRouterRegistration, type RouterRegistration } from './python-edit.js';
import { byCodePoint } from './order.js';
import { call, fromImport, fromImports, LINE_LENGTH, routerImport, routerInclude } from './python-source.js';
import { renderTree } from './render.js';

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
  const routers = await plan.read(registration.file);
  if (routers === undefined) throw new Error(`${registration.file} is missing; it registers every router`);
  await plan.write(registration.file, await addRouterRegistration(routers, registration));
}

/** remove-domain takes the registration out the same way; without the registry there is nothing to take out. */
export async function unregisterRouter(plan: Plan, packageName: string, domain: DomainName): Promise<void> {
  const registration = routerRegistration(packageName, domain.module);
  const routers = await plan.read(registration.file);
  if (routers !== undefined) await plan.write(registration.file, await removeRouterRegistration(routers, registration));
}

export const MIGRATIONS_DIR = 'migrations/versions';

const migrationRevision = (domain: DomainName) => `create_${domain.module}`;

/** The revision a new migration builds on: the one no other revision names as its parent. */
export async function migrationHead(plan: Plan): Promise<string | null> {
  const revisions = await Promise.all(
    (await plan.filesIn(MIGRATIONS_DIR))
      .filter((path) => path.endsWith('.py'))
      .map(async (path) => readRevision((await plan.read(path)) as string, path)),
  );
  const parents = new Set(revisions.flatMap((revision) => revision.downRevisions));
  const heads = revisions.map((revision) => revision.revision).filter((revision) => !parents.has(revision));
  if (heads.length > 1) {
    throw new CliError(`Migrations have several heads (${heads.join(', ')}); merge them with "alembic merge heads" first`);
  }
  return heads[0] ?? null;
}

function schemaDeclarations(field: Field) {
  // Inputs refuse naive datetimes; outputs are always aware (core.db.UTCDateTime).
  const inputType = field.type === 'datetime' ? field.pythonType.replace('datetime', 'AwareDatetime') : field.pythonType;
  const constraint =
    field.type === 'str' ? 'max_length=255' : field.type === 'decimal' ? 'max_digits=12, decimal_places=2' : undefined;
  // Class-body lines, formatted as ruff format would leave them.
  const declare = (type: string, defaultValue: string | undefined) => {
    const indent = '    ';
    const target = `${field.name}: ${type}`;
    const declaration = constraint
      ? call(indent, `${target} = Field`, defaultValue === undefined ? [constraint] : [`default=${defaultValue}`, constraint])
      : `${indent}${defaultValue === undefined ? target : `${target} = ${defaultValue}`}`;
    if (declaration.split('\n').some((line) => line.length > LINE_LENGTH)) {
      throw new CliError(`Invalid --fields: the default of "${field.name}" does not fit a ${LINE_LENGTH}-column line`);
    }
    return declaration;
  };
  const optionalType = field.optional ? inputType : `${inputType} | None`;
  return {
    createDeclaration: declare(inputType, field.pythonDefault),
    updateDeclaration: declare(optionalType, 'None'),
  };
}

/** Everything the domain templates print, computed once here so the templates stay plain Python. */
export function domainTemplateData(packageName: string, spec: DomainSpec, head: string | null) {
  const { name, fields } = spec;
  const columns = columnImports(fields);
  const usesUtcDateTime = fields.some((field) => field.type === 'datetime');
  const needsField = fields.some((field) => field.type === 'str' || field.type === 'decimal');
  const pydanticNames = [
    ...(fields.some((field) => field.type === 'datetime') ? ['AwareDatetime'] : []),
    'BaseModel',
    'ConfigDict',
    ...(needsField ? ['Field'] : []),
  ];
  const pkg = packageName;
  const schemaNames = ['Create', 'Read', 'Update'].map((suffix) => `${name.pascal}${suffix}`);
  const domainSchemas: [string, string[]] = [`${pkg}.schemas.${name.module}`, schemaNames];
  return {
    packageName,
    domain: name,
    migration: {
      revision: migrationRevision(name),
      revises: head ?? '(nothing: the first migration)',
      downRevision: head === null ? 'None' : `"${head}"`,
    },
    // Where the domain's module sorts relative to schemas.pagination depends on its name.
    handlerImports: fromImports([
      [`${pkg}.core.db`, ['SessionDep']],
      [`${pkg}.routers.${name.module}.deps`, [`${name.pascal}Id`, `${name.pascal}PageQuery`]],
      domainSchemas,
      [`${pkg}.schemas.pagination`, ['Page']],
      [`${pkg}.services`, [name.module]],
    ]),
    serviceImports: fromImports([
      [`${pkg}.core.errors`, ['NotFoundError']],
      [`${pkg}.repositories`, [name.module]],
      domainSchemas,
      [`${pkg}.schemas.pagination`, ['Page', 'PageParams']],
    ]),
    repositoryImports: fromImports([
      [`${pkg}.core.db`, ['Base', 'Timestamps', ...(usesUtcDateTime ? ['UTCDateTime'] : [])]],
      [`${pkg}.schemas.${name.module}`, [`${name.pascal}Create`, `${name.pascal}Update`]],
    ]),
    fields: fields.map((field) => ({ ...field, ...schemaDeclarations(field) })),
    firstField: fields[0],
    repositoryStdImports: stdlibImports(fields),
    // The read schema always has created_at/updated_at.
    schemaStdImports: stdlibImports(fields, [['datetime', 'datetime']]),
    sqlalchemyImport: fromImport('sqlalchemy', [...columns, 'func', 'select']),
    pydanticImport: fromImport('pydantic', pydanticNames),
  };
}

/**
 * Plans one domain across all four layers plus its tests, its migration building on `head`.
 * `create` calls this for each initial domain and `add-domain` for one: the same code path.
 * Returns the new migration's revision, the next domain's head.
 */
export async function planDomain(plan: Plan, manifest: Manifest, spec: DomainSpec, head: string | null): Promise<string> {
  const { packageName } = manifest.options;
  const data = domainTemplateData(packageName, spec, head);
  const files = renderTree('domain', data, {
    __package__: packageName,
    __domain__: spec.name.module,
  });
  for (const file of files) await plan.write(file.path, file.content);
  manifest.domains[spec.name.module] = { fields: spec.fieldsSpec, files: files.map((file) => file.path).sort() };
  return data.migration.revision;
}
