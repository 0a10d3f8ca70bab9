import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError } from '../errors.js';
import type { Plan } from './plan.js';
import { byCodePoint } from './order.js';

/** The project's record of how it was generated; also how commands find the project root. */
export const MANIFEST_FILE = '.create-layered-backend.json';

export type Database = 'sqlite' | 'postgres';
export type Extra = 'crawlers' | 'schedulers' | 'clients' | 'workers';
export const EXTRAS: Extra[] = ['crawlers', 'schedulers', 'clients', 'workers'];

export interface Manifest {
  generator: { name: string; version: string };
  options: { projectName: string; packageName: string; db: Database; extras: Extra[] };
  /** Each domain with the --fields spec it was generated from and the files that belong to it. */
  domains: Record<string, { fields: string; files: string[] }>;
  /** Content hash of every file as the generator last wrote it: what remove-domain may delete untouched. */
  files: Record<string, string>;
}

export function contentHash(content: string): string {
  return `sha256-${createHash('sha256').update(content).digest('hex')}`;
}

/** Stable text: sorted keys for files and domains, so add then remove gives back the same bytes. */
export function serializeManifest(manifest: Manifest): string {
  const sorted = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => byCodePoint(a, b)));
  return `${JSON.stringify({ ...manifest, domains: sorted(manifest.domains), files: sorted(manifest.files) }, null, 2)}\n`;
}

/** Records the plan's new content hashes and the manifest itself in the plan. */
export async function planManifest(plan: Plan, manifest: Manifest): Promise<void> {
  for (const change of plan.list()) {
    if (change.path === MANIFEST_FILE) continue;
    if (change.kind === 'delete') delete manifest.files[change.path];
    else manifest.files[change.path] = contentHash(change.content);
  }
  await plan.write(MANIFEST_FILE, serializeManifest(manifest));
}

/** Walks up from `cwd` to the folder holding the manifest, the way git finds `.git`. */
export function findProjectRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, MANIFEST_FILE))) return dir;
    if (dirname(dir) === dir) {
      throw new CliError(`Not inside a create-layered-backend project (no ${MANIFEST_FILE} here or above ${cwd})`);
    }
  }
}

export function readManifest(root: string): Manifest {
  const text = readFileSync(join(root, MANIFEST_FILE), 'utf8');
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    throw new CliError(`${join(root, MANIFEST_FILE)} is not valid JSON; restore it from version control`);
  }
}
