import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Context } from '../../context.js';
import { CliError, describeError } from '../../errors.js';
import { writeFileNamed } from '../../core/apply.js';
import { MIGRATIONS_DIR, recordedFields, routerRegistry } from '../../core/domain.js';
import { refuseColumnsRowsCannotTake } from '../../core/evolve.js';
import { DEFAULT_FIELDS, type Field, parseFields, splitFieldSpec } from '../../core/fields.js';
import { hasJobExamples, type Manifest, MANIFEST_FILE, parseManifest } from '../../core/manifest.js';
import { domainName } from '../../core/names.js';
import { isConfinedPath } from '../../core/plan.js';
import { importedModules } from '../../core/python-edit.js';
import { importedAs } from '../../core/removal.js';
import { PLAN_FORMAT } from '../../core/report.js';
import { runCommandLine } from '../../program.js';

/**
 * A project rendered again from its manifest, by any version of this CLI: the version's own
 * commands replay what the manifest records (create with its answers, each domain with its fields,
 * each flow), each asked for its plan with `--dry-run --json` and the plan applied in a scratch
 * folder. Those command lines and the JSON plan are the contract between versions: a later version
 * renders this one's base the same way. Nothing of the project itself is read or written.
 */

/** One command of the replay; it runs with --dry-run --json. */
export type ReplayStep =
  | { command: 'create'; options: Manifest['options']; domain: string }
  | { command: 'remove-domain'; name: string }
  | { command: 'add-domain'; name: string; fields: string }
  | { command: 'add-field'; domain: string; fields: string }
  | { command: 'remove-field'; domain: string; field: string }
  | { command: 'add-flow'; name: string; uses: string[] };

/** create needs a domain: a project whose domains were all removed is created with this one, removed again. */
const PLACEHOLDER = 'placeholders';

/** The step's command line, as 0.1.0 reads it (and every later version must). */
export function stepArguments(step: ReplayStep): string[] {
  switch (step.command) {
    case 'create': {
      const { projectName, packageName, db, extras, layout } = step.options;
      // `./`: a path is never taken for a mistyped command.
      const where = [`./${projectName}`, '--name', packageName, '--db', db, '--domains', step.domain];
      // --layout only when not the default: versions before 0.2.0 have layer-first only, and no such flag.
      const layoutFlag = layout === 'domain-first' ? ['--layout', layout] : [];
      return [...where, ...layoutFlag, ...(extras.length > 0 ? ['--extras', extras.join(',')] : []), '--yes', '--no-install', '--no-git', '--dry-run', '--json'];
    }
    case 'remove-domain':
      return ['remove-domain', step.name, '--purge', '--dry-run', '--json'];
    case 'add-domain':
      return ['add-domain', step.name, '--fields', step.fields, '--dry-run', '--json'];
    case 'add-field':
      return ['add-field', step.domain, step.fields, '--dry-run', '--json'];
    case 'remove-field':
      return ['remove-field', step.domain, step.field, '--dry-run', '--json'];
    case 'add-flow':
      return ['add-flow', step.name, '--uses', step.uses.join(','), '--dry-run', '--json'];
  }
}

/**
 * Whether a domain with the recorded `fields` can be create's domain grown by add-field, in order:
 * create's field first or gone (add-field appends, and a field of create's name spelled otherwise
 * would be added twice), and every other one a column add-field gives a table that may hold rows
 * (core/evolve.ts). A domain add-domain made after create's own were removed may be neither
 * (`sku:str`, `x:int=1, name:str`); it is added as any other domain, after a create whose
 * placeholder domain is then removed.
 */
function madeByCreate(fields: string): boolean {
  const recorded = splitFieldSpec(fields);
  const created = parseFields(DEFAULT_FIELDS)[0] as Field;
  try {
    const parsed = recorded.map((spec) => parseFields(spec, (target) => domainName(target).module)[0] as Field);
    const grown = recorded[0] === DEFAULT_FIELDS ? parsed.slice(1) : parsed;
    if (grown.some((field) => field.name === created.name)) return false;
    return rowsCanTake(grown);
  } catch {
    return false;
  }
}

/** Whether add-field can add `fields` to a table that may hold rows (core/evolve.ts). */
function rowsCanTake(fields: Field[]): boolean {
  try {
    refuseColumnsRowsCannotTake(fields);
    return true;
  } catch {
    return false;
  }
}

/** A field name none of `fields` has, for a domain added before what its first field refers to. */
function standIn(fields: Field[]): string {
  for (let n = 1; ; n += 1) {
    const name = n === 1 ? 'replay_stand_in' : `replay_stand_in_${n}`;
    if (!fields.some((field) => field.name === name)) return name;
  }
}

/**
 * The domain the workers' and schedulers' example jobs call, when the project has them: the one
 * the manifest records, or before format 5 the registry's first (`order`), as create made it.
 */
export function examplesDomain(manifest: Manifest, order: string[]): string | undefined {
  if (!hasJobExamples(manifest.options.extras)) return undefined;
  const recorded = manifest.examples;
  if (recorded === undefined) return order.find((name) => manifest.domains[name] !== undefined);
  let module: string | undefined;
  try {
    module = domainName(recorded).module;
  } catch {
    // Refused as a domain name: handled below, as any name that is not a module.
  }
  if (module !== recorded) throw new CliError(`${MANIFEST_FILE}: examples: "${recorded}" is not a domain's module name; restore it from version control`);
  return recorded;
}

/** The domains a domain's fields refer to, or a flow uses. */
function dependencies(manifest: Manifest, name: string): string[] {
  const flow = manifest.flows[name];
  if (flow) return flow.uses;
  return recordedFields(manifest, name).flatMap((field) => field.reference?.domain ?? []).filter((domain) => domain !== name);
}

/**
 * `registered` (the domains and flows routers/__init__.py includes, in order), then the domains
 * whose router was taken out of it by hand that they refer to or use, so the replay can add them:
 * upgrade leaves those domains' files as they are, and their router lines out of the registry.
 */
export function replayOrder(manifest: Manifest, registered: string[]): string[] {
  const order = [...registered];
  for (let at = 0; at < order.length; at += 1) {
    for (const domain of dependencies(manifest, order[at] as string)) {
      if (!order.includes(domain) && manifest.domains[domain] && !manifest.domains[domain].removed) order.push(domain);
    }
  }
  return order;
}

/**
 * The manifest's project as commands: create with its answers and the first domain in `order`
 * (the order the router registry includes them, which the registry's text keeps: create's domains
 * first), as create made it, then each other domain and flow in `order`. A domain is added with
 * its recorded fields up to the first reference to a domain not added yet (a reference add-field
 * gave it later, maybe in a cycle); those fields are added after every domain, by add-field, as
 * they were. When that leaves add-domain no field but references, the domain is added with a
 * stand-in field that comes out again after all its fields are added. Fields add-field cannot add
 * (core/evolve.ts) wait instead, and their domain with them, for the domains they refer to. The
 * first domain gets its fields beyond create's by add-field, and loses create's field by
 * remove-field if the record no longer has it. A flow waits for the domains it uses, and for the
 * flows before it (add-flow appends its contract to pyproject.toml).
 *
 * The workers' and schedulers' example jobs call the domain create was given first, which the
 * manifest records (before format 5: taken to be the registry's first). When that domain is not
 * the registry's first any more (routers reordered, the domain removed), or create cannot have
 * made it as it is (madeByCreate), create is given it all the same, for the examples, and it is
 * removed again (replay sets the examples aside meanwhile); every domain in `order` is then added
 * by add-domain. A project without examples takes a placeholder domain for that.
 */
export function replaySteps(manifest: Manifest, order: string[]): ReplayStep[] {
  const earliest = order.find((name) => manifest.domains[name] !== undefined);
  const examples = examplesDomain(manifest, order);
  const grows = earliest !== undefined && (examples ?? earliest) === earliest && madeByCreate((manifest.domains[earliest] as Manifest['domains'][string]).fields);
  const first = grows ? earliest : undefined;
  const created = first ?? examples ?? PLACEHOLDER;
  const steps: ReplayStep[] = [{ command: 'create', options: manifest.options, domain: created }];
  if (first === undefined) steps.push({ command: 'remove-domain', name: created });
  const later: ReplayStep[] = [];
  const added = new Set<string>();
  let waiting = [...order];
  while (waiting.length > 0) {
    const before = waiting.length;
    waiting = waiting.filter((name) => {
      const flow = manifest.flows[name];
      if (flow) {
        // add-flow appends the flow's contract: flows go in `order` (their contracts'), each after its domains.
        const flowsBefore = order.slice(0, order.indexOf(name)).filter((other) => manifest.flows[other]);
        if (!flow.uses.every((domain) => added.has(domain)) || !flowsBefore.every((other) => added.has(other))) return true;
        steps.push({ command: 'add-flow', name, uses: flow.uses });
        added.add(name);
        return false;
      }
      const recorded = splitFieldSpec((manifest.domains[name] as Manifest['domains'][string]).fields);
      // create's domain already has create's field, first.
      const specs = name === first && recorded[0] === DEFAULT_FIELDS ? recorded.slice(1) : recorded;
      const fields = specs.map((spec) => parseFields(spec, (target) => domainName(target).module)[0] as Field);
      const ahead = fields.findIndex(({ reference }) => reference !== undefined && reference.domain !== name && !added.has(reference.domain));
      const split = ahead < 0 ? fields.length : ahead;
      const now = specs.slice(0, split).join(', ');
      const rest = specs.slice(split).join(', ');
      if (name === first) {
        if (now !== '') steps.push({ command: 'add-field', domain: name, fields: now });
        if (rest !== '') later.push({ command: 'add-field', domain: name, fields: rest });
        if (recorded[0] !== DEFAULT_FIELDS) later.push({ command: 'remove-field', domain: name, field: (parseFields(DEFAULT_FIELDS)[0] as Field).name });
      } else if (fields.slice(0, split).some((field) => !field.reference) && rowsCanTake(fields.slice(split))) {
        // add-domain needs a field besides references.
        steps.push({ command: 'add-domain', name, fields: now });
        if (rest !== '') later.push({ command: 'add-field', domain: name, fields: rest });
      } else if (rowsCanTake(fields)) {
        // Added in its place all the same, with a field of the replay's own that its fields replace.
        const stand = standIn(fields);
        steps.push({ command: 'add-domain', name, fields: `${stand}:int?` });
        later.push({ command: 'add-field', domain: name, fields: specs.join(', ') }, { command: 'remove-field', domain: name, field: stand });
      } else {
        // A field add-field cannot add waits for the domain it refers to, and so does the domain.
        return true;
      }
      added.add(name);
      return false;
    });
    if (waiting.length === before) {
      throw new Error(`${waiting.join(', ')} cannot be added again in any order: each waits for a domain or flow that waits for it`);
    }
  }
  return [...steps, ...later];
}

/** Asks a version of the CLI for a step's plan, run in `cwd`; resolves to the JSON it printed. */
export type PlanSource = (step: ReplayStep, cwd: string) => Promise<string>;

/** This version, in this process: the command line parsed as the bin would, its plan caught on the way out. */
export function ownPlans(ctx: Context): PlanSource {
  return async (step, cwd) => {
    const printed: string[] = [];
    const ignore = () => undefined;
    const log = { info: ignore, success: ignore, warn: ignore, raw: (text: string) => void printed.push(text), step: () => ({ done: ignore, fail: ignore }) };
    await runCommandLine(stepArguments(step), { ...ctx, cwd, interactive: false, log });
    return printed.join('');
  };
}

/** What a replay gives: the project as that version renders it for the recorded answers. */
export interface Rendering {
  /** Every file but the migrations (history, never rendered again) and the manifest. */
  files: Map<string, string>;
  /**
   * Files a step edited after an earlier one made them (the router registry, pyproject.toml with a
   * flow's contract). A command records such a file's new hash only while the user left it as
   * generated, so a project's record of it can be older than this rendering.
   */
  editedAfter: Set<string>;
  /** Each domain's and flow's files, migrations left out, as the replay's manifest lists them. */
  domainFiles: Record<string, string[]>;
  flowFiles: Record<string, string[]>;
}

interface JsonPlan {
  format?: unknown;
  changes?: Array<{ action?: unknown; path?: unknown; content?: unknown }>;
}

/** Applies a step's JSON plan to the scratch project `root`; returns the paths it edited. */
function applyPlan(json: string, root: string): string[] {
  const plan = JSON.parse(json) as JsonPlan;
  if (plan.format !== PLAN_FORMAT) throw new Error(`its plan is format ${String(plan.format)}, and this version reads format ${PLAN_FORMAT}`);
  const edited: string[] = [];
  for (const { action, path, content } of plan.changes ?? []) {
    if (typeof path !== 'string' || !isConfinedPath(path)) throw new Error(`its plan names the path ${String(path)}, outside the project`);
    const target = join(root, path);
    if (action === 'mkdir') mkdirSync(target, { recursive: true });
    else if (action === 'delete' || action === 'rmdir') rmSync(target, { recursive: true, force: true });
    else if (action === 'create' || action === 'edit' || action === 'replace') {
      mkdirSync(dirname(target), { recursive: true });
      writeFileNamed(target, String(content));
      if (action !== 'create') edited.push(path);
    } else if (action !== 'keep') throw new Error(`its plan has an action "${String(action)}" this version does not know`);
  }
  return edited;
}

/** Every file under `root` but the manifest and the migrations, with its text. */
function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (path === MANIFEST_FILE || path.startsWith(`${MIGRATIONS_DIR}/`)) continue;
    files.set(path, readFileSync(join(root, path), 'utf8'));
  }
  return files;
}

const withoutMigrations = (files: string[]) => files.filter((path) => !path.startsWith(`${MIGRATIONS_DIR}/`));

/**
 * The scratch project's files that import a module of the domain `name` (the job examples that call
 * create's domain), with their text: all but the domain's own and the router registry, which
 * remove-domain edits. It refuses to remove a domain while other code imports it.
 */
async function filesImporting(root: string, name: string): Promise<Map<string, string>> {
  const manifest = parseManifest(readFileSync(join(root, MANIFEST_FILE), 'utf8'), MANIFEST_FILE);
  const own = new Set(manifest.domains[name]?.files ?? []);
  const modules = [...own].map(importedAs).filter((module) => module !== undefined);
  const importing = new Map<string, string>();
  for (const [path, text] of readTree(root)) {
    if (own.has(path) || path === routerRegistry(manifest.options.packageName) || !path.endsWith('.py')) continue;
    const imported = await importedModules(text, path);
    if (imported.some(({ module }) => modules.some((gone) => module === gone || module.startsWith(`${gone}.`)))) importing.set(path, text);
  }
  return importing;
}

/**
 * Runs a remove-domain step of the domain create was given for the job examples: the files that
 * import it are emptied while it runs and put back after, as create wrote them. Returns the paths
 * the step edited.
 */
async function removeSettingAside(plans: PlanSource, step: ReplayStep & { command: 'remove-domain' }, root: string): Promise<string[]> {
  const setAside = await filesImporting(root, step.name);
  for (const path of setAside.keys()) writeFileNamed(join(root, path), '');
  const edited = applyPlan(await plans(step, root), root);
  for (const [path, text] of setAside) {
    if (!existsSync(join(root, path)) || edited.includes(path)) throw new Error(`it changed ${path}, which it was to leave alone`);
    writeFileNamed(join(root, path), text);
  }
  return edited;
}

/**
 * Replays `steps` with `plans` in the new folder `scratch`. A step that fails rejects with the
 * step's command line and the reason.
 */
export async function replay(plans: PlanSource, steps: ReplayStep[], scratch: string): Promise<Rendering> {
  const [create] = steps as [Extract<ReplayStep, { command: 'create' }>];
  const root = join(scratch, create.options.projectName);
  const editedAfter = new Set<string>();
  mkdirSync(scratch, { recursive: true });
  for (const [index, step] of steps.entries()) {
    try {
      // Only the job examples import create's domain: without them nothing is set aside.
      const edited =
        step.command === 'remove-domain' && hasJobExamples(create.options.extras)
          ? await removeSettingAside(plans, step, root)
          : applyPlan(await plans(step, index === 0 ? scratch : root), root);
      if (index > 0) for (const path of edited) editedAfter.add(path);
    } catch (error) {
      const command = stepArguments(step).map((arg) => (/[\s"]/.test(arg) ? JSON.stringify(arg) : arg));
      throw new Error(`"create-layered-backend ${command.join(' ')}" failed: ${describeError(error)}`);
    }
  }
  const manifest = parseManifest(readFileSync(join(root, MANIFEST_FILE), 'utf8'), MANIFEST_FILE);
  const listed = (records: Record<string, { files: string[] }>) =>
    Object.fromEntries(Object.entries(records).map(([name, record]) => [name, withoutMigrations(record.files)]));
  const files = readTree(root);
  return { files, editedAfter: new Set([...editedAfter].filter((path) => files.has(path))), domainFiles: listed(manifest.domains), flowFiles: listed(manifest.flows) };
}
