import type { Context } from '../../../context.js';

export function printNextSteps(
  ctx: Pick<Context, 'log'>,
  project: { directory: string; packageName: string; installer?: 'uv' | 'pip' },
): void {
  const install =
    project.installer === undefined
      ? ['uv sync --extra dev   # or: python3 -m venv .venv && .venv/bin/pip install -e ".[dev]"']
      : [];
  const lines = [
    '',
    'Next steps:',
    `  cd ${project.directory}`,
    ...install.map((line) => `  ${line}`),
    '  . .venv/bin/activate',
    `  uvicorn ${project.packageName}.main:app --reload`,
    '  pytest && ruff check . && mypy && lint-imports',
  ];
  ctx.log.info(lines.join('\n'));
}
