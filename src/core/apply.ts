import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { Change } from './plan.js';

/**
 * The file operations apply needs; tests hand in one that fails on purpose.
 * Synchronous on purpose: a plan is dozens of small files, where thread-pool round trips cost more
 * than the writes themselves.
 */
export interface FileSystem {
  mkdir(path: string): void;
  mkdtemp(prefix: string): string;
  writeFile(path: string, content: string): void;
  rename(from: string, to: string): void;
  rm(path: string): void;
  rmdir(path: string): void;
  exists(path: string): boolean;
}

export const nodeFileSystem: FileSystem = {
  mkdir: (path) => fs.mkdirSync(path),
  mkdtemp: (prefix) => fs.mkdtempSync(prefix),
  writeFile: (path, content) => fs.writeFileSync(path, content),
  rename: (from, to) => fs.renameSync(from, to),
  rm: (path) => fs.rmSync(path, { recursive: true, force: true }),
  rmdir: (path) => fs.rmdirSync(path),
  exists: (path) => fs.existsSync(path),
};

/**
 * Writes a plan all or nothing. Into an existing folder, new content is first written to a staging
 * folder inside `root` (where a full disk or a permission problem shows up), then moved into place
 * with renames.
 * If any step fails, every file and folder it touched is put back as it was, and the error is rethrown.
 */
export function applyPlan(root: string, changes: Change[], io: FileSystem = nodeFileSystem): void {
  const undo: Array<() => void> = [];
  const known = new Set<string>();
  let recordFolders = true;
  const ensureDir = (dir: string): void => {
    if (known.has(dir)) return;
    if (!io.exists(dir)) {
      ensureDir(dirname(dir));
      io.mkdir(dir);
      if (recordFolders) undo.push(() => io.rmdir(dir));
    }
    known.add(dir);
  };
  let staging: string | undefined;
  try {
    if (!io.exists(root)) {
      // A new project folder is its own staging area: on failure it is removed whole.
      ensureDir(root);
      undo.push(() => io.rm(root));
      recordFolders = false;
      for (const change of changes) {
        if (change.kind === 'delete') continue;
        const target = join(root, change.path);
        ensureDir(dirname(target));
        io.writeFile(target, change.content);
      }
      return;
    }
    staging = io.mkdtemp(join(root, '.create-layered-backend-'));
    const staged: string[] = [];
    for (const [index, change] of changes.entries()) {
      if (change.kind === 'delete') continue;
      staged[index] = join(staging, String(index));
      io.writeFile(staged[index], change.content);
    }
    for (const [index, change] of changes.entries()) {
      const target = join(root, change.path);
      ensureDir(dirname(target));
      if (change.kind === 'delete') {
        io.rm(target);
        undo.push(() => io.writeFile(target, change.before));
      } else {
        io.rename(staged[index] as string, target);
        undo.push(change.kind === 'edit' ? () => io.writeFile(target, change.before) : () => io.rm(target));
      }
    }
  } catch (error) {
    // The staging folder goes first: it sits inside `root`, which the undo steps may remove.
    if (staging) io.rm(staging);
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // Keep undoing the rest: one stuck file must not leave the others changed.
      }
    }
    throw error;
  }
  // Every staged file has been renamed into place: the staging folder is empty.
  if (staging) io.rmdir(staging);
}
