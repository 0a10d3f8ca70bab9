import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { applyPlan } from '../../core/apply.js';
import { migrationHead, planDomain, registerRouter } from '../../core/domain.js';
import { DEFAULT_FIELDS, parseFields } from '../../core/fields.js';
import { findProjectRoot, planManifest, readManifest } from '../../core/manifest.js';
import { domainName } from '../../core/names.js';
import { Plan } from '../../core/plan.js';
import { reportPlan } from '../../core/report.js';

export interface AddDomainOptions {
  name: string;
  fields?: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

/** Modules a new domain would create: any that exists already means the name is taken. */
function domainModules(packageName: string, module: string): string[] {
  const base = `src/${packageName}`;
  return [
    `${base}/routers/${module}`,
    `${base}/routers/${module}.py`,
    `${base}/services/${module}.py`,
    `${base}/services/${module}`,
    `${base}/repositories/${module}.py`,
    `${base}/repositories/${module}`,
    `${base}/schemas/${module}.py`,
    `${base}/schemas/${module}`,
  ];
}

export async function runAddDomain(options: AddDomainOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const root = findProjectRoot(ctx.cwd);
  const manifest = readManifest(root);
  const name = domainName(options.name);
  const fieldsSpec = options.fields ?? DEFAULT_FIELDS;
  const fields = parseFields(fieldsSpec);
  if (manifest.domains[name.module]) throw new CliError(`Domain "${name.module}" exists already`);
  const taken = domainModules(manifest.options.packageName, name.module).filter((path) => existsSync(join(root, path)));
  if (taken.length > 0 && !options.force) {
    throw new CliError(`Domain "${name.module}" would shadow existing ${taken.join(', ')}; pick another name`);
  }

  const plan = new Plan(root);
  await planDomain(plan, manifest, { name, fields, fieldsSpec }, await migrationHead(plan));
  await registerRouter(plan, manifest.options.packageName, name);
  await planManifest(plan, manifest);
  const changes = plan.list();

  const overwritten = changes.filter((change) => change.kind === 'edit' && change.path.includes(`/${name.module}`));
  if (overwritten.length > 0 && !options.force) {
    throw new CliError(`Would overwrite ${overwritten.map((change) => change.path).join(', ')}; use --force`);
  }
  if (options.dryRun) {
    reportPlan(ctx, changes, options.json ?? false);
    return;
  }
  for (const change of overwritten) ctx.log.warn(`--force: overwriting ${change.path}`);
  applyPlan(root, changes);
  ctx.log.success(`Added domain ${name.module} (${fields.map((field) => field.name).join(', ')}):`);
  ctx.log.info(changes.map((change) => `  ${change.kind.padEnd(6)} ${change.path}`).join('\n'));
  ctx.log.info(
    `Routes: /${name.kebab} (POST, GET), /${name.kebab}/{${name.singular}_id} (GET, PATCH, DELETE). Run pytest to try them.`,
  );
}
