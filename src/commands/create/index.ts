import { readdirSync } from 'node:fs';
import { relative } from 'node:path';
import type { Context } from '../../context.js';
import { CancelledError, CliError, UsageError } from '../../errors.js';
import { writeNewFolder } from '../../core/apply.js';
import { type MigrationChain, planDomain, routerRegistrationLines } from '../../core/domain.js';
import {
  isUnchanged,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type Manifest,
  parseManifest,
  planManifest,
} from '../../core/manifest.js';
import { Plan } from '../../core/plan.js';
import { renderTree } from '../../core/render.js';
import { reportPlan } from '../../core/report.js';
import { transact, trapSignals, validatePlan } from '../../core/transaction.js';
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
 * Returns the existing files it would replace with different content.
 */
export function planProject(plan: Plan, options: CreateOptions): string[] {
  const data = projectTemplateData(options);
  const tokens = { __package__: options.packageName };
  const trees = ['project', ...options.extras.map((extra) => `extras/${extra}`)];
  const replaced: string[] = [];
  for (const tree of trees) {
    for (const file of renderTree(tree, data, tokens)) {
      if (plan.original(file.path) !== undefined && plan.read(file.path) !== file.content) replaced.push(file.path);
      plan.generate(file);
    }
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    generator: { name: 'create-layered-backend', version: VERSION },
    options: { projectName: options.projectName, packageName: options.packageName, db: options.db, extras: options.extras },
    domains: {},
    files: {},
  };
  const chain: MigrationChain = { head: null, taken: new Set() };
  for (const domain of options.domains) replaced.push(...planDomain(plan, manifest, domain, chain));
  planManifest(plan, manifest);
  return replaced.filter((path) => path !== MANIFEST_FILE);
}

/** What is in the target folder; a path that is not a folder is a usage error. */
function existingEntries(directory: string, shown: string): string[] {
  try {
    return readdirSync(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') throw new UsageError(`${shown} is a file, not a folder; choose another directory`);
    throw error;
  }
}

/** Files the previous manifest there does not record as generated and unchanged: the user's own. */
function foreignFiles(plan: Plan, replaced: string[]): string[] {
  let previous: Manifest | undefined;
  try {
    const text = plan.original(MANIFEST_FILE);
    previous = text ? parseManifest(text.toString('utf8'), MANIFEST_FILE) : undefined;
  } catch {
    previous = undefined;
  }
  return replaced.filter((path) => !isUnchanged(plan.original(path), previous?.files[path]));
}

function createdMessage(ctx: Pick<Context, 'log'>, shown: string, plan: Plan, options: CreateOptions): void {
  const domains = options.domains.map((domain) => domain.name.module).join(', ');
  ctx.log.success(`Created ${shown}: ${plan.renderedFiles().size} files, domains ${domains}`);
}

export async function runCreate(flags: CreateFlags, ctx: Context): Promise<void> {
  const options = await resolveCreateOptions(flags, ctx);
  const shown = relative(ctx.cwd, options.directory) || '.';
  const entries = existingEntries(options.directory, shown);
  const run = {
    command: 'create',
    dryRun: options.dryRun,
    json: options.json,
    options: {
      directory: options.directory,
      name: options.packageName,
      domains: options.domains.map((domain) => domain.name.module),
      extras: options.extras,
      db: options.db,
      git: options.git,
      install: options.install,
      force: options.force,
    },
  };

  if (entries.length === 0) {
    // A new (or empty) folder: staged beside it and renamed into place whole.
    const plan = new Plan(options.directory);
    planProject(plan, options);
    const changes = plan.changes();
    await validatePlan(plan, changes);
    if (options.dryRun) {
      reportPlan(ctx, { command: run.command, options: run.options, changes }, options.json);
      return;
    }
    const signals = trapSignals();
    try {
      await signals.stopIfInterrupted();
      writeNewFolder(options.directory, changes);
      createdMessage(ctx, shown, plan, options);
      await signals.reportIfInterrupted();
    } finally {
      signals.release();
    }
  } else {
    if (!options.force) {
      const more = entries.length > 10 ? ` (and ${entries.length - 10} more)` : '';
      throw new UsageError(`${shown} is not empty; it holds: ${entries.slice(0, 10).join(', ')}${more}. Use --force to write into it`);
    }
    // --force into a folder with files: the same transaction as every other command.
    await transact(options.directory, ctx, run, async (plan) => {
      const foreign = foreignFiles(plan, planProject(plan, options));
      if (foreign.length > 0 && !options.dryRun) {
        ctx.log.warn(`--force: replacing files create-layered-backend did not write (or that were changed since): ${foreign.join(', ')}`);
        if (ctx.interactive && !(await ctx.prompt.confirm({ message: 'Replace them?', initialValue: false }))) {
          throw new CancelledError();
        }
      }
      return () => createdMessage(ctx, shown, plan, options);
    });
  }
  if (options.dryRun) return;

  if (options.git) await initGit(options.directory, ctx);
  const installed = options.install ? await installDependencies(options.directory, ctx) : undefined;
  printNextSteps(ctx, { directory: shown, packageName: options.packageName, installer: installed?.installer });
  if (installed?.failed) {
    throw new CliError(`Dependency install failed; the project is complete. Retry with: cd ${shown} && ${installed.retry}`);
  }
}
