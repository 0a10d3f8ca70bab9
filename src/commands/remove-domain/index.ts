import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import {
  domainRouterRegistration,
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
import { domainName, type DomainName } from '../../core/names.js';
import type { Plan } from '../../core/plan.js';
import { readRevision, relinkRevision } from '../../core/python-edit.js';
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
 * migration that built on it pointed at its parents, element by element.
 */
async function purgeMigration(plan: Plan, path: string): Promise<void> {
  const removed = await readRevision(plan.read(path) as string, path);
  plan.delete(path);
  for (const migration of await readMigrations(plan)) {
    if (migration.downRevisions.includes(removed.revision)) {
      plan.write(migration.path, await relinkRevision(plan.read(migration.path) as string, migration.path, removed));
    }
  }
}

function domainSpec(manifest: Manifest, name: DomainName) {
  const fieldsSpec = (manifest.domains[name.module] as Manifest['domains'][string]).fields;
  return { name, fields: recordedFields(manifest, name.module), fieldsSpec };
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
    const domain = recordedDomain(manifest, name.module);
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
    const purge =
      migrations.length > 0 &&
      options.purge === true &&
      (options.force === true || migrations.every((migration) => isUnchanged(plan.original(migration), manifest.files[migration])));
    if (purge) for (const migration of migrations) await purgeMigration(plan, migration);
    const keptMigration = migrations.length > 0 && !purge;
    const kept = deleteGenerated(plan, manifest, domain.files.filter((file) => !isMigration(file)), options.force ?? false);
    if (keptMigration) planMigration(plan, manifest.options, domainSpec(manifest, name), await migrationChain(plan), 'drop');
    await unregisterRouter(plan, manifest, domainRouterRegistration(manifest.options, name.module));
    await refuseDanglingImports(plan, manifest.options.packageName, name.module);
    if (kept.length === 0) delete manifest.domains[name.module];
    else Object.assign(domain, { files: kept, removed: true });
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
