import { CliError } from '../errors.js';
import { isUnchanged, type Manifest } from './manifest.js';
import type { Plan } from './plan.js';
import { importedModules, moduleOfFile } from './python-edit.js';

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
 * An import of a module the plan deletes, left anywhere in the project (another domain's service,
 * a flow, a hand-written router, a kept edited file), would break the app: refused, naming file
 * and line. `what` names what is being removed.
 */
export async function refuseDanglingImports(plan: Plan, packageName: string, what: string): Promise<void> {
  const deleted = plan
    .fileChanges()
    .flatMap((change) => (change.kind === 'delete' ? [moduleOfFile(change.path)] : []))
    .filter((module) => module !== undefined);
  const uses: string[] = [];
  for (const file of [...pythonFilesUnder(plan, `src/${packageName}`), ...pythonFilesUnder(plan, 'tests')]) {
    for (const { module, line } of await importedModules(plan.read(file) as string, file)) {
      const gone = deleted.find((removed) => module === removed || module.startsWith(`${removed}.`));
      if (gone) uses.push(`${file}:${line} imports ${gone}`);
    }
  }
  if (uses.length > 0) {
    throw new CliError(
      `Cannot remove ${what} while other code uses it: ${[...new Set(uses)].join('; ')}. Remove those uses first (--force also removes its own edited files)`,
    );
  }
}
