import type { Context } from '../../context.js';
import { UsageError } from '../../errors.js';
import { type MapOption, planFlip } from '../../core/flip.js';
import { isConfinedPath } from '../../core/plan.js';
import { changeLines } from '../../core/report.js';
import { editProject } from '../../core/transaction.js';

export interface FlipOptions {
  /** `from=to` pairs: where flip puts modules of the user's it cannot place itself. */
  map?: string[];
  dryRun?: boolean;
  json?: boolean;
}

/** `services/pricing.py=domains/orders/pricing.py`: two paths inside the package, a file or a folder each. */
function parseMap(raw: string): MapOption {
  const [from, to, ...rest] = raw.split('=').map((part) => part.trim().replace(/\/+$/, ''));
  if (from === undefined || to === undefined || rest.length > 0 || from === '' || to === '') {
    throw new UsageError(`--map takes <from>=<to>, two paths inside the package (services/pricing.py=domains/orders/pricing.py), not "${raw}"`);
  }
  for (const path of [from, to]) {
    if (!isConfinedPath(path)) throw new UsageError(`--map ${raw}: "${path}" must be a relative path inside the package, without ".."`);
  }
  if (from.endsWith('.py') !== to.endsWith('.py')) throw new UsageError(`--map ${raw}: a module goes to a module (.py), a folder to a folder`);
  return { from, to };
}

export async function runFlip(options: FlipOptions, ctx: Pick<Context, 'cwd' | 'log'>): Promise<void> {
  const maps = (options.map ?? []).map(parseMap);
  const run = { command: 'flip', dryRun: options.dryRun, json: options.json, options: { map: options.map ?? [] } };
  await editProject(ctx, run, async (plan, manifest) => {
    const flipped = await planFlip(plan, manifest, maps);
    return {
      done(report) {
        ctx.log.success(`Flipped ${flipped.from} -> ${flipped.to} (${flipped.moves.size} files moved, their imports rewritten):`);
        ctx.log.info(changeLines(report));
        if (flipped.longLines.length > 0) {
          ctx.log.warn(`Renamed modules made these lines longer than the line length: ${flipped.longLines.join(', ')}; ruff format rewraps them.`);
        }
        if (flipped.staleGlobs.length > 0) {
          ctx.log.warn(`These globs name folders ${flipped.to} does not have, and match nothing now: ${flipped.staleGlobs.join(', ')}; write them for the new layout.`);
        }
        ctx.log.info('Next: ruff check, mypy, lint-imports and pytest; flip again to go back.');
      },
    };
  });
}
