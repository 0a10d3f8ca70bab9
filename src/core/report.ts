import type { Context } from '../context.js';
import type { Change } from './plan.js';

/**
 * The JSON plan's format: the contract between versions of this CLI (upgrade asks an older version
 * for its plan). Bump it on any change a reader could notice.
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
  /** What runs after the files are written (create: the install, git). */
  steps?: Array<{ name: string; run: string }>;
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

/** One line per step, as a dry run and a finished run print them. */
export function changeLines(report: PlanReport): string {
  return actions(report)
    .map(({ action, path }) => `  ${action.padEnd(7)} ${path}${action === 'mkdir' || action === 'rmdir' ? '/' : ''}`)
    .join('\n');
}

/** Prints what a plan would do: one line per step, or the whole plan as JSON (`--dry-run --json`). */
export function reportPlan(ctx: Pick<Context, 'log'>, report: PlanReport, json: boolean): void {
  if (json) {
    const { command, options, steps = [] } = report;
    ctx.log.raw(JSON.stringify({ format: PLAN_FORMAT, dryRun: true, command, options, changes: actions(report), steps }, null, 2));
    return;
  }
  const then = (report.steps ?? []).map((step) => `  then   ${step.name}: ${step.run}`);
  ctx.log.raw([changeLines(report) || '  (nothing to change)', ...then, 'Dry run: nothing was written.'].join('\n'));
}
