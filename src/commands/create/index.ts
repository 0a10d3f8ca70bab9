import { readdirSync } from 'node:fs';
import { relative } from 'node:path';
import type { Context } from '../../context.js';
import { CancelledError, CliError } from '../../errors.js';
import { writeNewFolder } from '../../core/apply.js';
import { type MigrationChain, planDomain } from '../../core/domain.js';
import {
  hasJobExamples,
  isUnchanged,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type Manifest,
  parseManifest,
  planManifest,
} from '../../core/manifest.js';
import { Plan } from '../../core/plan.js';
import { POSTGRES_SERVER, renderProject } from '../../core/project.js';
import { reportPlan } from '../../core/report.js';
import { transact, trapSignals } from '../../core/transaction.js';
import { VERSION } from '../../package.js';
import { resolveCreateOptions, type CreateFlags, type CreateOptions } from './prompts.js';
import { enclosingRepository, gitCommandLine, initGit } from './steps/git.js';
import { chooseInstaller, installCommandLine, installDependencies } from './steps/install.js';
import { nextSteps, shellWord } from './steps/next-steps.js';

/**
 * The whole project in memory: skeleton (its router registry already lists the domains), the
 * files only its layout has, chosen extras, then each domain through the shared generator, each
 * migration building on the last. Returns the existing files it would replace with different content.
 */
export function planProject(plan: Plan, options: CreateOptions): string[] {
  const replaced: string[] = [];
  for (const file of renderProject({ ...options, domains: options.domains.map((domain) => domain.name.module) })) {
    if (plan.original(file.path) !== undefined && plan.read(file.path) !== file.content) replaced.push(file.path);
    plan.generate(file);
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    generator: { name: 'create-layered-backend', version: VERSION },
    options: { projectName: options.projectName, packageName: options.packageName, db: options.db, extras: options.extras, layout: options.layout },
    // The skeleton's example jobs call the first domain (core/project.ts).
    ...(hasJobExamples(options.extras) && options.domains[0] ? { examples: options.domains[0].name.module } : {}),
    domains: {},
    flows: {},
    placements: {},
    files: {},
  };
  const chain: MigrationChain = { head: null, taken: new Set() };
  for (const domain of options.domains) replaced.push(...planDomain(plan, manifest, domain, chain));
  planManifest(plan, manifest);
  return replaced.filter((path) => path !== MANIFEST_FILE);
}

/** What is in the target folder (the prompts refused a non-empty one without --force, and a file). */
function existingEntries(directory: string): string[] {
  try {
    return readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
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

export async function runCreate(flags: CreateFlags, ctx: Context): Promise<void> {
  const options = await resolveCreateOptions(flags, ctx);
  const shown = relative(ctx.cwd, options.directory) || '.';
  const installer = chooseInstaller();
  // A project made inside a repository belongs to it: no repository of its own (create-next-app's way).
  const repository = options.git ? await enclosingRepository(options.directory) : undefined;
  const gitSkipped = repository === undefined ? undefined : `inside the repository at ${repository}: no repository of its own`;
  const run = {
    command: 'create',
    dryRun: options.dryRun,
    json: options.json,
    options: {
      directory: options.directory,
      projectName: options.projectName,
      packageName: options.packageName,
      domains: options.domains.map((domain) => domain.name.module),
      extras: options.extras,
      db: options.db,
      layout: options.layout,
      git: options.git,
      install: options.install,
      force: options.force,
    },
    // The install first, so that git's first commit holds uv.lock.
    steps: [
      ...(options.install ? [{ name: 'install', run: installCommandLine(installer) }] : []),
      ...(options.git ? [{ name: 'git', run: gitCommandLine, ...(gitSkipped ? { skip: gitSkipped } : {}) }] : []),
    ],
  };
  if (!options.json) for (const note of options.derivedNames) ctx.log.info(note);
  const created = (plan: Plan) =>
    ctx.log.success(`Created ${shown}: ${plan.renderedFiles().size + 1} files, domains ${options.domains.map((d) => d.name.module).join(', ')}`);

  if (existingEntries(options.directory).length === 0) {
    // A new (or empty) folder: staged beside it and renamed into place whole.
    const plan = new Plan(options.directory);
    planProject(plan, options);
    // No syntax check here: every file create writes is a rendering the build parsed, for each
    // combination of options at both ends of the names' lengths (scripts/check-renderings.mjs).
    const changes = plan.changes();
    if (options.dryRun) {
      reportPlan(ctx, { ...run, changes }, options.json);
      return;
    }
    const signals = trapSignals();
    try {
      await signals.stopIfInterrupted();
      writeNewFolder(options.directory, changes);
      created(plan);
      await signals.reportIfInterrupted();
    } finally {
      signals.release();
    }
  } else {
    // --force into a folder with files: the same transaction as every other command.
    await transact(options.directory, ctx, run, async (plan) => {
      const replaced = foreignFiles(plan, planProject(plan, options));
      if (replaced.length > 0 && !options.dryRun) {
        ctx.log.warn(`--force: replacing files create-layered-backend did not write (or that were changed since): ${replaced.join(', ')}`);
        if (ctx.interactive && !(await ctx.prompt.confirm({ message: 'Replace them?', initialValue: false }))) {
          throw new CancelledError();
        }
      }
      return { replaced, done: () => created(plan) };
    });
  }
  if (options.dryRun) return;

  const cdTo = shellWord(shown);
  const makesRepository = options.git && gitSkipped === undefined;
  const installed = options.install && (await installDependencies(options.directory, cdTo, installer, makesRepository ? gitCommandLine : undefined, ctx));
  if (gitSkipped) ctx.log.info(`git: ${gitSkipped}`);
  else if (options.git) await initGit(options.directory, cdTo, ctx);
  const postgres = options.db === 'postgres' ? { serverUrl: POSTGRES_SERVER, database: options.packageName } : undefined;
  const steps = nextSteps({ directory: shown, packageName: options.packageName, db: options.db, postgres, installer, installed });
  ctx.log.info(['', 'Next steps:', ...steps.map((line) => `  ${line}`)].join('\n'));
  if (ctx.interactive) await ctx.prompt.outro(`${shown} is ready`);
  if (options.install && !installed) {
    throw new CliError(`The dependencies were not installed; the project is complete. To install them: cd ${cdTo} && ${installCommandLine(installer)}`);
  }
}
