import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { unplanFlow } from '../../core/flow.js';
import { flowName } from '../../core/names.js';
import { deleteGenerated, refuseDanglingImports } from '../../core/removal.js';
import { changeLines } from '../../core/report.js';
import { editProject } from '../../core/transaction.js';

export interface RemoveFlowOptions {
  name: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

export async function runRemoveFlow(options: RemoveFlowOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const flow = flowName(options.name);
  const run = {
    command: 'remove-flow',
    dryRun: options.dryRun,
    json: options.json,
    options: { name: flow.module, force: options.force ?? false },
  };
  await editProject(ctx, run, async (plan, manifest) => {
    const recorded = manifest.flows[flow.module];
    if (!recorded) {
      throw new CliError(`No flow "${flow.module}" in this project (flows: ${Object.keys(manifest.flows).join(', ') || 'none'})`);
    }
    const kept = deleteGenerated(plan, manifest, recorded.files, options.force ?? false);
    await unplanFlow(plan, manifest, flow.module, options.force ?? false);
    await refuseDanglingImports(plan, manifest, `the flow ${flow.module}`);
    // The flow is gone (its router, its contract); the files the user changed stay theirs and no
    // longer recorded, so no flow holds the domains it used back from remove-domain.
    delete manifest.flows[flow.module];
    for (const file of kept) delete manifest.files[file];
    return {
      kept,
      done(report) {
        ctx.log.success(`Removed flow ${flow.module}:`);
        ctx.log.info(changeLines(report));
        if (kept.length > 0) ctx.log.warn(`Kept the files you changed since they were generated, now yours alone (--force removes them): ${kept.join(', ')}`);
      },
    };
  });
}
