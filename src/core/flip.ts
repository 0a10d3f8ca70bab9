import { CliError } from '../errors.js';
import { recordedFields, renderDomain } from './domain.js';
import { contractBlock, contractLines, PYPROJECT } from './flow.js';
import { rewriteImports, type ModuleMoves } from './import-rewrite.js';
import { isUnchanged, type Manifest } from './manifest.js';
import { mergeLines } from './merge.js';
import { DOMAIN_ROLES, domainFile, domainName, type Layout, layoutFolders, layoutPackages, otherLayout } from './names.js';
import { byCodePoint } from './order.js';
import type { Plan } from './plan.js';
import { renderProject, ruffFormat } from './project.js';
import { importedModules, importedTargets, innermostModule, moduleOfFile } from './python-edit.js';
import type { RenderedFile } from './render.js';
import { refuseBrokenToml } from './transaction.js';

/**
 * flip: a project moved from one layout to the other (names.ts says where each domain's file goes
 * in each). Every file is placed first (a domain's by its role, the user's own by --map or by the
 * placements recorded before, everything else stays), and refused before anything is planned when
 * one cannot be; then every Python file's imports are rewritten through its syntax tree, the files
 * whose text depends on the layout are merged with the user's edits as add-field merges, and the
 * manifest follows the files.
 */

/** Files whose text, not only their imports, differs by layout: re-rendered, merged three-way with the user's edits. */
const LAYOUT_TEXTS = [PYPROJECT, 'README.md', 'migrations/env.py', 'tests/test_architecture.py'];

/** A --map: a file or folder of the package and where it goes, both relative to src/<package>. */
export interface MapOption {
  from: string;
  to: string;
}

export interface Flipped {
  from: Layout;
  to: Layout;
  /** Every file that moves: old path -> new path. */
  moves: Map<string, string>;
  /** `file:line` of lines the rewrite made longer than the line length, for ruff format. */
  longLines: string[];
  /** `pyproject.toml:line "glob"` of globs over the folders the flip left, which match nothing now. */
  staleGlobs: string[];
}

/** Folders no file of the project's is ever looked for in: tools' caches, environments, builds. */
function skippedFolder(plan: Plan, folder: string): boolean {
  const name = folder.slice(folder.lastIndexOf('/') + 1);
  return (
    name.startsWith('.') ||
    ['__pycache__', 'node_modules', 'build', 'dist'].includes(name) ||
    name.endsWith('.egg-info') ||
    plan.read(`${folder}/pyvenv.cfg`) !== undefined
  );
}

/** Every file under `dir` as it is after the plan, but in skipped folders (and no dotfile at the top). */
function filesUnder(plan: Plan, dir: string): string[] {
  // The plan spells the root's disk entries `./name`, its own `name`.
  const inRoot = (paths: string[]) => [...new Set(paths.map((path) => path.replace(/^\.\//, '')))].filter((path) => !path.startsWith('.'));
  const files = dir === '.' ? inRoot(plan.filesIn('.')) : plan.filesIn(dir);
  const folders = dir === '.' ? inRoot(plan.foldersIn('.')) : plan.foldersIn(dir);
  return [...files, ...folders.filter((folder) => !skippedFolder(plan, folder)).flatMap((folder) => filesUnder(plan, folder))];
}

/** A TOML string that is a moved file's path or a moved module's name (or `a -> b` of those), for the new layout. */
function moveTomlStrings(text: string, moves: Map<string, string>, modules: ReadonlyMap<string, string>): string {
  const rename = (value: string) => moves.get(value) ?? modules.get(value) ?? value;
  return text.replace(/"([^"\\\n]*)"|'([^'\n]*)'/g, (whole, double: string | undefined, single: string | undefined) => {
    const value = double ?? single ?? '';
    const arrow = /^(\S+) -> (\S+)$/.exec(value);
    const renamed = arrow ? `${rename(arrow[1] as string)} -> ${rename(arrow[2] as string)}` : rename(value);
    return renamed === value ? whole : whole.replace(value, renamed);
  });
}

/**
 * Each flow's contract block for the new layout: replaced when it is as add-flow wrote it, merged
 * with the user's lines when they changed it (an import they allowed by hand stays, renamed later).
 */
function flipFlowContracts(text: string, manifest: Manifest, to: Layout, conflicts: string[]): string {
  let lines = text.split('\n');
  for (const [flow, { uses }] of Object.entries(manifest.flows)) {
    const block = contractLines(lines.join('\n'), flow);
    if (!block) continue;
    const [start, end] = block;
    const body = (layout: Layout) => contractBlock({ ...manifest.options, layout }, flow, uses).split('\n').slice(1, -1).join('\n');
    const ours = lines.slice(start, end).join('\n');
    const merged = mergeLines(`${ours}\n`, `${body(manifest.options.layout)}\n`, `${body(to)}\n`);
    if (merged.conflicts.length > 0) conflicts.push(...merged.conflicts.map((line) => `${PYPROJECT}:${start + line}`));
    // The newline added after ours only: in a CRLF file each line keeps its \r, the block's last too.
    lines = [...lines.slice(0, start), ...merged.text.replace(/\n$/, '').split('\n'), ...lines.slice(end)];
  }
  return lines.join('\n');
}

/** Where every file goes, decided before anything is planned. */
interface Placement {
  /** Every file that moves: old path -> new path. */
  moves: Map<string, string>;
  /** Each domain file's path in the new layout (whether or not it is on disk), and its rendering there. */
  domainFiles: Map<string, RenderedFile>;
  /** The files only the old layout has, as generated: deleted. */
  leaving: Set<string>;
  /** The files only the new layout has: created. */
  arriving: RenderedFile[];
  /** The manifest's placements, with the ones --map adds. */
  placements: Manifest['placements'];
}

/** A Python text of comments and at most a docstring: no statement to run. */
const NO_CODE = /^(?:\s|#[^\n]*)*(?:(?:"""[\s\S]*?"""|'''[\s\S]*?''')(?:\s|#[^\n]*)*)?$/;

/**
 * Places every file of the package: a domain's by its role, the user's own by --map or an earlier
 * flip's placement. Refused, naming them, when a file is left in a folder the new layout has not,
 * or the new layout's folders already hold files.
 */
function placeFiles(plan: Plan, manifest: Manifest, maps: MapOption[]): Placement {
  const { packageName, layout: from } = manifest.options;
  const to = otherLayout(from);
  const root = `src/${packageName}`;
  const domains = Object.keys(manifest.domains).sort(byCodePoint);
  const moves = new Map<string, string>();

  const domainFiles = new Map<string, RenderedFile>();
  for (const domain of domains) {
    const spec = { name: domainName(domain), fields: recordedFields(manifest, domain) };
    const files = new Map(renderDomain({ packageName, layout: to }, spec).map((file) => [file.path, file]));
    for (const role of DOMAIN_ROLES) {
      const [old, next] = [domainFile(from, packageName, domain, role), domainFile(to, packageName, domain, role)];
      domainFiles.set(old, files.get(next) as RenderedFile);
      if (plan.read(old) !== undefined) moves.set(old, next);
    }
  }

  // The files only one layout has: the old one's go while they hold nothing of the user's.
  const inPackage = (layout: Layout) => renderProject({ ...manifest.options, layout, domains }).filter((file) => file.path.startsWith(`${root}/`));
  const onlyIn = (files: RenderedFile[], others: RenderedFile[]) => files.filter((file) => !others.some((other) => other.path === file.path));
  const [old, next] = [inPackage(from), inPackage(to)];
  const leaving = new Set<string>();
  for (const file of onlyIn(old, next)) {
    const bytes = plan.original(file.path);
    if (bytes !== undefined && (plan.read(file.path) === file.content || isUnchanged(bytes, manifest.files[file.path]))) leaving.add(file.path);
  }

  // The user's own modules: where --map says, else where an earlier flip's --map said.
  const placements = { ...manifest.placements };
  const oldFolders = layoutFolders(from, packageName, domains);
  for (const map of maps) {
    const [source, target] = [`${root}/${map.from}`, `${root}/${map.to}`];
    const isFolder = plan.foldersIn(source.slice(0, source.lastIndexOf('/'))).includes(source);
    const files = isFolder ? filesUnder(plan, source) : plan.read(source) !== undefined ? [source] : [];
    if (files.length === 0) throw new CliError(`--map ${map.from}=${map.to}: there is no ${source} to place`);
    const gone = oldFolders.find((folder) => target === folder || target.startsWith(`${folder}/`));
    if (gone) throw new CliError(`--map ${map.from}=${map.to}: ${to} has no ${gone.slice(root.length + 1)}/; place it elsewhere in ${root}`);
    const [, domainFolder] = /^domains\/([^/]+)\//.exec(map.to) ?? [];
    if (domainFolder !== undefined && !domains.includes(domainFolder)) {
      throw new CliError(`--map ${map.from}=${map.to}: there is no domain ${domainFolder} (domains: ${domains.join(', ')}); place it in one, or elsewhere in ${root}`);
    }
    for (const file of files) {
      if (moves.has(file) || leaving.has(file)) throw new CliError(`--map: ${file} is the generator's; flip places it itself`);
      const placed = `${target}${file.slice(source.length)}`;
      if (from === 'layer-first') placements[file] = placed;
      else placements[placed] = file;
    }
  }
  for (const [layerFirst, domainFirst] of Object.entries(placements)) {
    const [source, target] = from === 'layer-first' ? [layerFirst, domainFirst] : [domainFirst, layerFirst];
    if (plan.read(source) !== undefined && !moves.has(source)) moves.set(source, target);
  }

  // The new layout's folders must be free: files of the user's there would mix with the domains'.
  const newFolders = layoutFolders(to, packageName, domains);
  const taken = newFolders.flatMap((folder) => filesUnder(plan, folder));
  if (taken.length > 0) {
    throw new CliError(`${to} keeps its own files in ${newFolders.join(', ')}, where ${taken.join(', ')} already are; move them elsewhere, then run again`);
  }
  const unplaced = oldFolders.flatMap((folder) => filesUnder(plan, folder)).filter((path) => !moves.has(path) && !leaving.has(path));
  if (unplaced.length > 0) {
    const first = (unplaced[0] as string).slice(root.length + 1);
    // A package's __init__.py cannot go to another package's: the example names a module instead.
    const [folder = '', file = ''] = first.split('/').slice(-2);
    const example = `${to === 'domain-first' ? 'domains/<domain>/' : 'services/'}${file === '__init__.py' ? `${folder}.py` : file}`;
    // A layer package's __init__.py the team gave a docstring (or comments): text about a folder
    // the new layout does not have, which a module of its own would only carry along.
    const textOnly = unplaced.filter((path) => path.endsWith('/__init__.py') && NO_CODE.test(plan.read(path) ?? ''));
    const deletable = textOnly.length > 0 ? ` (${textOnly.join(', ')} ${textOnly.length === 1 ? 'holds' : 'hold'} no code, only text about a package ${to} does not have: delete ${textOnly.length === 1 ? 'it' : 'them'}, and flipping back writes the generated one again)` : '';
    throw new CliError(
      `flip cannot place ${unplaced.join(', ')}: neither a domain's file nor shared code, and ${to} has no folder for it. ` +
        `Say where each goes with --map, e.g. --map ${first}=${example} (paths inside ${root}), then run again${deletable}`,
    );
  }
  const arriving = onlyIn(next, old);
  const sources = new Map<string, string>();
  for (const [source, target] of moves) {
    const other = sources.get(target) ?? arriving.find((file) => file.path === target)?.path;
    if (other !== undefined) {
      throw new CliError(`flip would put ${source} where ${other === target ? `${to} has a file of its own` : `${other} goes`} (${target}); map it elsewhere, then run again`);
    }
    sources.set(target, source);
    // Moving the link would leave the file it points to behind; moving that file would break the link.
    const link = plan.linkTarget(source);
    if (link !== undefined) throw new CliError(`flip would move ${source}, a symbolic link to ${link}; put the file itself there, then run again`);
    if (plan.occupied(target) && !moves.has(target) && !leaving.has(target)) {
      throw new CliError(`flip would move ${source} to ${target}, where a file already is; move that one away, then run again`);
    }
  }
  return { moves, domainFiles, leaving, arriving, placements };
}

/**
 * The texts that depend on the layout, the user's edits merged into the new layout's rendering
 * (each flow's contract first, then the whole file): refused, naming the lines, where both changed
 * the same ones.
 */
async function planLayoutTexts(plan: Plan, manifest: Manifest, placement: Placement, rewrite: Rewrite, modules: ReadonlyMap<string, string>): Promise<string[]> {
  const from = manifest.options.layout;
  const to = otherLayout(from);
  const domains = Object.keys(manifest.domains).sort(byCodePoint);
  const skeleton = (layout: Layout) =>
    new Map(renderProject({ ...manifest.options, layout, domains }, manifest.generator.version).map((file) => [file.path, file.content]));
  const [base, theirs] = [skeleton(from), skeleton(to)];
  const conflicts: string[] = [];
  const globs: string[] = [];
  for (const path of LAYOUT_TEXTS) {
    let ours = plan.read(path);
    if (ours === undefined) continue;
    if (path === PYPROJECT) {
      refuseBrokenToml(PYPROJECT, ours);
      ours = flipFlowContracts(ours, manifest, to, conflicts);
    }
    const merged = mergeLines(ours, base.get(path) as string, theirs.get(path) as string);
    conflicts.push(...merged.conflicts.map((line) => `${path}:${line}`));
    let text = path.endsWith('.py') ? await rewrite(path, merged.text) : merged.text;
    if (path === PYPROJECT) {
      text = moveTomlStrings(text, placement.moves, modules);
      globs.push(...globsOver(text, layoutFolders(from, manifest.options.packageName, domains)));
    }
    plan.write(path, text);
  }
  if (conflicts.length > 0) {
    throw new CliError(`flip cannot merge the new layout's lines with your changes at ${conflicts.join(', ')}; nothing was written`);
  }
  return globs;
}

/**
 * The globs of a TOML text over folders the layout left (`"src/pkg/repositories/*.py"` in ruff's
 * per-file-ignores), as `pyproject.toml:<line> "<glob>"`: a path is moved, a glob cannot be, and
 * after the flip it matches nothing, its rule lost without a word.
 */
function globsOver(text: string, retired: string[]): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const [, value = ''] of line.matchAll(/"([^"\\\n]*)"|'([^'\n]*)'/g)) {
      if (/[*?[]/.test(value) && retired.some((folder) => value.startsWith(`${folder}/`))) found.push(`${PYPROJECT}:${index + 1} "${value}"`);
    }
  });
  return found;
}

/** A file's imports rewritten for the flip: `path` is where it is now. */
type Rewrite = (path: string, text: string) => Promise<string>;

/** Plans the flip of the project `manifest` describes; refuses, writing nothing, what it cannot place or rewrite. */
/**
 * Layer-first lets one domain's router or service import another domain's module; domain-first's
 * "Domains are independent" contract forbids it (but for a service reading another domain's rows
 * through its repository). Such imports in the files that move into a domain's package are
 * refused before anything is planned, named where they are now, so that lint-imports does not
 * fail after a flip that said it succeeded.
 */
async function refuseImportsAcrossDomains(plan: Plan, packageName: string, moves: Map<string, string>, modules: ReadonlyMap<string, string>): Promise<void> {
  const domains = `${packageName}.domains.`;
  const crossing: string[] = [];
  for (const [path, target] of moves) {
    const own = moduleOfFile(target);
    const source = path.endsWith('.py') ? plan.read(path) : undefined;
    if (own === undefined || !own.startsWith(domains) || source === undefined) continue;
    const [domain, role] = own.slice(domains.length).split('.');
    for (const { module, line } of importedTargets(await importedModules(source, path))) {
      // A name in a module (`from .users import User`: my_api.repositories.users.User) moves with it.
      const from = innermostModule(module, modules.keys());
      const moved = from === undefined ? module : `${modules.get(from)}${module.slice(from.length)}`;
      if (!moved.startsWith(domains)) continue;
      const [other, otherRole] = moved.slice(domains.length).split('.');
      if (other !== domain && !(role === 'service' && otherRole === 'repository')) crossing.push(`${path}:${line} imports ${module}`);
    }
  }
  if (crossing.length > 0) {
    throw new CliError(
      `In domain-first, domains are independent (its import-linter contract), and these imports cross them: ${crossing.join(', ')}. ` +
        'Move that use into a flow (add-flow) or into the domain itself, then flip',
    );
  }
}

export async function planFlip(plan: Plan, manifest: Manifest, maps: MapOption[]): Promise<Flipped> {
  const { packageName, layout: from } = manifest.options;
  const to = otherLayout(from);
  const root = `src/${packageName}`;
  const placement = placeFiles(plan, manifest, maps);
  const { moves, domainFiles, leaving } = placement;

  const modules = new Map<string, string>();
  for (const [old, next] of moves) {
    const [oldModule, newModule] = [moduleOfFile(old), moduleOfFile(next)];
    if (oldModule !== undefined && newModule !== undefined) modules.set(oldModule, newModule);
  }
  const imports: ModuleMoves = { modules, retired: layoutPackages(from, packageName), packageName, lineLength: ruffFormat(plan).lineLength };
  const problems: string[] = [];
  const longLines: string[] = [];
  const rewrite: Rewrite = async (path, text) => {
    // Outside the package, a file that never names it imports nothing of it.
    if (!path.startsWith(`${root}/`) && !text.includes(packageName)) return text;
    const result = await rewriteImports(text, { from: path, to: moves.get(path) ?? path }, imports);
    problems.push(...result.problems);
    longLines.push(...result.longLines.map((line) => `${moves.get(path) ?? path}:${line}`));
    return result.text;
  };

  if (to === 'domain-first') await refuseImportsAcrossDomains(plan, packageName, moves, modules);
  const staleGlobs = await planLayoutTexts(plan, manifest, placement, rewrite, modules);
  for (const path of filesUnder(plan, '.')) {
    if (LAYOUT_TEXTS.includes(path) || leaving.has(path)) continue;
    const target = moves.get(path) ?? path;
    const source = path.endsWith('.py') || target !== path ? plan.read(path) : undefined;
    if (source === undefined) continue;
    // A domain's file still as generated is rendered anew, as add-field does; any other is rewritten.
    const generated = moves.has(path) ? domainFiles.get(path) : undefined;
    const asGenerated = generated !== undefined && isUnchanged(plan.original(path), manifest.files[path]);
    const text = asGenerated ? generated.content : path.endsWith('.py') ? await rewrite(path, source) : source;
    if (target === path) {
      plan.write(path, text);
      continue;
    }
    const moved = plan.move(path, target, text);
    // A domain's file keeps its standing: generated when it was, the user's when they changed it.
    if (generated) plan.generate(generated, moved);
  }
  if (problems.length > 0) throw new CliError(`flip cannot rewrite these imports: ${problems.join('; ')}`);
  for (const path of leaving) plan.delete(path);
  for (const file of placement.arriving) plan.generate(file);

  // The manifest follows the files: the domains' lists, the hash of a file the user deleted, the placements.
  const renamed = (path: string) => domainFiles.get(path)?.path ?? path;
  for (const domain of Object.values(manifest.domains)) domain.files = domain.files.map(renamed).sort(byCodePoint);
  for (const [old, file] of domainFiles) {
    const hash = manifest.files[old];
    if (hash === undefined || moves.has(old)) continue;
    delete manifest.files[old];
    manifest.files[file.path] = hash;
  }
  manifest.placements = placement.placements;
  manifest.options.layout = to;
  return { from, to, moves, longLines, staleGlobs };
}
