import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Every file under `root` with its content (and, optionally, every folder): for before/after checks. */
export async function snapshotTree(
  root: string,
  { withFolders = false, ignore = [] as string[] } = {},
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    const key = relative(root, path).split(sep).join('/');
    if (ignore.some((prefix) => key === prefix || key.startsWith(`${prefix}/`))) continue;
    if (entry.isFile()) out[key] = await readFile(path, 'utf8');
    else if (withFolders && entry.isDirectory()) out[`${key}/`] = '';
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
