import { CliError } from '../errors.js';
import { isUnchanged, type Manifest } from './manifest.js';
import type { Plan } from './plan.js';
import { importedModules, importedTargets, innermostModule, moduleOfFile } from './python-edit.js';

/** Python files under `dir`, as they will be after the plan. */
export function pythonFilesUnder(plan: Plan, dir: string): string[] {
  return [
    ...plan.filesIn(dir).filter((path) => path.endsWith('.py')),
    ...plan.foldersIn(dir).flatMap((folder) => (folder.endsWith('/__pycache__') ? [] : pythonFilesUnder(plan, folder))),
  ];
}

/**
 * Plans the deletion of files a command generated: those still as generated go; one the user
 * changed is kept (and returned) unless `force`.
 */
export function deleteGenerated(plan: Plan, manifest: Manifest, files: string[], force: boolean): string[] {
  const kept: string[] = [];
  for (const file of files) {
    const bytes = plan.original(file);
    if (bytes === undefined) continue;
    if (!isUnchanged(bytes, manifest.files[file]) && !force) kept.push(file);
    else plan.delete(file);
  }
  return kept;
}

/**
 * The module a file is imported as: the package's by its path under src/, a test module by its
 * name (pytest puts tests/ on the path; the job examples' tests import a domain's own).
 */
export function importedAs(path: string): string | undefined {
  return moduleOfFile(path) ?? /^tests\/([A-Za-z_]\w*)\.py$/.exec(path)?.[1];
}

/**
 * An import of a module the plan deletes, left anywhere in the project (another domain's service,
 * a flow, a hand-written router, a kept edited file, a test), would break the app or its tests:
 * refused, naming file and line. `what` names what is being removed. The files a removed domain
 * left (the user's, recorded until remove-domain --force) hold nothing back: what they imported of
 * their own domain is gone already.
 */
export async function refuseDanglingImports(plan: Plan, manifest: Manifest, what: string): Promise<void> {
  const deleted = plan
    .fileChanges()
    .flatMap((change) => (change.kind === 'delete' ? [importedAs(change.path)] : []))
    .filter((module) => module !== undefined);
  const leftByRemoved = new Set(Object.values(manifest.domains).flatMap((domain) => (domain.removed ? domain.files : [])));
  const uses: string[] = [];
  const importers = [...pythonFilesUnder(plan, `src/${manifest.options.packageName}`), ...pythonFilesUnder(plan, 'tests')];
  // A module named in a string is imported too, later: `monkeypatch.setattr("pkg.services.x.f", ...)`,
  // `importlib.import_module("pkg.services.x")`, a `mock.patch` target.
  const named = deleted.map((module) => ({ module, pattern: new RegExp(`["']${module.replaceAll('.', '\\.')}(?:\\.\\w+)*["']`) }));
  for (const file of importers.filter((path) => !leftByRemoved.has(path))) {
    const source = plan.read(file) as string;
    // What a statement takes is the one to name: the deps of `from pkg.domains.x import deps`.
    for (const { module, line } of importedTargets(await importedModules(source, file))) {
      const gone = innermostModule(module, deleted);
      if (gone) uses.push(`${file}:${line} imports ${gone}`);
    }
    for (const { module, pattern } of named) {
      if (!source.includes(module)) continue;
      const line = source.split('\n').findIndex((text) => pattern.test(text));
      if (line !== -1) uses.push(`${file}:${line + 1} names ${module} in a string`);
    }
  }
  if (uses.length > 0) {
    throw new CliError(
      `Cannot remove ${what} while code that stays uses it: ${[...new Set(uses)].join('; ')}. Remove those uses first (--force also removes its own edited files)`,
    );
  }
}
