import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import {
  domainRouterRegistration,
  filesBesideModels,
  MIGRATIONS_DIR,
  migrationChain,
  planMigration,
  readMigrations,
  recordedDomain,
  recordedFields,
  referrers,
  unregisterRouter,
} from '../../core/domain.js';
import { isUnchanged, type Manifest } from '../../core/manifest.js';
import { domainFile, domainName, type DomainName } from '../../core/names.js';
import type { Plan } from '../../core/plan.js';
import { toolPrefix } from '../../core/project.js';
import { dependsOn, mappedColumns, readRevision, relinkRevision } from '../../core/python-edit.js';
import { deleteGenerated, refuseDanglingImports } from '../../core/removal.js';
import { changeLines } from '../../core/report.js';
import { editProject } from '../../core/transaction.js';

export interface RemoveDomainOptions {
  name: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  purge?: boolean;
}

/**
 * --purge, for each of the domain's migrations: deleted (it never ran anywhere), and a later
 * migration that built on it pointed at its parents, less those it has already or reaches through
 * another parent (Alembic fails on a merge one of whose parents is another's ancestor). Refused
 * while a migration's depends_on names it.
 */
async function purgeMigration(plan: Plan, path: string, domain: string): Promise<void> {
  const removed = await readRevision(plan.read(path) as string, path);
  plan.delete(path);
  const migrations = await readMigrations(plan);
  for (const migration of migrations) {
    const source = plan.read(migration.path) as string;
    if (source.includes(removed.revision) && (await dependsOn(source)).includes(removed.revision)) {
      throw new CliError(`${migration.path} depends on ${removed.revision} (depends_on): point it elsewhere, or remove-domain ${domain} without --purge (a new migration then drops the table)`);
    }
  }
  const parentsOf = new Map<string, string[]>(migrations.map((migration) => [migration.revision, migration.downRevisions]));
  parentsOf.set(removed.revision, removed.downRevisions);
  /** Whether `ancestor` is `from` or comes before it in the graph. */
  const reaches = (from: string, ancestor: string, seen = new Set<string>()): boolean => {
    if (from === ancestor) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return (parentsOf.get(from) ?? []).some((parent) => reaches(parent, ancestor, seen));
  };
  for (const migration of migrations) {
    if (!migration.downRevisions.includes(removed.revision)) continue;
    const others = migration.downRevisions.filter((id) => id !== removed.revision);
    const replacement = removed.downRevisions.filter(
      (id, index, all) => all.indexOf(id) === index && ![...others, ...all.filter((other) => other !== id)].some((other) => reaches(other, id)),
    );
    plan.write(migration.path, await relinkRevision(plan.read(migration.path) as string, migration.path, removed.revision, replacement));
  }
}

/**
 * A migration of the team's that names the table (a data fix, `INSERT INTO users ...`) fails once
 * --purge has deleted the migration creating it: refused, naming it. Migrations as generated are
 * left out: another domain's reference to the table is refused before, with its field.
 */
async function refuseMigrationsUsingTable(plan: Plan, manifest: Manifest, name: DomainName, purged: string[]): Promise<void> {
  const table = new RegExp(`\\b${name.module}\\b`);
  for (const { path } of await readMigrations(plan)) {
    if (purged.includes(path) || isUnchanged(plan.original(path), manifest.files[path])) continue;
    const line = (plan.read(path) ?? '').split('\n').findIndex((text) => table.test(text));
    if (line !== -1) {
      throw new CliError(`${path}:${line + 1} names ${name.module}, whose migrations --purge would delete: remove-domain ${name.module} without --purge (a new migration then drops the table)`);
    }
  }
}

function domainSpec(manifest: Manifest, name: DomainName) {
  const fieldsSpec = (manifest.domains[name.module] as Manifest['domains'][string]).fields;
  return { name, fields: recordedFields(manifest, name.module), fieldsSpec };
}

/**
 * The migration that drops the table puts it back on downgrade as the manifest's fields make it; a
 * column the user added to the model by hand (with a migration of theirs) it cannot put back, and
 * downgrading through their migration would then fail (nor would --purge's history hold). Nor
 * does it drop the table of another model the user wrote in the file, which --force deleting the
 * file would leave unmapped. Refused, naming the line.
 */
async function refuseWhatItMapsByHand(plan: Plan, manifest: Manifest, name: DomainName, force: boolean): Promise<void> {
  const model = domainFile(manifest.options.layout, manifest.options.packageName, name.module, 'repository');
  const source = plan.read(model);
  if (source === undefined) return;
  const generated = new Set(['id', ...recordedFields(manifest, name.module).map((field) => field.column)]);
  const mapped = await mappedColumns(source, model, name.module);
  const own = mapped.columns.filter((column) => !generated.has(column.name));
  if (own.length > 0) {
    throw new CliError(
      `${own.map((column) => `${model}:${column.line}`).join(', ')} map${own.length === 1 ? 's' : ''} ${own.map((column) => column.name).join(', ')}, added by hand: ` +
        `the migration that drops ${name.module} could not put ${own.length === 1 ? 'it' : 'them'} back on downgrade. ` +
        `Drop ${own.length === 1 ? 'it' : 'them'} first (from the model, with a migration), then run again`,
    );
  }
  const [other] = mapped.otherTables;
  if (other && force) {
    throw new CliError(`${model}:${other.line} maps the table ${other.name} too, which removing ${name.module} would leave behind in the database: move that model to a module of its own first, then run again`);
  }
}

/**
 * A ForeignKey to the table that the team wrote in a model that stays (the generated ones are
 * the manifest's references, refused before): dropping the table would leave it pointing nowhere,
 * SQLAlchemy failing the app's start (NoReferencedTableError) and PostgreSQL the drop. Refused,
 * naming the line. The models are read where the layout keeps them, beside each domain's.
 */
function refuseForeignKeysByHand(plan: Plan, manifest: Manifest, name: DomainName): void {
  const { layout, packageName } = manifest.options;
  const own = domainFile(layout, packageName, name.module, 'repository');
  // ForeignKey("orders.id"), ForeignKey(column="orders.id"), ForeignKeyConstraint([...], ["orders.id"]),
  // over as many lines as ruff format gives them; not in a comment.
  const table = `[rRuU]?["']${name.module}\\.`;
  const pointing = new RegExp(`ForeignKey\\(\\s*(?:column\\s*=\\s*)?${table}|ForeignKeyConstraint\\([^)]*?${table}`);
  for (const file of filesBesideModels(plan, manifest)) {
    if (file === own) continue;
    const code = (plan.read(file) ?? '').replace(/#[^\n]*/g, '');
    const found = pointing.exec(code);
    if (found) {
      const line = code.slice(0, found.index).split('\n').length;
      throw new CliError(`${file}:${line} refers to ${name.module} with a ForeignKey written by hand: drop it (from the model, with a migration) first, then run again`);
    }
  }
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
    const domain = recordedDomain(manifest, name.module, { asked: options.name });
    const referring = referrers(manifest, name.module);
    if (referring.length > 0) {
      const [first] = referring as [{ domain: string; field: string }];
      throw new CliError(
        `${referring.map((ref) => `${ref.domain}.${ref.field}`).join(', ')} refer${referring.length === 1 ? 's' : ''} to ${name.module}: remove-field ${first.domain} ${first.field} first`,
      );
    }
    const users = Object.entries(manifest.flows).filter(([, flow]) => flow.uses.includes(name.module));
    if (users.length > 0) {
      const flows = users.map(([flow]) => flow).join(', ');
      throw new CliError(`The flow ${flows} uses ${name.module}: remove-flow ${flows.split(', ')[0]} first`);
    }
    // Migrations are history: the domain's (its create migration, and add-field's and
    // remove-field's) stay and a new one at the head drops the table, unless --purge deletes them
    // all (each still as generated, or --force), pointing what built on each at its parents.
    const isMigration = (file: string) => file.startsWith(`${MIGRATIONS_DIR}/`);
    const migrations = domain.files.filter((file) => isMigration(file) && plan.original(file) !== undefined);
    const edited = migrations.filter((migration) => !isUnchanged(plan.original(migration), manifest.files[migration]));
    const purge = migrations.length > 0 && options.purge === true && (options.force === true || edited.length === 0);
    await refuseWhatItMapsByHand(plan, manifest, name, options.force === true);
    refuseForeignKeysByHand(plan, manifest, name);
    if (purge) {
      await refuseMigrationsUsingTable(plan, manifest, name, migrations);
      for (const migration of migrations) await purgeMigration(plan, migration, name.module);
    }
    const keptMigration = migrations.length > 0 && !purge;
    const kept = deleteGenerated(plan, manifest, domain.files.filter((file) => !isMigration(file)), options.force ?? false);
    if (keptMigration) planMigration(plan, manifest.options, domainSpec(manifest, name), await migrationChain(plan), 'drop');
    await unregisterRouter(plan, manifest, domainRouterRegistration(manifest.options, name.module));
    await refuseDanglingImports(plan, manifest, name.module);
    if (kept.length === 0) delete manifest.domains[name.module];
    else Object.assign(domain, { files: kept, removed: true });
    if (options.purge === true && keptMigration) {
      ctx.log.warn(`--purge: ${edited.join(', ')} changed since generated, so the migrations stay and a new one drops the table (--purge --force deletes them anyway)`);
    }
    const run = toolPrefix(plan);
    return {
      kept,
      done(report) {
        ctx.log.success(`Removed domain ${name.module}:`);
        ctx.log.info(changeLines(report));
        if (kept.length > 0) ctx.log.warn(`Kept the files you changed since they were generated (--force removes them too): ${kept.join(', ')}`);
        // Its own API tests call routes that are gone: pytest fails until they go too.
        const keptTests = kept.filter((file) => file.startsWith('tests/'));
        if (keptTests.length > 0) ctx.log.warn(`${keptTests.join(', ')} test${keptTests.length === 1 ? 's' : ''} the routes just removed: pytest fails until you delete ${keptTests.length === 1 ? 'it' : 'them'} (or remove-domain ${name.module} --force)`);
        if (keptMigration) ctx.log.info(`Next: ${run}alembic upgrade head drops the table.`);
      },
    };
  });
}
