import type { Context } from '../context.js';
import { VERSION } from '../package.js';
import type { Change } from './plan.js';

/**
 * The JSON plan's format: the contract between versions of this CLI (upgrade asks an older version
 * for its plan). A key only some commands print may be added (upgrade's `merged` and `conflicts`);
 * any other change a reader could notice (a key changed or gone, a new action) bumps it.
 * `version` beside it: the create-layered-backend that printed the plan.
 */
export const PLAN_FORMAT = 1;

export interface PlanReport {
  command: string;
  /** The options the command resolved: what the run would use, defaults included. */
  options: Record<string, unknown>;
  changes: Change[];
  /** Files that were not the generator's (or were changed since) and that the run replaces (--force). */
  replaced?: string[];
  /** The command's files it leaves in place because they were changed since generation. */
  kept?: string[];
  /** What runs after the files are written (create: the install, git); `skip`: why a step will not run. */
  steps?: Array<{ name: string; run: string; skip?: string }>;
  /** Edits that merge the generator's changes with the user's (upgrade). */
  merged?: string[];
  /** Edits that leave conflict markers for the user to resolve, at these 1-based lines (upgrade). */
  conflicts?: Array<{ path: string; lines: number[] }>;
}

type Action = Change['kind'] | 'replace' | 'keep';

function actions(report: PlanReport): Array<{ action: Action; path: string; content?: string }> {
  const replaced = new Set(report.replaced);
  return [
    ...report.changes.map((change) => {
      const action: Action = change.kind === 'edit' && replaced.has(change.path) ? 'replace' : change.kind;
      return change.kind === 'create' || change.kind === 'edit'
        ? { action, path: change.path, content: change.text }
        : { action, path: change.path };
    }),
    ...(report.kept ?? []).map((path) => ({ action: 'keep' as const, path })),
  ];
}

/** One line per step, as a dry run and a finished run print them; an edit says when it merges or conflicts. */
export function changeLines(report: PlanReport): string {
  const merged = new Set(report.merged);
  const conflicts = new Map(report.conflicts?.map((conflict) => [conflict.path, conflict.lines]));
  return actions(report)
    .map(({ action, path }) => {
      const lines = conflicts.get(path);
      const label = lines ? 'conflict' : merged.has(path) ? 'merge' : action;
      const suffix = action === 'mkdir' || action === 'rmdir' ? '/' : lines ? ` (line${lines.length > 1 ? 's' : ''} ${lines.join(', ')})` : '';
      return `  ${label.padEnd(7)} ${path}${suffix}`;
    })
    .join('\n');
}

/** Prints what a plan would do: one line per step, or the whole plan as JSON (`--dry-run --json`). */
export function reportPlan(ctx: Pick<Context, 'log'>, report: PlanReport, json: boolean): void {
  if (json) {
    const { command, options, steps = [], merged, conflicts } = report;
    ctx.log.raw(JSON.stringify({ format: PLAN_FORMAT, version: VERSION, dryRun: true, command, options, changes: actions(report), steps, merged, conflicts }, null, 2));
    return;
  }
  const then = (report.steps ?? []).map((step) => (step.skip ? `  skip   ${step.name}: ${step.skip}` : `  then   ${step.name}: ${step.run}`));
  // Files it would keep as they are (upgrade's changed ones) are listed after it says so.
  const nothing = report.changes.length === 0 ? ['  (nothing to change)'] : [];
  const lines = changeLines(report);
  ctx.log.raw([...nothing, ...(lines === '' ? [] : [lines]), ...then, 'Dry run: nothing was written.'].join('\n'));
}
