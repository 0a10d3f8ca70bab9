import * as fs from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Change } from './plan.js';

/** The file operations apply needs; tests hand in one that fails on purpose. */
export interface FileSystem {
  mkdir(path: string): Promise<unknown>;
  mkdtemp(prefix: string): Promise<string>;
  writeFile(path: string, content: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
}

export const nodeFileSystem: FileSystem = {
  mkdir: (path) => fs.mkdir(path),
  mkdtemp: (prefix) => fs.mkdtemp(prefix),
  writeFile: (path, content) => fs.writeFile(path, content),
  rename: (from, to) => fs.rename(from, to),
  rm: (path) => fs.rm(path, { recursive: true, force: true }),
  rmdir: (path) => fs.rmdir(path),
  exists: (path) =>
    fs.access(path).then(
      () => true,
      () => false,
    ),
};

/**
 * Writes a plan all or nothing. New content is first written to a staging folder inside `root`
 * (where a full disk or a permission problem shows up), then moved into place with renames.
 * If any step fails, every file and folder it touched is put back as it was, and the error is rethrown.
 */
export async function applyPlan(root: string, changes: Change[], io: FileSystem = nodeFileSystem): Promise<void> {
  const undo: Array<() => Promise<void>> = [];
  const ensureDir = async (dir: string): Promise<void> => {
    if (await io.exists(dir)) return;
    await ensureDir(dirname(dir));
    await io.mkdir(dir);
    undo.push(() => io.rmdir(dir));
  };
  let staging: string | undefined;
  try {
    await ensureDir(root);
    staging = await io.mkdtemp(join(root, '.create-layered-backend-'));
    const staged: string[] = [];
    for (const [index, change] of changes.entries()) {
      if (change.kind === 'delete') continue;
      staged[index] = join(staging, String(index));
      await io.writeFile(staged[index], change.content);
    }
    for (const [index, change] of changes.entries()) {
      const target = join(root, change.path);
      await ensureDir(dirname(target));
      if (change.kind === 'delete') {
        await io.rm(target);
        undo.push(() => io.writeFile(target, change.before));
      } else {
        await io.rename(staged[index] as string, target);
        undo.push(change.kind === 'edit' ? () => io.writeFile(target, change.before) : () => io.rm(target));
      }
    }
  } catch (error) {
    // The staging folder goes first: it sits inside `root`, which the undo steps may remove.
    if (staging) await io.rm(staging).catch(() => undefined);
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
  await io.rm(staging);
}
