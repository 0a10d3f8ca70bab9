import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { domainRouterRegistration, filesBesideModels, migrationChain, planDomain, refuseMissingTestHelpers, registerRouter } from '../../core/domain.js';
import { DEFAULT_FIELDS, domainFields, parseFields, refuseWhatRuffFlags } from '../../core/fields.js';
import type { Manifest } from '../../core/manifest.js';
import { domainName, type DomainName } from '../../core/names.js';
import type { Plan } from '../../core/plan.js';
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

/**
 * A model of the team's that maps the domain's table already (`__tablename__ = "products"`): two
 * models of one table fail the app's start ("Table 'products' is already defined"). Read in the
 * team's own modules beside the domains' models (the generated ones map their own tables).
 */
function refuseTableInUse(plan: Plan, manifest: Manifest, name: DomainName): void {
  // `__tablename__ = "products"` in a model, or `Table("products", metadata, ...)`.
  const mapping = new RegExp(`^\\s*__tablename__\\s*(?::[^=]*)?=\\s*[rRuU]?["']${name.module}["']|\\bTable\\(\\s*[rRuU]?["']${name.module}["']`);
  for (const file of filesBesideModels(plan, manifest, [name.module])) {
    if (file in manifest.files) continue;
    const line = (plan.read(file) ?? '').split('\n').findIndex((text) => mapping.test(text));
    if (line !== -1) {
      throw new CliError(`${file}:${line + 1} maps the table ${name.module} already: give the domain another name, or that model another table`);
    }
  }
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
    refuseTableInUse(plan, manifest, name);
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
