import type { Context } from '../context.js';
import type { Change } from './plan.js';

const VERBS = { create: 'create', edit: 'edit  ', delete: 'delete' } as const;

/** Prints what a plan would do: one line per file, or the whole plan as JSON (`--dry-run --json`). */
export function reportPlan(ctx: Pick<Context, 'log'>, changes: Change[], json: boolean): void {
  if (json) {
    const entries = changes.map((change) =>
      change.kind === 'delete' ? { action: change.kind, path: change.path } : { action: change.kind, path: change.path, content: change.content },
    );
    ctx.log.raw(JSON.stringify({ dryRun: true, changes: entries }, null, 2));
    return;
  }
  ctx.log.raw(changes.map((change) => `${VERBS[change.kind]} ${change.path}`).join('\n'));
}
