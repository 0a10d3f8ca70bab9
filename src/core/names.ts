import pluralize from 'pluralize';
import { kebabCase, pascalCase, snakeCase } from 'change-case';
import { CliError } from '../errors.js';

// https://docs.python.org/3/reference/lexical_analysis.html#keywords, plus soft keywords and builtins
// that would make generated code confusing (`type`, `id`, ...).
const PYTHON_RESERVED = new Set([
  'false', 'none', 'true', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def',
  'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is',
  'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
  'match', 'case', 'type', '_',
]);

/** Folders and modules of the generated package: a domain with one of these names would shadow it. */
export const RESERVED_MODULES = new Set([
  'routers', 'services', 'repositories', 'schemas', 'utils', 'core', 'crawlers', 'schedulers', 'clients',
  'workers', 'main', 'tests', 'health', 'migrations',
]);

/** Distributions the generated project imports: a package with one of these names would shadow it. */
const DEPENDENCY_MODULES = new Set([
  'fastapi', 'starlette', 'pydantic', 'pydantic_settings', 'sqlalchemy', 'alembic', 'httpx', 'httpx2',
  'tenacity', 'slowapi', 'uvicorn', 'aiosqlite', 'asyncpg', 'pytest', 'test', 'typing', 'logging', 'json',
]);

/**
 * The longest a domain's module or record name may be: its migration's revision id,
 * `create_<module>`, must fit Alembic's alembic_version column (VARCHAR(32), enforced by PostgreSQL).
 */
export const MAX_DOMAIN_LENGTH = 25;

/** The longest a field name may be: with it every line the templates print still fits 100 columns. */
export const MAX_FIELD_LENGTH = 30;

/** The longest a package name may be: with it every line of the project's imports and docstrings fits. */
export const MAX_PACKAGE_LENGTH = 24;

export interface DomainName {
  /** Module and folder name, plural snake_case: `order_items`. */
  module: string;
  /** One record, snake_case: `order_item`. */
  singular: string;
  /** ORM class: `OrderItem`. */
  pascal: string;
  /** URL segment: `order-items`. */
  kebab: string;
  /** Human words: `order items`. */
  words: string;
  singularWords: string;
}

function rejectUnsafe(kind: string, raw: string): void {
  if (raw.trim() === '') throw new CliError(`${kind} name is empty`);
  if (raw.includes('/') || raw.includes('\\') || raw.includes('..')) {
    throw new CliError(`${kind} name "${raw}" must not contain path separators or ".."`);
  }
  if (/^\d/.test(raw.trim())) throw new CliError(`${kind} name "${raw}" must not start with a digit`);
}

function requireIdentifier(kind: string, raw: string, identifier: string): void {
  if (!/^[a-z][a-z0-9_]*$/.test(identifier)) {
    throw new CliError(`${kind} name "${raw}" must turn into a Python identifier (letters, digits, _), got "${identifier}"`);
  }
  if (PYTHON_RESERVED.has(identifier)) throw new CliError(`${kind} name "${raw}" is a Python keyword`);
}

/** `Order-Items`, `order_item` and `orderItems` all name the domain `order_items` / `OrderItem`. */
export function domainName(raw: string): DomainName {
  rejectUnsafe('Domain', raw);
  const snake = snakeCase(raw.trim());
  requireIdentifier('Domain', raw, snake);
  const parts = snake.split('_');
  const last = parts.pop() as string;
  const module = [...parts, pluralize.plural(last)].join('_');
  const singular = [...parts, pluralize.singular(last)].join('_');
  if (RESERVED_MODULES.has(module) || RESERVED_MODULES.has(singular)) {
    throw new CliError(`Domain name "${raw}" is reserved: it would shadow the project's own "${module}" module`);
  }
  for (const form of [module, singular]) {
    requireIdentifier('Domain', raw, form);
    if (form.length > MAX_DOMAIN_LENGTH) {
      throw new CliError(
        `Domain name "${raw}" is too long: "${form}" has ${form.length} characters, at most ${MAX_DOMAIN_LENGTH} (Alembic's revision ids hold 32)`,
      );
    }
  }
  if (module === singular) {
    throw new CliError(`Domain name "${raw}" has no distinct plural; pick a countable noun (e.g. "${raw}_items")`);
  }
  return {
    module,
    singular,
    pascal: pascalCase(singular),
    kebab: kebabCase(module),
    words: module.replaceAll('_', ' '),
    singularWords: singular.replaceAll('_', ' '),
  };
}

/** Parses `users, orders` into distinct domain names; duplicates (also `user,users`) are an error. */
export function domainList(raw: string): DomainName[] {
  const names = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(domainName);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name.module)) throw new CliError(`Domain "${name.module}" is listed twice`);
    seen.add(name.module);
  }
  return names;
}

/** The Python package for a project directory: `my-api` -> `my_api`. */
export function packageName(raw: string): string {
  rejectUnsafe('Package', raw);
  const snake = snakeCase(raw.trim());
  requireIdentifier('Package', raw, snake);
  if (RESERVED_MODULES.has(snake) || DEPENDENCY_MODULES.has(snake)) {
    throw new CliError(`Package name "${snake}" would shadow a module the project imports; choose another with --name`);
  }
  if (snake.length > MAX_PACKAGE_LENGTH) {
    throw new CliError(
      `Package name "${snake}" is too long: ${snake.length} characters, at most ${MAX_PACKAGE_LENGTH}; choose a shorter one with --name`,
    );
  }
  return snake;
}

/** A project directory must be a plain folder name (or path) that npm and Python tooling accept. */
export function projectDirectory(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed === '') throw new CliError('Project directory is empty');
  if (trimmed.split(/[\\/]/).includes('..')) throw new CliError(`Project directory "${raw}" must not contain ".."`);
  return trimmed;
}
