/** Small pieces of Python source computed in TypeScript, formatted the way `ruff format` leaves them. */

import { byCodePoint } from './order.js';

/** The generated project's `line-length` (pyproject.toml). */
export const LINE_LENGTH = 100;

/**
 * A Python string literal as ruff format prints it: double quotes, unless the text holds more double
 * quotes than single ones (then single quotes, which need fewer escapes).
 */
export function pythonString(value: string): string {
  const escaped = value.replaceAll('\\', '\\\\');
  const doubles = value.split('"').length - 1;
  const singles = value.split("'").length - 1;
  return doubles > singles ? `'${escaped.replaceAll("'", "\\'")}'` : `"${escaped.replaceAll('"', '\\"')}"`;
}

/** `from module import a, b` on one line when it fits, else one name per line with a trailing comma. */
export function fromImport(module: string, names: string[]): string {
  // ruff's isort keeps each `x as y` on a statement of its own (combine-as-imports is off).
  const aliased = names.filter((name) => name.includes(' as '));
  if (aliased.length > 0 && names.length > 1) {
    return names.map((name) => fromImport(module, [name])).join('\n');
  }
  const line = `from ${module} import ${names.join(', ')}`;
  if (line.length <= LINE_LENGTH) return line;
  return `from ${module} import (\n${names.map((name) => `    ${name},\n`).join('')})`;
}

/**
 * `<head>(<args>)` indented by `indent`, split the way ruff format splits a call that does not fit:
 * the arguments on one line of their own, else one per line with a trailing comma.
 */
export function call(indent: string, head: string, args: string[]): string {
  const flat = `${indent}${head}(${args.join(', ')})`;
  if (flat.length <= LINE_LENGTH) return flat;
  const inner = `${indent}    ${args.join(', ')}`;
  if (inner.length <= LINE_LENGTH) return `${indent}${head}(\n${inner}\n${indent})`;
  return `${indent}${head}(\n${args.map((arg) => `${indent}    ${arg},\n`).join('')}${indent})`;
}

/** Several `from` imports of one section, in the order ruff's isort wants (by module name). */
export function fromImports(imports: Array<[module: string, names: string[]]>): string {
  return [...imports]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([module, names]) => fromImport(module, names))
    .join('\n');
}

/** The import and the call that register a router in `routers/__init__.py`. */
export interface RouterLines {
  module: string;
  alias: string;
  registry: string;
}

export const routerImport = (router: RouterLines) => fromImport(router.module, [`router as ${router.alias}`]);

export const routerInclude = (router: RouterLines) => `${router.registry}.include_router(${router.alias})`;
