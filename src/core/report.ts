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
}

const VERBS: Record<Change['kind'], string> = { mkdir: 'mkdir ', create: 'create', edit: 'edit  ', delete: 'delete', rmdir: 'rmdir ' };

function describeChange(change: Change): string {
  const folder = change.kind === 'mkdir' || change.kind === 'rmdir' ? '/' : '';
  return `${VERBS[change.kind]} ${change.path}${folder}`;
}

/** One line per step, as a dry run and a finished run print them. */
export function changeLines(changes: Change[]): string {
  return changes.map((change) => `  ${describeChange(change)}`).join('\n');
}

/** Prints what a plan would do: one line per step, or the whole plan as JSON (`--dry-run --json`). */
export function reportPlan(ctx: Pick<Context, 'log'>, report: PlanReport, json: boolean): void {
  if (!json) {
    ctx.log.raw(report.changes.length === 0 ? 'Nothing to change.' : report.changes.map(describeChange).join('\n'));
    return;
  }
  const changes = report.changes.map((change) =>
    change.kind === 'create' || change.kind === 'edit'
      ? { action: change.kind, path: change.path, content: change.text }
      : { action: change.kind, path: change.path },
  );
  ctx.log.raw(JSON.stringify({ format: PLAN_FORMAT, dryRun: true, command: report.command, options: report.options, changes }, null, 2));
}
