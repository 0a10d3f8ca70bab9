import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { liveDomain, migrationChain, recordedFields } from '../../core/domain.js';
import { planColumnMigration, replanDomainFiles, usesOfField } from '../../core/evolve.js';
import { domainFields, splitFieldSpec } from '../../core/fields.js';
import { domainName } from '../../core/names.js';
import { toolPrefix } from '../../core/project.js';
import { changeLines } from '../../core/report.js';
import { editProject, OWN_LINES_ADVICE } from '../../core/transaction.js';
import { referenceResolver } from '../add-field/index.js';

export interface RemoveFieldOptions {
  domain: string;
  field: string;
  dryRun?: boolean;
  json?: boolean;
  /** Remove the field even while code uses it (the uses are listed, to fix by hand). */
  force?: boolean;
}

export async function runRemoveField(options: RemoveFieldOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const name = domainName(options.domain);
  const run = { command: 'remove-field', dryRun: options.dryRun, json: options.json, options: { domain: name.module, field: options.field, force: options.force ?? false } };
  await editProject(ctx, run, async (plan, manifest) => {
    const domain = liveDomain(manifest, name.module, { asked: options.domain });
    const before = recordedFields(manifest, name.module);
    const index = before.findIndex((field) => field.name === options.field || field.column === options.field);
    const removed = before[index];
    if (!removed) throw new CliError(`${name.module} has no field "${options.field}" (fields: ${before.map((field) => field.name).join(', ')})`);
    if (before.every((field, position) => position === index || field.reference)) {
      throw new CliError(`${removed.name} is the last field of ${name.module} holding a value of its own: add another first (add-field), or remove-domain ${name.module}`);
    }
    const spec = splitFieldSpec(domain.fields)
      .filter((_, position) => position !== index)
      .join(', ');
    const after = domainFields(spec, name.module, referenceResolver(manifest, name.module));
    const replanned = await replanDomainFiles(plan, manifest, name, before, after);
    const { conflicts } = replanned;
    if (conflicts.length > 0) {
      throw new CliError(`remove-field cannot merge the change with your edits at ${conflicts.join(', ')}; nothing was written. ${OWN_LINES_ADVICE}`);
    }
    const uses = await usesOfField(plan, manifest, name.module, removed, replanned);
    if (uses.length > 0 && !options.force) {
      throw new CliError(`Cannot remove ${name.module}.${removed.name} while code uses it: ${uses.join(', ')}. Remove those uses first, or use --force to remove it anyway`);
    }
    const migration = planColumnMigration(plan, manifest.options.packageName, name, [removed], await migrationChain(plan), 'drop');
    manifest.domains[name.module] = { fields: spec, files: [...domain.files, migration].sort() };
    const run = toolPrefix(plan);
    return {
      done(report) {
        ctx.log.success(`Removed ${removed.column} from ${name.module}:`);
        ctx.log.info(changeLines(report));
        if (uses.length > 0) ctx.log.warn(`Still using ${removed.column}, to fix by hand (lines as they were): ${uses.join(', ')}`);
        ctx.log.info(`Next: ${run}alembic upgrade head drops the column.`);
      },
    };
  });
}
