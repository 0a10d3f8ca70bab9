import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import {
  MIGRATIONS_DIR,
  migrationChain,
  planMigration,
  readMigrations,
  unregisterRouter,
} from '../../core/domain.js';
import { parseFields } from '../../core/fields.js';
import { isUnchanged, type Manifest } from '../../core/manifest.js';
import { domainName, type DomainName } from '../../core/names.js';
import type { Plan } from '../../core/plan.js';
import { importedModules, moduleOfFile, readRevision, relinkRevision } from '../../core/python-edit.js';
import { changeLines } from '../../core/report.js';
import { editProject } from '../../core/transaction.js';

export interface RemoveDomainOptions {
  name: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  purge?: boolean;
}

/** Python files of the project's own code, as they will be after the plan. */
function pythonFilesUnder(plan: Plan, dir: string): string[] {
  return [
    ...plan.filesIn(dir).filter((path) => path.endsWith('.py')),
    ...plan.foldersIn(dir).flatMap((folder) => (folder.endsWith('/__pycache__') ? [] : pythonFilesUnder(plan, folder))),
  ];
}

/**
 * An import of a module the plan deletes, left anywhere in the project (a service of another
 * domain, a hand-written router, a kept edited file of the domain itself), would break the app:
 * refused, naming file and line.
 */
async function refuseDanglingImports(plan: Plan, packageName: string, name: DomainName): Promise<void> {
  const deleted = plan
    .fileChanges()
    .flatMap((change) => (change.kind === 'delete' ? [moduleOfFile(change.path)] : []))
    .filter((module) => module !== undefined);
  const uses: string[] = [];
  for (const file of [...pythonFilesUnder(plan, `src/${packageName}`), ...pythonFilesUnder(plan, 'tests')]) {
    for (const { module, line } of await importedModules(plan.read(file) as string, file)) {
      const gone = deleted.find((removed) => module === removed || module.startsWith(`${removed}.`));
      if (gone) uses.push(`${file}:${line} imports ${gone}`);
    }
  }
  if (uses.length > 0) {
    throw new CliError(
      `Cannot remove ${name.module} while other code uses it: ${[...new Set(uses)].join('; ')}. Remove those uses first (--force also removes the domain's own edited files)`,
    );
  }
}

/**
 * --purge: the domain's create migration is deleted (it never ran anywhere), and a later
 * migration that built on it is pointed at its parents, element by element.
 */
async function purgeMigration(plan: Plan, manifest: Manifest, path: string): Promise<void> {
  const removed = await readRevision(plan.read(path) as string, path);
  plan.delete(path);
  for (const migration of await readMigrations(plan, manifest)) {
    if (migration.downRevisions.includes(removed.revision)) {
      plan.write(migration.path, await relinkRevision(plan.read(migration.path) as string, migration.path, removed));
    }
  }
}

function domainSpec(manifest: Manifest, name: DomainName) {
  const fieldsSpec = (manifest.domains[name.module] as Manifest['domains'][string]).fields;
  return { name, fields: parseFields(fieldsSpec), fieldsSpec };
}

export async function runRemoveDomain(options: RemoveDomainOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const name = domainName(options.name);
  const run = {
    command: 'remove-domain',
    dryRun: options.dryRun,
    json: options.json,
    options: { name: name.module, force: options.force ?? false, purge: options.purge ?? false },
  };
  await editProject(ctx, run, async (plan, manifest) => {
    const domain = manifest.domains[name.module];
    if (!domain) {
      const known = Object.keys(manifest.domains);
      throw new CliError(`No domain "${name.module}" in this project (domains: ${known.join(', ') || 'none'})`);
    }
    const { packageName } = manifest.options;
    const kept: string[] = [];
    let keptMigration = false;
    for (const file of domain.files) {
      const bytes = plan.original(file);
      if (bytes === undefined) continue;
      const edited = !isUnchanged(bytes, manifest.files[file]);
      if (file.startsWith(`${MIGRATIONS_DIR}/`)) {
        // Migrations are history: by default the table is dropped by a new migration at the head.
        if (options.purge && (!edited || options.force)) await purgeMigration(plan, manifest, file);
        else keptMigration = true;
        continue;
      }
      if (edited && !options.force) kept.push(file);
      else plan.delete(file);
    }
    if (keptMigration) planMigration(plan, packageName, domainSpec(manifest, name), await migrationChain(plan, manifest), 'drop');
    await unregisterRouter(plan, packageName, name);
    await refuseDanglingImports(plan, packageName, name);
    if (kept.length === 0) delete manifest.domains[name.module];
    else domain.files = kept;
    return {
      kept,
      done(report) {
        ctx.log.success(`Removed domain ${name.module}:`);
        ctx.log.info(changeLines(report));
        if (kept.length > 0) ctx.log.warn('Kept the files you changed since they were generated (--force removes them too).');
        if (keptMigration) ctx.log.info('Next: alembic upgrade head drops the table.');
      },
    };
  });
}
