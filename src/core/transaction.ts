import { dirname } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { Context, Step } from '../context.js';
import { CliError, InterruptedError, UsageError } from '../errors.js';
import { applyChanges, readJournal, rollBackJournal } from './apply.js';
import { liveHolder, lockProject } from './lock.js';
import { findProjectRoot, loadManifest, type Manifest, planManifest } from './manifest.js';
import { conflictSides } from './merge.js';
import { type Change, Plan, projectModulePlace } from './plan.js';
import { ruffFormat, toolPrefix } from './project.js';
import { fromImportedNames, LINE_LENGTH, shownDefinitions } from './python-source.js';
import { fileNames, type FileNames, moduleNames, syntaxErrorLine } from './python-edit.js';
import { type PlanReport, reportPlan } from './report.js';

/**
 * The one path every command that changes files takes (DESIGN.md, "the edit engine"):
 * lock the project, roll back what an interrupted run left, plan in memory, validate the plan,
 * then print it (--dry-run) or write it all or nothing.
 */

export interface RunOptions {
  command: string;
  dryRun?: boolean;
  json?: boolean;
  /** The resolved options, as the JSON plan shows them. */
  options: Record<string, unknown>;
  /** What runs after the files are written, as the JSON plan shows it. */
  steps?: PlanReport['steps'];
}

/** What a command's planning leaves to say: files it replaces, keeps or merges, and what to print once written. */
export interface Planned extends Pick<PlanReport, 'replaced' | 'kept' | 'merged' | 'conflicts'> {
  /** Prints what the run did, given the full report of it. */
  done(report: PlanReport): void;
}

/** Where and why `text` is not TOML (smol-toml's first line of its message); undefined when it parses. */
export function tomlProblem(text: string): { line: number; reason: string } | undefined {
  try {
    parseToml(text);
    return undefined;
  } catch (error) {
    return { line: (error as { line?: number }).line ?? 1, reason: (error as Error).message.split('\n')[0] as string };
  }
}

/**
 * A TOML file a command is about to edit, refused when it does not parse as it is: whatever its
 * edit looked for would otherwise seem to be missing from it.
 */
export function refuseBrokenToml(path: string, text: string): void {
  const broken = tomlProblem(text);
  if (broken) throw new CliError(`${path} is not valid TOML (${broken.reason}); fix it, then run again`);
}

/** Where and why `text`, planned for `path`, would be a broken Python or TOML file; undefined when it parses. */
export async function syntaxProblem(path: string, text: string): Promise<{ line: number; problem: string } | undefined> {
  if (path.endsWith('.py')) {
    const line = await syntaxErrorLine(text);
    return line === undefined ? undefined : { line, problem: `not be valid Python (line ${line})` };
  }
  const broken = path.endsWith('.toml') ? tomlProblem(text) : undefined;
  return broken && { line: broken.line, problem: `not be valid TOML (${broken.reason})` };
}

/**
 * What a plan must hold before anything is written (create does not call this):
 * - no file made read-only is changed;
 * - every planned Python and TOML file parses: the templates and the edits are the CLI's own, so
 *   one that does not is a bug. Templates shipped as they are were parsed by the build, as was
 *   everything a new project holds and so a router registry printed whole; a file written with
 *   conflict markers is the user's to resolve;
 * - the names of the files it edits still work: none bound twice, none read undefined;
 * - what its new lines import from the project's modules, those modules define.
 */
export async function validatePlan(plan: Plan, changes: Change[]): Promise<void> {
  // A file made read-only is one someone meant to keep as it is (a tool's checkout, a frozen
  // module): writing a new file over it and deleting it would succeed all the same, the folder being writable.
  const readOnly = plan.readOnlyChanged();
  if (readOnly.length > 0) {
    const [files, them] = readOnly.length === 1 ? [`${readOnly[0]} is`, 'it'] : [`${readOnly.join(', ')} are`, 'them'];
    throw new CliError(`${files} read-only, and this command would change ${them}; make ${them} writable (chmod u+w), then run again (nothing was written)`);
  }
  for (const change of changes) {
    if ((change.kind !== 'create' && change.kind !== 'edit') || plan.parsedByBuild(change.path)) continue;
    const [python, before] = [change.kind === 'edit' && change.path.endsWith('.py'), plan.originalText(change.path) ?? ''];
    if (plan.holdsConflicts(change.path)) {
      // The lines merged around the conflicts are written as they are: whichever side of each the
      // user keeps, they must not read a name the file does not define (a side that does not
      // parse, the user's own edit half done, says nothing).
      const sides = python ? conflictSides(change.text) : [];
      const readable: string[] = [];
      for (const side of sides) if ((await syntaxErrorLine(side)) === undefined) readable.push(side);
      if (readable.length > 0) refuseNamesUndefined(change.path, await fileNames(before), await Promise.all(readable.map(fileNames)));
      continue;
    }
    const broken = await syntaxProblem(change.path, change.text);
    if (broken !== undefined) throw new Error(`the planned ${change.path} would ${broken.problem}; nothing was written`);
    if (python) {
      const [was, will] = await Promise.all([fileNames(before), fileNames(change.text)]);
      refuseNamesBoundAgain(change.path, was, will);
      refuseNamesUndefined(change.path, was, [will]);
    }
  }
  await refuseImportsOfNamesGone(plan, changes);
}

/** What to do where a command changes lines the user changed too (a conflict, refused). */
export const OWN_LINES_ADVICE =
  'Those lines are ones you changed and the command changes too: put them back as generated (git diff shows them), run it again, then redo your change';

/**
 * A merge can pass every line-based check and still define a name the team's code already
 * defines in the same scope (their get_by_email, their test of the generated test's name, their
 * `import datetime`): the later definition hides the other (ruff's F811).
 */
function refuseNamesBoundAgain(path: string, before: FileNames, after: FileNames): void {
  for (const [name, lines] of after.bound) {
    const theirs = before.bound.get(name) ?? [];
    if (lines.length < 2 || lines.length <= theirs.length) continue;
    const where = theirs.length > 0 ? `${path}:${theirs[0]} defines ${name}` : `${path} would define ${name} at lines ${lines.join(' and ')}`;
    throw new CliError(`${where}, which this command defines there too, and the later would hide the other; rename yours, then run again (nothing was written)`);
  }
}

/**
 * A merge can pass every line-based check and still read a name the team renamed (`create_user`
 * to `make_user`), or take out a definition (a router's import) a line of theirs still reads: a
 * NameError when the line runs (ruff's F821). Refused where every one of `afters` (the file as
 * planned, or each way its conflicts may be resolved) reads it undefined; a name the file read
 * undefined already (their own business) is left alone.
 */
function refuseNamesUndefined(path: string, before: FileNames, afters: FileNames[]): void {
  for (const name of (afters[0] as FileNames).unbound.keys()) {
    if (before.unbound.has(name) || afters.some((after) => !after.unbound.has(name))) continue;
    const definition = before.bound.get(name)?.[0];
    throw new CliError(
      definition === undefined
        ? `${path}: the lines this command adds there read ${name}, which the file does not define (renamed by hand?); define or import it there again (for a name renamed, an alias will do: ${name} = <the new name>), then run again (nothing was written)`
        : `${path}:${definition} defines ${name}, which this command takes out while code of yours there still reads it; take that use out first, then run again (nothing was written)`,
    );
  }
}

/**
 * What the command's new lines take from the project's modules must be there as planned: a name
 * they import (`from test_users_api import create_user`, `from my_api.core.db import SessionDep`),
 * and a name they read from a module they import (`users_repository.get`). The team may have
 * renamed it there (`create_user` to `make_user`), and the import, or the call, would fail. Read
 * from the module's text first; only one that shows no definition of the name where the
 * generator writes one is parsed, so a project as generated loads no parser for it.
 */
async function refuseImportsOfNamesGone(plan: Plan, changes: Change[]): Promise<void> {
  /** `module.attr` read in `text`: each module binding with the names read from it. */
  const attributeReads = (text: string) => {
    const reads = new Map<string, Set<string>>();
    for (const [, binding = '', name = ''] of text.matchAll(/(?<![\w.])(\w+)\.(\w+)/g)) reads.set(binding, (reads.get(binding) ?? new Set()).add(name));
    return reads;
  };
  /** Each answer once per run: a plan creates several files importing the same modules. */
  const once = <T>(answers: Map<string, T>, key: string, answer: () => T): T => {
    if (!answers.has(key)) answers.set(key, answer());
    return answers.get(key) as T;
  };
  const [places, files, checked] = [new Map<string, string | undefined>(), new Map<string, string | undefined>(), new Set<string>()];
  /** Where the project keeps a module a file imports; undefined: not the project's, not worth reading. */
  const placeOf = (module: string, importer: string) => once(places, `${module} ${dirname(importer)}`, () => projectModulePlace(plan, module, importer));
  /** The first of `paths` the plan has a file at. */
  const found = (paths: string[]) => once(files, paths.join(' '), () => paths.find((path) => plan.read(path) !== undefined));
  const definitions = new Map<string, ReturnType<typeof shownDefinitions>>();
  const refuse = async (path: string, use: string, target: string, name: string) => {
    const text = plan.read(target) as string;
    const shown = once(definitions, target, () => shownDefinitions(text));
    if (shown.all || shown.names.has(name) || checked.has(`${target} ${name}`)) return;
    // Not where the generator writes definitions: read as Python reads it (under an `if`, a `try`).
    if (!(await moduleNames(text)).has(name)) {
      throw new CliError(
        `${path}: the lines this command adds there ${use}, which ${target} does not define (renamed by hand?); define ${name} there again (for a name renamed, an alias will do: ${name} = <the new name>), then run again (nothing was written)`,
      );
    }
    checked.add(`${target} ${name}`);
  };
  for (const change of changes) {
    if ((change.kind !== 'create' && change.kind !== 'edit') || !change.path.endsWith('.py') || plan.holdsConflicts(change.path)) continue;
    const before = plan.originalText(change.path) ?? '';
    const already = new Set(fromImportedNames(before).map(({ module, name }) => `${module} ${name}`));
    const [readsBefore, reads] = [attributeReads(before), attributeReads(change.text)];
    for (const { module, name, binding } of fromImportedNames(change.text)) {
      // A module's own dunders (`domains.__path__`) are no names it defines.
      const newReads = [...(reads.get(binding) ?? [])].filter((attribute) => !readsBefore.get(binding)?.has(attribute) && !/^__\w+__$/.test(attribute));
      if (already.has(`${module} ${name}`) && newReads.length === 0) continue;
      const modulePlace = placeOf(module, change.path);
      const target = modulePlace === undefined ? undefined : found([`${modulePlace}.py`, `${modulePlace}/__init__.py`]);
      // Not the project's (or not there: a module deleted is another matter).
      if (target === undefined) continue;
      // Only a package (an __init__.py) holds submodules: a name from a module is one it defines.
      const place = target.endsWith('/__init__.py') ? target.slice(0, -'/__init__.py'.length) : undefined;
      const submodule = place === undefined ? undefined : found([`${place}/${name}.py`, `${place}/${name}/__init__.py`]);
      if (submodule !== undefined) {
        for (const attribute of newReads) await refuse(change.path, `read ${binding}.${attribute}`, submodule, attribute);
      } else if (!already.has(`${module} ${name}`) && (place === undefined || !plan.occupied(`${place}/${name}`))) {
        await refuse(change.path, `import ${name} from ${module}`, target, name);
      }
    }
  }
}

const TRAPPED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Lets the event loop run once, so a signal that arrived during synchronous work is delivered. */
const deliverSignals = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Holds Ctrl-C and kills while a command owns the project: the write phase is synchronous, so a
 * signal is seen only before it starts (nothing written: cancelled) or after it ends (all written).
 * `onSignal` hears of each signal as it arrives (to stop a child process).
 */
export function trapSignals(onSignal?: (signal: NodeJS.Signals) => void) {
  let received: NodeJS.Signals | undefined;
  const note = (signal: NodeJS.Signals) => {
    received ??= signal;
    onSignal?.(signal);
  };
  for (const signal of TRAPPED) process.on(signal, note);
  return {
    received: () => received,
    /** Before writing: an interrupted run stops here, with nothing written. */
    async stopIfInterrupted(): Promise<void> {
      await deliverSignals();
      if (received) throw new InterruptedError('Cancelled; nothing was written', received);
    },
    /** After writing: the changes are complete, and the run still ends as interrupted. */
    async reportIfInterrupted(): Promise<void> {
      await deliverSignals();
      if (received) throw new InterruptedError('Interrupted after every change was written; the project is complete', received);
    },
    release(): void {
      for (const signal of TRAPPED) process.off(signal, note);
    },
  };
}

/** Rolls back an interrupted run's journal, if one is there, and says so. */
function recover(root: string, ctx: Pick<Context, 'log'>): void {
  const journal = readJournal(root);
  if (journal === undefined) return;
  const kept = rollBackJournal(root, journal);
  if (journal === 'leftovers') return;
  const rolledBack = `Rolled back an interrupted ${journal.command} (pid ${journal.pid}, started ${journal.started}): ${journal.steps.length} steps undone`;
  ctx.log.warn(
    kept.length === 0
      ? `${rolledBack}, the project is as it was before it.`
      : `${rolledBack}, except ${kept.join(', ')}, changed there since it began and left as it is: check that fits the project as it is now.`,
  );
}

/**
 * Runs `build` on a plan of the existing folder `root` and writes the result as one transaction.
 * `build` returns what to print once the plan is written.
 */
export async function transact(
  root: string,
  ctx: Pick<Context, 'log'>,
  run: RunOptions,
  build: (plan: Plan) => Promise<Planned> | Planned,
): Promise<void> {
  const report = (planned: Planned, changes: Change[]): PlanReport => ({
    command: run.command,
    options: run.options,
    steps: run.steps,
    changes,
    replaced: planned.replaced,
    kept: planned.kept,
    merged: planned.merged,
    conflicts: planned.conflicts,
  });
  if (run.dryRun) {
    if (readJournal(root) !== undefined) {
      const holder = liveHolder(root);
      throw new CliError(
        holder === undefined
          ? `An interrupted run left ${root} half-changed; run the command without --dry-run to roll it back first`
          : `${holder} is writing to ${root} right now; run the dry run again once it has finished`,
      );
    }
    const plan = new Plan(root);
    const planned = await build(plan);
    const changes = plan.changes();
    await validatePlan(plan, changes);
    reportPlan(ctx, report(planned, changes), run.json ?? false);
    return;
  }
  const signals = trapSignals();
  let unlock: (() => void) | undefined;
  let succeeded = false;
  try {
    let waiting: Step | undefined;
    unlock = await lockProject(root, run.command, (message) => (waiting = ctx.log.step(message)), signals.received);
    waiting?.done('its turn came');
    recover(root, ctx);
    const plan = new Plan(root);
    const planned = await build(plan);
    const changes = plan.changes();
    await validatePlan(plan, changes);
    await signals.stopIfInterrupted();
    const changed = plan.changedSinceRead();
    if (changed.length > 0) {
      throw new CliError(`Changed by something else while planning: ${changed.join(', ')}; nothing was written, run again`);
    }
    if (changes.length > 0) applyChanges(root, changes, run.command);
    planned.done(report(planned, changes));
    await signals.reportIfInterrupted();
    succeeded = true;
  } finally {
    let unlockFailure: unknown;
    try {
      unlock?.();
    } catch (error) {
      unlockFailure = error;
    }
    signals.release();
    // Removing the lock failing too (a file system gone read-only) must not hide why a run failed;
    // the next run finds the lock's process gone and takes it over.
    if (succeeded && unlockFailure !== undefined) throw unlockFailure;
  }
}

/** The commands that print new lines from the templates into files (the others move or remove lines there). */
const PRINTING_COMMANDS = new Set(['add-domain', 'add-field', 'add-flow', 'upgrade']);

/** `transact` on the project around `ctx.cwd`, with its manifest read and kept up to date. */
export function editProject(
  ctx: Pick<Context, 'cwd' | 'log'>,
  run: RunOptions,
  build: (plan: Plan, manifest: Manifest) => Promise<Planned> | Planned,
): Promise<void> {
  if (run.json && !run.dryRun) throw new UsageError(`--json prints the plan of a dry run: add --dry-run`);
  return transact(findProjectRoot(ctx.cwd), ctx, run, async (plan) => {
    const manifest = loadManifest(plan);
    const format = ruffFormat(plan);
    plan.indentPythonWith(format.indent);
    const planned = await build(plan, manifest);
    planManifest(plan, manifest);
    // Lines are printed as ruff format leaves them with create's settings; printing them for others
    // is ruff format's job. Every command's new files are printed (remove-field's migration, flip's
    // new package), and the lines the printing commands put into files.
    const printsPython = () =>
      plan.changes().some((change) => change.path.endsWith('.py') && (change.kind === 'create' || (change.kind === 'edit' && PRINTING_COMMANDS.has(run.command))));
    if (format.unfollowed.length > 0 && printsPython()) {
      const longer = format.lineLength < LINE_LENGTH ? ` (ruff check may still find a comment too long for ${format.lineLength})` : '';
      ctx.log.warn(
        `ruff format here has ${format.unfollowed.join(', ')}, and the Python lines this writes are printed as create's settings have them: \`${toolPrefix(plan)}ruff format\` reprints them${longer}.`,
      );
    }
    return planned;
  });
}
