import { CliError } from '../errors.js';
import type { Field } from './fields.js';
import { columnImports, stdlibImports } from './fields.js';
import { type Manifest } from './manifest.js';
import type { DomainName } from './names.js';
import { type Plan } from './plan.js';
import { addRouterRegistration, readRevision, type RouterRegistration } from './python-edit.js';
import { fromImport, fromImports } from './python-source.js';
import { renderTree } from './render.js';

export interface DomainSpec {
  name: DomainName;
  fields: Field[];
  /** The --fields text, recorded in the manifest. */
  fieldsSpec: string;
}

export const ROUTERS_FILE = (packageName: string) => `src/${packageName}/routers/__init__.py`;

export function routerRegistration(packageName: string, domain: DomainName): RouterRegistration {
  return {
    file: ROUTERS_FILE(packageName),
    module: `${packageName}.routers.${domain.module}`,
    alias: `${domain.module}_router`,
    registry: 'api_router',
  };
}

export const MIGRATIONS_DIR = 'migrations/versions';

/** The revision a new migration builds on: the one no other revision names as its parent. */
async function migrationHead(plan: Plan): Promise<string | null> {
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
  const declare = (type: string, defaultValue: string | undefined) => {
    if (constraint) {
      const args = defaultValue === undefined ? constraint : `default=${defaultValue}, ${constraint}`;
      return `${field.name}: ${type} = Field(${args})`;
    }
    return defaultValue === undefined ? `${field.name}: ${type}` : `${field.name}: ${type} = ${defaultValue}`;
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
      revision: `create_${name.module}`,
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
 * Plans one domain across all four layers plus its tests, and registers its router.
 * `create` calls this for each initial domain and `add-domain` for one: the same code path.
 */
export async function planDomain(plan: Plan, manifest: Manifest, spec: DomainSpec): Promise<void> {
  const { packageName } = manifest.options;
  const data = domainTemplateData(packageName, spec, await migrationHead(plan));
  const files = await renderTree('domain', data, {
    __package__: packageName,
    __domain__: spec.name.module,
  });
  for (const file of files) await plan.write(file.path, file.content);

  const routersFile = ROUTERS_FILE(packageName);
  const routers = await plan.read(routersFile);
  if (routers === undefined) throw new Error(`${routersFile} is missing; it registers every router`);
  await plan.write(routersFile, await addRouterRegistration(routers, routerRegistration(packageName, spec.name)));

  manifest.domains[spec.name.module] = { fields: spec.fieldsSpec, files: files.map((file) => file.path).sort() };
}
