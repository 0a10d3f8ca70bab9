import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Context } from '../../context.js';
import { CliError, describeError, UsageError } from '../../errors.js';
import { domainRouterRegistration, MIGRATIONS_DIR, routerRegistry, sharedRouterRegistration } from '../../core/domain.js';
import { contractLines, PYPROJECT } from '../../core/flow.js';
import { MANIFEST_FILE, type Manifest } from '../../core/manifest.js';
import { unresolvedConflicts } from '../../core/merge.js';
import { byCodePoint } from '../../core/order.js';
import type { Plan } from '../../core/plan.js';
import { importedModules } from '../../core/python-edit.js';
import { routerInclude } from '../../core/python-source.js';
import { changeLines } from '../../core/report.js';
import { editProject } from '../../core/transaction.js';
import { VERSION } from '../../package.js';
import { type BaseOption, checkBaseOption, type CliPackage, installPackage, packageIn, packagePlans } from './base.js';
import { changesBetween, compareVersions, isVersion } from './changelog.js';
import { type Conflict, reconcile } from './reconcile.js';
import { examplesDomain, ownPlans, type Rendering, replay, replayOrder, replaySteps, type ReplayStep } from './replay.js';

export interface UpgradeOptions {
  dryRun?: boolean;
  json?: boolean;
  /** The version to upgrade to: this CLI's own (a guard for scripts that pin one). */
  to?: string;
  /** The project's version of the package, to render the merge's base: a tarball or a built checkout. */
  base?: string;
}

/**
 * The domains and flows whose routers routers/__init__.py imports, in the order it includes them
 * (the flows among them in their contracts' order).
 * One it no longer imports was removed (remove-domain keeps the files the user changed, and their
 * record) or is registered by hand elsewhere: its files are the user's, and upgrade leaves them.
 */
async function registeredRouters(plan: Plan, manifest: Manifest): Promise<{ registered: string[]; unregistered: string[] }> {
  const pkg = manifest.options.packageName;
  const registryFile = routerRegistry(pkg);
  const registry = plan.read(registryFile) ?? '';
  const [unresolved] = unresolvedConflicts(registry);
  if (unresolved !== undefined) throw new CliError(`${registryFile}:${unresolved} still holds conflict markers: resolve them, then run upgrade again`);
  const imported = new Set((await importedModules(registry, registryFile)).map(({ module }) => module));
  const names = [...Object.keys(manifest.domains), ...Object.keys(manifest.flows)];
  const place = { packageName: pkg, layout: manifest.options.layout };
  const registration = (name: string) => (manifest.domains[name] ? domainRouterRegistration(place, name) : sharedRouterRegistration(pkg, name));
  const position = (name: string) => {
    const at = registry.indexOf(routerInclude(registration(name)));
    return at < 0 ? Number.MAX_SAFE_INTEGER : at;
  };
  const registered = names.filter((name) => imported.has(registration(name).module));
  registered.sort((a, b) => position(a) - position(b) || byCodePoint(a, b));
  // The flows keep their places among the domains, taken in the order of their contracts in
  // pyproject.toml (add-flow appends each), which a registry reordered by hand does not change.
  const pyproject = plan.read(PYPROJECT) ?? '';
  const contractAt = (flow: string) => contractLines(pyproject, flow)?.[0] ?? Number.MAX_SAFE_INTEGER;
  const flows = registered.filter((name) => manifest.flows[name]).sort((a, b) => contractAt(a) - contractAt(b));
  const ordered = registered.map((name) => (manifest.flows[name] ? (flows.shift() as string) : name));
  return { registered: ordered, unregistered: names.filter((name) => !registered.includes(name)).sort(byCodePoint) };
}

/**
 * The base: the project's version of the CLI replaying the manifest. From --base, or else npm's
 * registry (or its cache). Undefined, with a warning that says why, when the registry's cannot be
 * had; a --base that cannot be used is an error.
 */
async function renderBase(from: string, base: BaseOption | undefined, steps: ReplayStep[], scratch: string, ctx: Pick<Context, 'log'>): Promise<Rendering | undefined> {
  const unavailable = (reason: string) => {
    ctx.log.warn(
      `No base to merge against (${reason}): files changed both by you and by the templates get both versions marked in them, to merge by hand. ` +
        `To merge three-way, give create-layered-backend ${from} with --base <tarball or built checkout>.`,
    );
    return undefined;
  };
  let cli: CliPackage;
  try {
    if (base === undefined) cli = await installPackage(`create-layered-backend@${from}`, join(scratch, 'package'));
    else cli = base.kind === 'folder' ? packageIn(base.path) : await installPackage(base.path, join(scratch, 'package'));
  } catch (error) {
    if (base !== undefined) throw new CliError(`--base ${base.path}: ${describeError(error)}`);
    return unavailable(`create-layered-backend ${from} cannot be had: ${describeError(error)}`);
  }
  if (cli.version !== from) {
    ctx.log.warn(`--base is create-layered-backend ${cli.version}, and the project was made by ${from}: files it does not render as ${from} recorded them get both versions marked.`);
  }
  try {
    return await replay(packagePlans(cli), steps, join(scratch, 'base'));
  } catch (error) {
    const reason = `create-layered-backend ${cli.version} could not render the project again: ${describeError(error)}`;
    if (base !== undefined) throw new CliError(`${reason}; without --base, the files changed on both sides are left to merge by hand`);
    return unavailable(reason);
  }
}

/**
 * What this version renders for the project (theirs) and what its own version rendered (the base),
 * each replayed in a scratch folder removed afterwards.
 */
async function renderings(manifest: Manifest, registered: string[], base: BaseOption | undefined, ctx: Context): Promise<{ theirs: Rendering; base?: Rendering }> {
  const from = manifest.generator.version;
  const scratch = mkdtempSync(join(tmpdir(), 'clb-upgrade-'));
  try {
    let steps: ReplayStep[];
    let theirs: Rendering;
    try {
      steps = replaySteps(manifest, replayOrder(manifest, registered));
      theirs = await replay(ownPlans(ctx), steps, join(scratch, 'theirs'));
    } catch (error) {
      throw new CliError(`create-layered-backend ${VERSION} cannot render this project again: ${describeError(error)}; nothing was written`);
    }
    // The project's own version needs no other package: its rendering is this one's.
    if (from === VERSION && base === undefined) return { theirs, base: theirs };
    return { theirs, base: await renderBase(from, base, steps, scratch, ctx) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Each registered domain's and flow's files as this version renders them; a domain's migrations stay. */
function recordFiles(manifest: Manifest, registered: string[], theirs: Rendering): void {
  for (const name of registered) {
    const domain = manifest.domains[name];
    const flow = manifest.flows[name];
    if (domain) domain.files = [...domain.files.filter((path) => path.startsWith(`${MIGRATIONS_DIR}/`)), ...(theirs.domainFiles[name] ?? [])].sort(byCodePoint);
    else if (flow) flow.files = theirs.flowFiles[name] ?? [];
  }
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

export async function runUpgrade(options: UpgradeOptions, ctx: Context): Promise<void> {
  if (options.to !== undefined) {
    if (!isVersion(options.to)) throw new UsageError(`--to ${options.to}: not a version (major.minor.patch)`);
    if (options.to !== VERSION) {
      throw new UsageError(`This is create-layered-backend ${VERSION}, which upgrades to ${VERSION} only; for ${options.to}: npx create-layered-backend@${options.to} upgrade`);
    }
  }
  const basePath = options.base === undefined ? undefined : resolve(ctx.cwd, options.base);
  const base = basePath === undefined ? undefined : { path: basePath, kind: checkBaseOption(basePath) };
  const run = { command: 'upgrade', dryRun: options.dryRun, json: options.json, options: { to: VERSION, base: basePath ?? null } };
  let conflicts: Conflict[] = [];
  await editProject(ctx, run, async (plan, manifest) => {
    const from = manifest.generator.version;
    if (!isVersion(from)) throw new CliError(`${MANIFEST_FILE}: generator.version "${from}" is not a version; restore it from version control`);
    if (compareVersions(from, VERSION) > 0) {
      throw new CliError(`The project was made by create-layered-backend ${from}, newer than this one (${VERSION}): npx create-layered-backend@${from} upgrade`);
    }
    const { registered, unregistered } = await registeredRouters(plan, manifest);
    if (unregistered.length > 0) {
      ctx.log.warn(`Left as they are: ${unregistered.join(', ')} (routers/__init__.py does not import their routers: removed, or registered elsewhere).`);
    }
    // Checked before anything is rendered; a manifest before format 5 gets it recorded below.
    const examples = examplesDomain(manifest, registered);
    const rendered = await renderings(manifest, registered, base, ctx);
    const unregisteredFiles = new Set(unregistered.flatMap((name) => (manifest.domains[name] ?? manifest.flows[name])?.files ?? []));
    const reconciled = await reconcile(plan, manifest, rendered.theirs, rendered.base, (path) => !unregisteredFiles.has(path));
    conflicts = reconciled.conflicts;
    recordFiles(manifest, registered, rendered.theirs);
    manifest.examples ??= examples;
    manifest.generator.version = VERSION;
    const changes = from === VERSION ? '' : changesBetween(from, VERSION);
    if (changes !== '' && options.dryRun && !options.json) ctx.log.info(`What changed from ${from} to ${VERSION}:\n\n${changes}\n`);
    return {
      kept: [...reconciled.kept, ...reconciled.disowned, ...reconciled.inTheWay],
      merged: reconciled.merged,
      conflicts: conflicts.map(({ path, lines }) => ({ path, lines })),
      done(report) {
        if (report.changes.length === 0) {
          // Conflicts left from an earlier run are said below, by the error.
          if (conflicts.length === 0) ctx.log.success(`Up to date with create-layered-backend ${VERSION}: nothing to change.`);
          return;
        }
        ctx.log.success(from === VERSION ? `Rendered again by create-layered-backend ${VERSION}:` : `Upgraded from create-layered-backend ${from} to ${VERSION}:`);
        ctx.log.info(changeLines(report));
        if (reconciled.merged.length > 0) ctx.log.info(`Merged with your changes (worth a look): ${reconciled.merged.join(', ')}`);
        if (reconciled.disowned.length > 0) ctx.log.info(`No longer generated, kept as yours: ${reconciled.disowned.join(', ')}`);
        if (reconciled.inTheWay.length > 0) ctx.log.warn(`Not written, a file of yours is where the templates now have one: ${reconciled.inTheWay.join(', ')}`);
        if (changes !== '') ctx.log.info(`\nWhat changed:\n\n${changes}`);
      },
    };
  });
  if (conflicts.length === 0) return;
  const where = conflicts.map(({ path, lines }) => `${path}:${lines[0]}`).join(', ');
  const twoWay = conflicts.some((conflict) => conflict.twoWay) ? ' (without a base, every difference is marked: keep your lines and take the new ones)' : '';
  // A dry run exits as the run would, so a script that checks first sees the conflicts.
  if (options.dryRun) throw new CliError(`Would leave conflict markers in ${plural(conflicts.length, 'file')}: ${where}${twoWay}; the run writes them and exits 1 for you to resolve them (nothing was written)`);
  throw new CliError(`Conflicts to resolve in ${plural(conflicts.length, 'file')}: ${where}${twoWay}. Edit the marked lines (<<<<<<< ours ... >>>>>>> theirs), then run upgrade again.`);
}
