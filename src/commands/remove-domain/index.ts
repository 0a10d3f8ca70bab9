import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { applyPlan } from '../../core/apply.js';
import { MIGRATIONS_DIR, unregisterRouter } from '../../core/domain.js';
import { contentHash, findProjectRoot, planManifest, readManifest } from '../../core/manifest.js';
import { domainName } from '../../core/names.js';
import { Plan } from '../../core/plan.js';
import { readRevision, setDownRevision } from '../../core/python-edit.js';
import { reportPlan } from '../../core/report.js';

export interface RemoveDomainOptions {
  name: string;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
}

/** Removes folders the deleted files leave empty (bytecode caches do not count as content). */
function pruneEmptyFolders(root: string, files: string[]): void {
  const folders = [...new Set(files.map((file) => dirname(join(root, file))))].sort((a, b) => b.length - a.length);
  for (const folder of folders) {
    let entries: string[];
    try {
      entries = readdirSync(folder);
    } catch {
      continue;
    }
    if (entries.some((entry) => entry !== '__pycache__')) continue;
    rmSync(join(folder, '__pycache__'), { recursive: true, force: true });
    rmdirSync(folder);
  }
}

/**
 * The domain's create migration goes with it; a later migration that built on it is pointed at the
 * removed one's parent, so the chain stays whole.
 */
async function relinkMigrations(plan: Plan, removed: { revision: string; downRevisions: string[] }): Promise<void> {
  for (const path of await plan.filesIn(MIGRATIONS_DIR)) {
    const source = (await plan.read(path)) as string;
    if (!path.endsWith('.py') || !(await readRevision(source, path)).downRevisions.includes(removed.revision)) continue;
    await plan.write(path, await setDownRevision(source, path, removed.downRevisions[0] ?? null));
  }
}

export async function runRemoveDomain(options: RemoveDomainOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const root = findProjectRoot(ctx.cwd);
  const manifest = readManifest(root);
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
    if (contentHash(content) !== manifest.files[file] && !options.force) {
      kept.push(file);
      continue;
    }
    await plan.delete(file);
    if (file.startsWith(`${MIGRATIONS_DIR}/`)) await relinkMigrations(plan, await readRevision(content, file));
  }
  await unregisterRouter(plan, manifest.options.packageName, name);
  if (kept.length === 0) delete manifest.domains[name.module];
  else domain.files = kept;
  await planManifest(plan, manifest);
  const changes = plan.list();

  if (options.dryRun) {
    reportPlan(ctx, changes, options.json ?? false);
    return;
  }
  applyPlan(root, changes);
  pruneEmptyFolders(root, changes.filter((change) => change.kind === 'delete').map((change) => change.path));
  ctx.log.success(`Removed domain ${name.module}.`);
  if (kept.length > 0) {
    ctx.log.warn(`Kept files you changed since they were generated (use --force to remove them too):\n  ${kept.join('\n  ')}`);
  }
}
