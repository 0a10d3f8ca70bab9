import type { Context } from '../../context.js';
import { CliError, UsageError } from '../../errors.js';
import { liveDomain, refuseMissingTestHelpers } from '../../core/domain.js';
import { planFlow } from '../../core/flow.js';
import { domainList, flowName, listedNames } from '../../core/names.js';
import { changeLines } from '../../core/report.js';
import { editProject } from '../../core/transaction.js';

export interface AddFlowOptions {
  name: string;
  uses?: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

export async function runAddFlow(options: AddFlowOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const flow = flowName(options.name);
  if (options.uses === undefined) throw new UsageError('add-flow needs --uses: the domains whose services the flow may call');
  const uses = domainList(options.uses).map((name) => name.module);
  // As typed, for a refusal: `--uses nope` is no domain "nope" (as a module: nopes).
  const typed = listedNames(options.uses);
  if (uses.length === 0) throw new UsageError('Give at least one domain with --uses');
  const run = {
    command: 'add-flow',
    dryRun: options.dryRun,
    json: options.json,
    options: { name: flow.module, uses, force: options.force ?? false },
  };
  await editProject(ctx, run, async (plan, manifest) => {
    if (manifest.flows[flow.module]) throw new CliError(`Flow "${flow.module}" exists already`);
    if (manifest.domains[flow.module]) throw new CliError(`"${flow.module}" is a domain; give the flow a name of its own`);
    for (const [index, domain] of uses.entries()) liveDomain(manifest, domain, { asked: typed[index] });
    const replaced = await planFlow(plan, manifest, flow, uses);
    if (replaced.length > 0 && !options.force) {
      throw new CliError(`add-flow ${flow.module} would overwrite ${replaced.join(', ')}; pick another name, or use --force to replace them`);
    }
    await refuseMissingTestHelpers(plan);
    return {
      replaced,
      done(report) {
        ctx.log.success(`Added flow ${flow.module} (uses ${uses.join(', ')}):`);
        ctx.log.info(changeLines(report));
        ctx.log.info(`Route: /${flow.kebab} (GET). Its rule goes in src/${manifest.options.packageName}/flows/${flow.module}.py.`);
      },
    };
  });
}
