import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { byCodePoint } from './order.js';

export type Change =
  | { kind: 'create'; path: string; content: string }
  | { kind: 'edit'; path: string; content: string; before: string }
  | { kind: 'delete'; path: string; before: string };

// Synchronous: a plan reads dozens of small files, where thread-pool round trips dominate.
function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EISDIR') {
      return undefined;
    }
    throw error;
  }
}

/**
 * Every change a command will make, built in memory before anything is written.
 * Paths are POSIX and relative to `root`. Reading through the plan sees earlier planned writes,
 * so later steps (router registration, the manifest) build on what earlier steps planned.
 */
export class Plan {
  private readonly changes = new Map<string, Change>();

  constructor(readonly root: string) {}

  /** The file as it will be after the plan: planned content, else what is on disk, else undefined. */
  async read(path: string): Promise<string | undefined> {
    const change = this.changes.get(path);
    if (change) return change.kind === 'delete' ? undefined : change.content;
    return readIfPresent(join(this.root, path));
  }

  async write(path: string, content: string): Promise<void> {
    const planned = this.changes.get(path);
    if (planned?.kind === 'create') {
      this.changes.set(path, { ...planned, content });
      return;
    }
    const before = planned ? planned.before : await readIfPresent(join(this.root, path));
    if (before === undefined) this.changes.set(path, { kind: 'create', path, content });
    else if (before === content) this.changes.delete(path);
    else this.changes.set(path, { kind: 'edit', path, content, before });
  }

  async delete(path: string): Promise<void> {
    const planned = this.changes.get(path);
    if (planned?.kind === 'create') {
      this.changes.delete(path);
      return;
    }
    const before = planned ? planned.before : await readIfPresent(join(this.root, path));
    if (before !== undefined) this.changes.set(path, { kind: 'delete', path, before });
  }

  /** The files directly inside `dir` as they will be after the plan, sorted. */
  async filesIn(dir: string): Promise<string[]> {
    let onDisk: Dirent[] = [];
    try {
      onDisk = readdirSync(join(this.root, dir), { withFileTypes: true });
    } catch {
      // No such folder yet: only planned files count.
    }
    const paths = new Set(onDisk.filter((entry) => entry.isFile()).map((entry) => `${dir}/${entry.name}`));
    for (const change of this.changes.values()) {
      if (change.path.slice(0, change.path.lastIndexOf('/')) !== dir) continue;
      if (change.kind === 'delete') paths.delete(change.path);
      else paths.add(change.path);
    }
    return [...paths].sort();
  }

  list(): Change[] {
    return [...this.changes.values()].sort((a, b) => byCodePoint(a.path, b.path));
  }
}
