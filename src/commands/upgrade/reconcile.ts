import { MIGRATIONS_DIR } from '../../core/domain.js';
import { contentHash, isUnchanged, MANIFEST_FILE, type Manifest } from '../../core/manifest.js';
import { mergeWithMarkers, unresolvedConflicts } from '../../core/merge.js';
import { byCodePoint } from '../../core/order.js';
import type { Plan } from '../../core/plan.js';
import { inLineEndingsOf } from '../../core/source-text.js';
import { syntaxProblem } from '../../core/transaction.js';
import type { Rendering } from './replay.js';

/**
 * Each file the templates own, planned from three versions of it: ours (on disk), base (what the
 * project's version rendered, when it could be had) and theirs (what this version renders).
 */

/** A file left with conflict markers: where they start, and whether a base was there to merge against. */
export interface Conflict {
  path: string;
  lines: number[];
  twoWay: boolean;
}

export interface Reconciled {
  /** Merged three-way, cleanly: the user's changes and the templates' both in. */
  merged: string[];
  /** Written with conflict markers (or still holding them from an earlier run). */
  conflicts: Conflict[];
  /** Changed by the user where the templates did not change: left as they are. */
  kept: string[];
  /** Dropped by the templates but changed by the user: kept, and no longer recorded as generated. */
  disowned: string[];
  /** New to the templates where the user already has a file of their own: theirs is not written. */
  inTheWay: string[];
}

/**
 * Which base files can be merged against: those whose hash is what the manifest recorded when the
 * project's version generated them (a base from another build, say a checkout of a different
 * commit of the same version, is caught here, file by file). A file a later command edited (the
 * router registry, pyproject.toml) keeps an older record once the user changed it, so it is
 * trusted when the base reproduced every other record.
 */
function trustedBase(base: Rendering, manifest: Manifest): (path: string) => string | undefined {
  const reproduces = (path: string) => contentHash(base.files.get(path) as string) === manifest.files[path];
  const whole = [...base.files.keys()].every((path) => manifest.files[path] === undefined || base.editedAfter.has(path) || reproduces(path));
  return (path) => {
    if (!base.files.has(path)) return undefined;
    return reproduces(path) || (whole && base.editedAfter.has(path)) ? base.files.get(path) : undefined;
  };
}

/**
 * Plans every file of `theirs`, of `base` and of the manifest's record (`owned` of them: not the
 * migrations, not files of domains and flows no longer registered):
 * - missing on disk: created if new to the templates, else (the user deleted it) left deleted;
 * - unchanged since generated (by its hash), or already as theirs: theirs;
 * - new to the templates where the user has a file of their own: the user's, untouched;
 * - changed by the user where the templates did not change it: kept;
 * - changed on both sides: merged three-way against the base, conflicts written with markers;
 *   without a base that reproduces the record, two-way, every difference marked;
 * - dropped by the templates: deleted when unchanged, else kept and no longer recorded.
 * Migrations are never touched: history is not rendered again.
 */
export async function reconcile(plan: Plan, manifest: Manifest, theirs: Rendering, base: Rendering | undefined, owned: (path: string) => boolean): Promise<Reconciled> {
  const result: Reconciled = { merged: [], conflicts: [], kept: [], disowned: [], inTheWay: [] };
  const baseOf = base === undefined ? () => undefined : trustedBase(base, manifest);
  const recordedFiles = Object.keys(manifest.files).filter((path) => path !== MANIFEST_FILE && !path.startsWith(`${MIGRATIONS_DIR}/`));
  const paths = new Set([...theirs.files.keys(), ...(base?.files.keys() ?? []), ...recordedFiles.filter(owned)]);
  for (const path of [...paths].sort(byCodePoint)) {
    const ours = plan.read(path);
    const recorded = manifest.files[path];
    const unresolved = ours === undefined ? [] : unresolvedConflicts(ours);
    if (unresolved.length > 0) {
      result.conflicts.push({ path, lines: unresolved, twoWay: false });
      continue;
    }
    const generated = theirs.files.get(path);
    if (generated === undefined) {
      if (ours === undefined || isUnchanged(plan.original(path), recorded)) plan.delete(path);
      else result.disowned.push(path);
      delete manifest.files[path];
      continue;
    }
    const file = { path, content: generated, parsedByBuild: false };
    if (ours === undefined) {
      if (recorded === undefined) plan.generate(file);
      continue;
    }
    if (ours === generated || isUnchanged(plan.original(path), recorded)) {
      plan.generate(file, inLineEndingsOf(ours, generated));
      continue;
    }
    if (recorded === undefined) {
      result.inTheWay.push(path);
      continue;
    }
    if (contentHash(generated) === recorded || base?.files.get(path) === generated) {
      plan.generate(file, ours);
      result.kept.push(path);
      continue;
    }
    const was = baseOf(path);
    const merge = mergeWithMarkers(ours, was, generated);
    const broken = merge.conflicts.length === 0 ? await syntaxProblem(path, merge.text) : undefined;
    if (merge.conflicts.length === 0 && broken === undefined) {
      plan.generate(file, merge.text);
      result.merged.push(path);
      continue;
    }
    plan.generateConflicted(file, merge.text);
    // A clean merge that does not parse is the user's to review, at the line it breaks.
    result.conflicts.push({ path, lines: broken === undefined ? merge.conflicts : [broken.line], twoWay: was === undefined });
  }
  return result;
}
