import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { applyPlan } from '../../core/apply.js';
import { routerRegistration, ROUTERS_FILE } from '../../core/domain.js';
import { contentHash, findProjectRoot, planManifest, readManifest } from '../../core/manifest.js';
import { domainName } from '../../core/names.js';
import { Plan } from '../../core/plan.js';
import { removeRouterRegistration } from '../../core/python-edit.js';
import { reportPlan } from '../../core/report.js';

export interface RemoveDomainOptions {
  name: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

/** Removes folders the deleted files leave empty (bytecode caches do not count as content). */
async function pruneEmptyFolders(root: string, files: string[]): Promise<void> {
  const folders = [...new Set(files.map((file) => dirname(join(root, file))))].sort((a, b) => b.length - a.length);
  for (const folder of folders) {
    const entries = await readdir(folder).catch(() => undefined);
    if (!entries || entries.some((entry) => entry !== '__pycache__')) continue;
    await rm(join(folder, '__pycache__'), { recursive: true, force: true });
    await rmdir(folder);
  }
}

export async function runRemoveDomain(options: RemoveDomainOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const root = findProjectRoot(ctx.cwd);
  const manifest = await readManifest(root);
  const name = domainName(options.name);
  const domain = manifest.domains[name.module];
  if (!domain) {
    const known = Object.keys(manifest.domains);
    throw new CliError(`No domain "${name.module}" in this project (domains: ${known.join(', ') || 'none'})`);
  }

  const plan = new Plan(root);
  const kept: string[] = [];
  for (const file of domain.files) {
    const content = await plan.read(file);
    if (content === undefined) continue;
    if (contentHash(content) !== manifest.files[file] && !options.force) kept.push(file);
    else await plan.delete(file);
  }
  const { packageName } = manifest.options;
  const routers = await plan.read(ROUTERS_FILE(packageName));
  if (routers !== undefined) {
    await plan.write(ROUTERS_FILE(packageName), await removeRouterRegistration(routers, routerRegistration(packageName, name)));
  }
  if (kept.length === 0) delete manifest.domains[name.module];
  else domain.files = kept;
  await planManifest(plan, manifest);
  const changes = plan.list();

  if (options.dryRun) {
    reportPlan(ctx, changes, options.json ?? false);
    return;
  }
  await applyPlan(root, changes);
  await pruneEmptyFolders(root, changes.filter((change) => change.kind === 'delete').map((change) => change.path));
  ctx.log.success(`Removed domain ${name.module}.`);
  if (kept.length > 0) {
    ctx.log.warn(`Kept files you changed since they were generated (use --force to remove them too):\n  ${kept.join('\n  ')}`);
  }
}
