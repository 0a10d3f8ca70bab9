import { hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as v from 'valibot';
import { CliError } from '../errors.js';
import { JOURNAL_DIR } from './apply.js';
import { byCodePoint } from './order.js';
import { LAYOUTS } from './names.js';
import { isConfinedPath, type Plan } from './plan.js';

/** The project's record of how it was generated; also how commands find the project root. */
export const MANIFEST_FILE = '.create-layered-backend.json';

/**
 * The manifest's format. 0.1.0 wrote format 1 without saying so; 2 added the number; 3 the flows;
 * 4 the layout and the placements flip made; 5 the domain the job examples were made for. Older
 * formats are read and rewritten as the current one by the next command.
 */
export const MANIFEST_FORMAT = 5;

export const EXTRAS = ['crawlers', 'schedulers', 'clients', 'workers'] as const;
export type Extra = (typeof EXTRAS)[number];

/** Whether `extras` bring the example jobs (an import task, a counting job) that call a domain's service. */
export const hasJobExamples = (extras: readonly Extra[]) => extras.includes('workers') || extras.includes('schedulers');
export type Database = 'sqlite' | 'postgres';

const PATH_MESSAGE = 'must be a path inside the project (relative, no "..")';
const ProjectPath = v.pipe(v.string(), v.check(isConfinedPath, PATH_MESSAGE));
const IDENTIFIER = /^[a-z][a-z0-9_]*$/;
const Identifier = v.pipe(v.string(), v.regex(IDENTIFIER, 'must be a lower-case Python identifier'));

const jsonObject = <T extends object>() =>
  v.custom<T>((input) => input !== null && typeof input === 'object' && !Array.isArray(input), 'must be an object');

/** A JSON object keyed by `key` (valibot's record alone would take an array for an empty object). */
const objectOf = <K extends v.GenericSchema<string, string>, V extends v.GenericSchema>(key: K, value: V) =>
  v.pipe(jsonObject<object>(), v.record(key, value));

/*
 * Project paths and hashes are most of a manifest: a 300-domain project lists 2,400 files under
 * its domains and hashes 3,600. valibot's array and record run a schema per entry and build a copy,
 * so these two are checked in place, one loop each (parsing that manifest: ~10 ms -> ~6). An issue
 * still names its entry.
 */
const ProjectPaths = v.pipe(
  v.custom<string[]>((input) => Array.isArray(input) && input.every((path) => typeof path === 'string'), 'must be a list of strings'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const key = dataset.value.findIndex((path) => !isConfinedPath(path));
    if (key >= 0) addIssue({ message: PATH_MESSAGE, path: [{ type: 'array', origin: 'value', input: dataset.value, key, value: dataset.value[key] }] });
  }),
);
const HASH = /^sha256-[0-9a-f]{64}$/;
const FileHashes = v.pipe(
  jsonObject<Record<string, string>>(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    // Keys and indexing, not Object.entries: its 3,600 pairs, destructured before V8 optimises the
    // loop, took ~6 ms; this ~2.
    const hashes = dataset.value;
    const keys = Object.keys(hashes);
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i] as string;
      const value = hashes[key];
      const message = !isConfinedPath(key) ? PATH_MESSAGE : typeof value !== 'string' || !HASH.test(value) ? 'must be a sha256 content hash' : undefined;
      if (message) return addIssue({ message, path: [{ type: 'object', origin: 'value', input: dataset.value, key, value }] });
    }
  }),
);

/**
 * A domain's entry, and the 300 of a grown project checked in a few comparisons each (valibot's
 * record builds a copy through a schema per key, value and path: ~5 ms there). An entry that is
 * not as every command writes it goes to the schema, which names what is wrong as it always did.
 */
const DomainEntry = v.strictObject({ fields: v.string(), files: ProjectPaths, removed: v.optional(v.literal(true)) });
function isPlainDomainEntry(key: string, value: unknown): boolean {
  if (!IDENTIFIER.test(key) || value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const entry = value as Record<string, unknown>;
  let keys = 0;
  for (const name in entry) {
    if (name !== 'fields' && name !== 'files' && name !== 'removed') return false;
    keys += 1;
  }
  const files = entry.files;
  return (
    typeof entry.fields === 'string' &&
    Array.isArray(files) &&
    files.every((path) => typeof path === 'string' && isConfinedPath(path)) &&
    (entry.removed === undefined ? keys === 2 : entry.removed === true)
  );
}

const Domains = v.pipe(
  jsonObject<Record<string, v.InferOutput<typeof DomainEntry>>>(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const key of Object.keys(dataset.value)) {
      const value = dataset.value[key];
      if (isPlainDomainEntry(key, value)) continue;
      const checked = v.safeParse(v.record(Identifier, DomainEntry), Object.fromEntries([[key, value]]));
      if (!checked.success) return addIssue({ message: issueText(checked.issues[0]), path: checked.issues[0].path });
    }
  }),
);

const ManifestSchema = v.strictObject({
  format: v.literal(MANIFEST_FORMAT),
  generator: v.strictObject({ name: v.literal('create-layered-backend'), version: v.string() }),
  options: v.strictObject({
    projectName: v.string(),
    packageName: Identifier,
    db: v.picklist(['sqlite', 'postgres']),
    extras: v.array(v.picklist(EXTRAS)),
    layout: v.picklist(LAYOUTS),
  }),
  /**
   * The domain whose service the workers' and schedulers' example jobs call: create's first. Kept
   * after that domain is removed (the user changed the examples to allow it), so upgrade renders
   * the examples as they were made. Absent without those extras, and in manifests before format 5.
   */
  examples: v.optional(Identifier),
  /**
   * Each domain with the --fields spec it was generated from and the files that belong to it.
   * `removed`: remove-domain took it away but kept the files the user had changed, which stay
   * recorded so that `remove-domain --force` can still delete them; no other command sees it.
   */
  domains: Domains,
  /** Each flow with the domains whose services it uses and the files that belong to it. */
  flows: objectOf(Identifier, v.strictObject({ uses: v.array(Identifier), files: ProjectPaths })),
  /**
   * Modules of the user's that flip moved because --map said where (they are no domain's and not
   * shared): each layer-first path with its domain-first one, so flipping back needs no --map.
   */
  placements: objectOf(ProjectPath, ProjectPath),
  /** Content hash of every file as the generator last wrote it: what remove-domain may delete untouched. */
  files: FileHashes,
});

export type Manifest = v.InferOutput<typeof ManifestSchema>;

export function contentHash(content: string | Buffer): string {
  // One-shot: a Hash object per file took twice as long over a grown project's 300 migrations.
  return `sha256-${hash('sha256', content)}`;
}

/**
 * Whether `bytes` are still what the generator wrote. A checkout with git's autocrlf turns every LF
 * into CRLF; that is the same file as far as generation goes.
 */
export function isUnchanged(bytes: Buffer | undefined, hash: string | undefined): boolean {
  if (bytes === undefined || hash === undefined) return false;
  if (contentHash(bytes) === hash) return true;
  // Latin-1 maps bytes one to one, so only the line endings change.
  return bytes.includes(13) && contentHash(Buffer.from(bytes.toString('latin1').replaceAll('\r\n', '\n'), 'latin1')) === hash;
}

/** Stable text: sorted keys for files and domains, so add then remove gives back the same bytes. */
export function serializeManifest(manifest: Manifest): string {
  // Filled key by key: Object.fromEntries took ~4 ms for a 300-domain project's 3,600 files. No
  // prototype, so a key "__proto__" is a key like any other.
  const sorted = <T>(record: Record<string, T>) => {
    const ordered: Record<string, T> = Object.create(null);
    for (const key of Object.keys(record).sort(byCodePoint)) ordered[key] = record[key] as T;
    return ordered;
  };
  const ordered = {
    ...manifest,
    domains: sorted(manifest.domains),
    flows: sorted(manifest.flows),
    placements: sorted(manifest.placements),
    files: sorted(manifest.files),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * Records the plan in the manifest, then the manifest itself in the plan. Hashes come from what the
 * templates rendered. A file the command edits (a router registration, a relinked migration) stays
 * generated if it was unchanged, and stays the user's if they had changed it: never adopted.
 */
export function planManifest(plan: Plan, manifest: Manifest): void {
  const rendered = plan.renderedFiles();
  for (const change of plan.fileChanges()) {
    if (change.path === MANIFEST_FILE) continue;
    if (change.kind === 'delete') delete manifest.files[change.path];
    else if (change.kind === 'edit' && !rendered.has(change.path) && isUnchanged(change.before, manifest.files[change.path])) {
      manifest.files[change.path] = contentHash(change.text);
    }
  }
  for (const [path, text] of rendered) manifest.files[path] = contentHash(text);
  plan.write(MANIFEST_FILE, serializeManifest(manifest));
}

/**
 * Walks up from `cwd` to the folder holding the manifest, the way git finds `.git`. A run killed
 * while it had moved the manifest aside left its journal, which marks the root just as well.
 */
export function findProjectRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, MANIFEST_FILE)) || existsSync(join(dir, JOURNAL_DIR))) return dir;
    if (dirname(dir) === dir) {
      throw new CliError(`Not inside a create-layered-backend project (no ${MANIFEST_FILE} here or above ${cwd})`);
    }
  }
}

/** Parses and validates manifest text; an error names the file and the bad key. */
export function parseManifest(text: string, file: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON; restore it from version control`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new CliError(`${file} is not a JSON object; restore it from version control`);
  }
  // 0.1.0 wrote no format: that is format 1. Anything else must be a format's number.
  const format = 'format' in data ? data.format : 1;
  if (!Number.isInteger(format) || (format as number) < 1) {
    throw new CliError(`${file}: format: ${JSON.stringify(format)} is not a format number; restore it from version control`);
  }
  if (typeof format === 'number' && format > MANIFEST_FORMAT) {
    throw new CliError(`${file} has format ${format}, newer than this create-layered-backend understands; upgrade the CLI`);
  }
  // Older formats differ from the current one only by what they lack: flows (3), a layout and
  // placements (4); every project before 4 was layer-first.
  if (typeof format === 'number' && format < MANIFEST_FORMAT) {
    const older = data as { options?: unknown; files?: unknown };
    const options = older.options && typeof older.options === 'object' ? { ...older.options, layout: 'layer-first' } : older.options;
    const { files, ...rest } = older;
    data = { flows: {}, ...rest, options, placements: {}, files, format: MANIFEST_FORMAT };
  }
  const result = v.safeParse(ManifestSchema, data);
  if (!result.success) {
    const [issue] = result.issues;
    const key = v.getDotPath(issue) ?? '(top level)';
    throw new CliError(`${file}: ${key}: ${issueText(issue)}; restore it from version control`);
  }
  return result.output;
}

/** An issue in words: the schema's own checks say what they expect; our checks have their messages. */
function issueText(issue: v.BaseIssue<unknown>): string {
  if (issue.kind !== 'schema' || issue.type === 'custom') return issue.message;
  if (issue.received === 'undefined') return 'missing';
  if (issue.expected === 'never') return 'not a key a manifest has';
  return `${issue.received} where ${issue.expected} belongs`;
}

/** The manifest, read through the plan (so the read is checked again before anything is written). */
export function loadManifest(plan: Plan): Manifest {
  const text = plan.read(MANIFEST_FILE);
  if (text === undefined) throw new CliError(`${join(plan.root, MANIFEST_FILE)} is missing`);
  return parseManifest(text, join(plan.root, MANIFEST_FILE));
}
