import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { migrationChain, liveDomain, recordedFields, refuseMissingTestHelpers } from '../../core/domain.js';
import { planColumnMigration, refuseColumnsRowsCannotTake, refuseFieldsWrittenByHand, replanDomainFiles } from '../../core/evolve.js';
import { domainFields, parseFields, refuseWhatRuffFlags, splitFieldSpec } from '../../core/fields.js';
import type { Manifest } from '../../core/manifest.js';
import { domainName } from '../../core/names.js';
import { toolPrefix } from '../../core/project.js';
import { changeLines } from '../../core/report.js';
import { editProject, OWN_LINES_ADVICE } from '../../core/transaction.js';

export interface AddFieldOptions {
  domain: string;
  fields: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Resolves a referenced domain's name to its module, which must exist (or be the domain itself). */
export const referenceResolver = (manifest: Manifest, self: string) => (target: string) => {
  const module = domainName(target).module;
  if (module !== self) liveDomain(manifest, module, { purpose: 'to refer to', asked: target });
  return module;
};

export async function runAddField(options: AddFieldOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const name = domainName(options.domain);
  // The spec's grammar now, and the rows a new column meets; the domains it names once the project is read.
  const adding = parseFields(options.fields);
  refuseWhatRuffFlags(adding);
  refuseColumnsRowsCannotTake(adding);
  const run = { command: 'add-field', dryRun: options.dryRun, json: options.json, options: { domain: name.module, fields: options.fields } };
  await editProject(ctx, run, async (plan, manifest) => {
    const domain = liveDomain(manifest, name.module, { asked: options.domain });
    const before = recordedFields(manifest, name.module);
    // A name or a column taken: `user_id` is the column of a reference `user`, and `user` that of `user_id`.
    for (const field of adding) {
      const holder = before.find((old) => [old.name, old.column].some((taken) => taken === field.name || taken === field.column));
      if (holder === undefined) continue;
      const which = holder.name === field.name ? `the field ${field.name}` : `the column ${holder.column} (of its field ${holder.name})`;
      throw new CliError(`${name.module} already has ${which} (fields: ${before.map((old) => old.name).join(', ')})`);
    }
    const spec = [...splitFieldSpec(domain.fields), ...splitFieldSpec(options.fields)].join(', ');
    const after = domainFields(spec, name.module, referenceResolver(manifest, name.module));
    const added = after.slice(before.length);
    const replanned = await replanDomainFiles(plan, manifest, name, before, after);
    const { conflicts } = replanned;
    if (conflicts.length > 0) {
      throw new CliError(`add-field cannot merge the new fields with your changes at ${conflicts.join(', ')}; nothing was written. ${OWN_LINES_ADVICE}`);
    }
    await refuseFieldsWrittenByHand(replanned, name.module, added);
    await refuseMissingTestHelpers(plan);
    const migration = planColumnMigration(plan, manifest.options.packageName, name, added, await migrationChain(plan), 'add');
    manifest.domains[name.module] = { fields: spec, files: [...domain.files, migration].sort() };
    const run = toolPrefix(plan);
    return {
      done(report) {
        ctx.log.success(`Added ${added.map((field) => field.column).join(', ')} to ${name.module}:`);
        ctx.log.info(changeLines(report));
        ctx.log.info(`Next: ${run}alembic upgrade head adds the columns.`);
      },
    };
  });
}
