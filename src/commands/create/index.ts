import { readdirSync } from 'node:fs';
import { relative } from 'node:path';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { applyPlan } from '../../core/apply.js';
import { planDomain, routerRegistrationLines } from '../../core/domain.js';
import { contentHash, MANIFEST_FILE, planManifest, readManifest, type Manifest } from '../../core/manifest.js';
import { Plan } from '../../core/plan.js';
import { renderTree } from '../../core/render.js';
import { reportPlan } from '../../core/report.js';
import { VERSION } from '../../package.js';
import { resolveCreateOptions, type CreateFlags, type CreateOptions } from './prompts.js';
import { initGit } from './steps/git.js';
import { installDependencies } from './steps/install.js';
import { printNextSteps } from './steps/next-steps.js';

export function projectTemplateData(options: Pick<CreateOptions, 'projectName' | 'packageName' | 'db' | 'domains'>) {
  const postgres = options.db === 'postgres';
  return {
    projectName: options.projectName,
    packageName: options.packageName,
    routers: routerRegistrationLines(options.packageName, ['health', ...options.domains.map((domain) => domain.name.module)]),
    envPrefix: `${options.packageName.toUpperCase()}_`,
    postgres,
    defaultDatabaseUrl: postgres
      ? `postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/${options.packageName}`
      : `sqlite+aiosqlite:///./${options.packageName}.db`,
    generatorVersion: VERSION,
  };
}

/**
 * The whole project in memory: skeleton (its router registry already lists the domains), chosen
 * extras, then each domain through the shared generator, each migration building on the last.
 */
export async function planProject(options: CreateOptions): Promise<Plan> {
  const plan = new Plan(options.directory);
  const data = projectTemplateData(options);
  const tokens = { __package__: options.packageName };
  const trees = ['project', ...options.extras.map((extra) => `extras/${extra}`)];
  for (const tree of trees) {
    for (const file of renderTree(tree, data, tokens)) await plan.write(file.path, file.content);
  }
  const manifest: Manifest = {
    generator: { name: 'create-layered-backend', version: VERSION },
    options: { projectName: options.projectName, packageName: options.packageName, db: options.db, extras: options.extras },
    domains: {},
    files: {},
  };
  let head: string | null = null;
  for (const domain of options.domains) head = await planDomain(plan, manifest, domain, head);
  await planManifest(plan, manifest);
  return plan;
}

function existingEntries(directory: string): string[] {
  try {
    return readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function readManifestIfValid(directory: string): Manifest | undefined {
  try {
    return readManifest(directory);
  } catch {
    return undefined;
  }
}

/** Files the plan would overwrite that this generator did not write (or that were changed since). */
function foreignOverwrites(options: CreateOptions, plan: Plan): string[] {
  const overwritten = plan.list().flatMap((change) => (change.kind === 'edit' ? [change] : []));
  const previous = overwritten.some((change) => change.path === MANIFEST_FILE)
    ? readManifestIfValid(options.directory)
    : undefined;
  return overwritten
    .filter((change) => previous?.files[change.path] !== contentHash(change.before))
    .map((change) => change.path)
    .filter((path) => path !== MANIFEST_FILE);
}

export async function runCreate(flags: CreateFlags, ctx: Context): Promise<void> {
  const options = await resolveCreateOptions(flags, ctx);
  const plan = await planProject(options);
  const shown = relative(ctx.cwd, options.directory) || '.';

  const entries = existingEntries(options.directory);
  const foreign = foreignOverwrites(options, plan);
  if (entries.length > 0 && !options.force) {
    const listed = foreign.length > 0 ? foreign : entries;
    const more = listed.length > 10 ? ` (and ${listed.length - 10} more)` : '';
    throw new CliError(
      `${shown} is not empty; ${foreign.length > 0 ? 'would overwrite' : 'it holds'}: ${listed.slice(0, 10).join(', ')}${more}. Use --force to write into it`,
    );
  }

  if (options.dryRun) {
    reportPlan(ctx, plan.list(), options.json);
    return;
  }
  if (foreign.length > 0) {
    ctx.log.warn(`--force: overwriting files create-layered-backend did not write: ${foreign.join(', ')}`);
    if (ctx.interactive && !(await ctx.prompt.confirm({ message: 'Overwrite them?', initialValue: false }))) {
      throw new CliError('Nothing written: overwrite declined');
    }
  }

  applyPlan(options.directory, plan.list());
  ctx.log.success(`Created ${shown}: ${plan.list().length} files, domains ${options.domains.map((d) => d.name.module).join(', ')}`);

  if (options.git) await initGit(options.directory, ctx);
  const installed = options.install ? await installDependencies(options.directory, ctx) : undefined;
  printNextSteps(ctx, { directory: shown, packageName: options.packageName, installer: installed?.installer });
  if (installed?.failed) {
    throw new CliError(`Dependency install failed; the project is complete. Retry with: cd ${shown} && ${installed.retry}`);
  }
}
