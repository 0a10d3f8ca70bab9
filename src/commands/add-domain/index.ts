import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { domainRouterRegistration, migrationChain, planDomain, refuseMissingTestHelpers, registerRouter } from '../../core/domain.js';
import { DEFAULT_FIELDS, domainFields, parseFields, refuseWhatRuffFlags } from '../../core/fields.js';
import { domainName } from '../../core/names.js';
import { toolPrefix } from '../../core/project.js';
import { referenceResolver } from '../add-field/index.js';
import { changeLines } from '../../core/report.js';
import { editProject } from '../../core/transaction.js';

export interface AddDomainOptions {
  name: string;
  fields?: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

export async function runAddDomain(options: AddDomainOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  // Usage errors first: nothing is read or written for a bad name or spec.
  const name = domainName(options.name);
  const fieldsSpec = options.fields ?? DEFAULT_FIELDS;
  // The spec's grammar now; the domains it refers to once the project is read.
  refuseWhatRuffFlags(parseFields(fieldsSpec));
  const run = {
    command: 'add-domain',
    dryRun: options.dryRun,
    json: options.json,
    options: { name: name.module, fields: fieldsSpec, force: options.force ?? false },
  };
  await editProject(ctx, run, async (plan, manifest) => {
    const recorded = manifest.domains[name.module];
    if (recorded?.removed) {
      throw new CliError(`The files of the removed domain ${name.module} that you had changed are still there (${recorded.files.join(', ')}): remove-domain ${name.module} --force deletes them`);
    }
    if (recorded) throw new CliError(`Domain "${name.module}" exists already`);
    if (manifest.flows[name.module]) throw new CliError(`"${name.module}" is a flow; give the domain a name of its own`);
    const fields = domainFields(fieldsSpec, name.module, referenceResolver(manifest, name.module));
    const replaced = planDomain(plan, manifest, { name, fields, fieldsSpec }, await migrationChain(plan));
    if (replaced.length > 0 && !options.force) {
      throw new CliError(`add-domain ${name.module} would overwrite ${replaced.join(', ')}; pick another name, or use --force to replace them`);
    }
    await registerRouter(plan, manifest, domainRouterRegistration(manifest.options, name.module));
    await refuseMissingTestHelpers(plan);
    const run = toolPrefix(plan);
    return {
      replaced,
      done(report) {
        ctx.log.success(`Added domain ${name.module} (${fields.map((field) => field.name).join(', ')}):`);
        ctx.log.info(changeLines(report));
        ctx.log.info(
          `Routes: /${name.kebab} (POST, GET), /${name.kebab}/{${name.singular}_id} (GET, PATCH, DELETE). Next: ${run}alembic upgrade head, then ${run}pytest.`,
        );
      },
    };
  });
}
