import pluralize from 'pluralize';
import { kebabCase, pascalCase, snakeCase } from 'change-case';
import { UsageError } from '../errors.js';

/** Naming rules, all in one place: what a package, a domain and a field may be called, and why not. */

// https://docs.python.org/3/reference/lexical_analysis.html#keywords (hard keywords, lower-cased).
export const PYTHON_KEYWORDS = new Set([
  'false', 'none', 'true', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def',
  'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is',
  'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

// Soft keywords: legal names, but a package or domain called `match` reads as a statement.
const SOFT_KEYWORDS = new Set(['match', 'case', 'type', '_']);

/**
 * Folders and modules of the generated package: a domain with one of these names would shadow it,
 * or land where the templates put their own (`imports`: the workers extra's router and schemas).
 */
export const RESERVED_MODULES = new Set([
  'routers', 'services', 'repositories', 'schemas', 'utils', 'core', 'crawlers', 'schedulers', 'clients',
  'workers', 'flows', 'main', 'tests', 'health', 'migrations', 'pagination', 'columns', 'domains', 'imports',
]);

/** Python 3.11's sys.stdlib_module_names (public ones): a package named like one shadows it. */
export const STDLIB_MODULES = new Set(
  (
    'abc aifc antigravity argparse array ast asynchat asyncio asyncore atexit audioop base64 bdb binascii bisect ' +
    'builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd code codecs codeop collections colorsys compileall ' +
    'concurrent configparser contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses datetime dbm ' +
    'decimal difflib dis distutils doctest email encodings ensurepip enum errno faulthandler fcntl filecmp fileinput ' +
    'fnmatch fractions ftplib functools gc genericpath getopt getpass gettext glob graphlib grp gzip hashlib heapq ' +
    'hmac html http idlelib imaplib imghdr imp importlib inspect io ipaddress itertools json keyword lib2to3 linecache ' +
    'locale logging lzma mailbox mailcap marshal math mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc ' +
    'nis nntplib nt ntpath nturl2path numbers opcode operator optparse os ossaudiodev pathlib pdb pickle pickletools ' +
    'pipes pkgutil platform plistlib poplib posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc ' +
    'pydoc_data pyexpat queue quopri random re readline reprlib resource rlcompleter runpy sched secrets select ' +
    'selectors shelve shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3 sre_compile ' +
    'sre_constants sre_parse ssl stat statistics string stringprep struct subprocess sunau symtable sys sysconfig ' +
    'syslog tabnanny tarfile telnetlib tempfile termios textwrap this threading time timeit tkinter token tokenize ' +
    'tomllib trace traceback tracemalloc tty turtle turtledemo types typing unicodedata unittest urllib uu uuid venv ' +
    'warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile zipimport zlib zoneinfo'
  ).split(' '),
);

/**
 * Top-level modules of widely used PyPI distributions (the most downloaded ones on pypistats.org
 * in 2026, by their import names): a project package named like one would shadow it the day the
 * project, or one of its dependencies, imports it.
 */
const COMMON_MODULES = new Set([
  'aiohttp', 'attr', 'attrs', 'bs4', 'boto3', 'botocore', 'cachetools', 'celery', 'cffi', 'chardet',
  'charset_normalizer', 'colorama', 'coverage', 'cryptography', 'dateutil', 'django', 'docutils', 'filelock',
  'flask', 'fsspec', 'google', 'grpc', 'gunicorn', 'jinja2', 'jmespath', 'jsonschema', 'jwt', 'kombu', 'lxml',
  'matplotlib', 'mock', 'msgpack', 'numpy', 'openpyxl', 'pandas', 'PIL', 'pip', 'pkg_resources',
  'platformdirs', 'psutil', 'psycopg', 'psycopg2', 'pyasn1', 'pygments', 'pymysql', 'pytz', 'redis', 'regex',
  'requests', 'rich', 'rsa', 's3transfer', 'scipy', 'setuptools', 'six', 'tabulate', 'toml', 'tomli',
  'tqdm', 'urllib3', 'virtualenv', 'werkzeug', 'wheel', 'wrapt', 'yaml', 'yarl', 'zipp',
]);

/** Modules the generated project and its tools import: a package with one of these names would shadow it. */
const DEPENDENCY_MODULES = new Set([
  'fastapi', 'starlette', 'pydantic', 'pydantic_core', 'pydantic_settings', 'sqlalchemy', 'alembic', 'httpx',
  'httpx2', 'httpcore', 'tenacity', 'limits', 'uvicorn', 'aiosqlite', 'asyncpg', 'anyio', 'sniffio', 'h11',
  'idna', 'certifi', 'greenlet', 'mako', 'markupsafe', 'click', 'dotenv', 'annotated_types', 'typing_extensions',
  'typing_inspection', 'pytest', 'pluggy', 'iniconfig', 'packaging', 'mypy', 'mypy_extensions', 'ruff',
  'importlinter', 'grimp', 'test',
]);

/**
 * For each generated file: the identifiers its template derives from the domain's name ({module},
 * {singular}, {Pascal} stand for the domain's forms) and every other identifier it binds or reads.
 * A derived one equal to another in the same file would shadow it (a class `Base` in the file that
 * imports the declarative `Base`). test/unit/template-identifiers.test.ts renders the templates and
 * keeps this table exact.
 */
export const TEMPLATE_SCOPES: Array<{ file: string; derived: string[]; names: string }> = [
  {
    file: 'repositories/{module}.py',
    derived: ['{Pascal}', '{Pascal}Create', '{Pascal}ListQuery', '{Pascal}Update', '{singular}_id'],
    names:
      'AsyncSession Base Boolean Date Decimal Float ForeignKey Integer Mapped Numeric String Text ' +
      'Timestamps UTCDateTime UUID Uuid __tablename__ add bool changes data date datetime delete ' +
      'float func get holder id int list list_page mapped_column name ordered params query row rows ' +
      'select session setattr str total tuple update value',
  },
  {
    file: 'routers/__init__.py',
    derived: ['{module}_router'],
    names:
      'APIRouter api_router health_router',
  },
  {
    file: 'routers/{module}/deps.py',
    derived: ['{Pascal}Id', '{Pascal}ListQuery', '{Pascal}PageQuery'],
    names:
      'Annotated INT32_MAX Path Query int',
  },
  {
    file: 'routers/{module}/handlers.py',
    derived: ['create_{singular}', 'delete_{singular}', 'get_{singular}', 'list_{module}', 'update_{singular}', '{Pascal}Create', '{Pascal}Id', '{Pascal}PageQuery', '{Pascal}Read', '{Pascal}Update', '{singular}_id'],
    names:
      'APIRouter Page SessionDep data error_responses page router service session status',
  },
  {
    file: 'schemas/{module}.py',
    derived: ['{Pascal}Create', '{Pascal}ListQuery', '{Pascal}Read', '{Pascal}Update'],
    names:
      'BaseModel Bool ConfigDict Date Decimal Decimal12_2 FiniteFloat Id Int32 LongStr Omittable ' +
      'PageParams QueryId QueryInt32 ShortStr UUID UtcDatetime Uuid bool created_at date datetime ' +
      'float id int model_config str updated_at',
  },
  {
    file: 'services/{module}.py',
    derived: ['create_{singular}', 'delete_{singular}', 'get_{singular}', 'list_{module}', 'update_{singular}', '{Pascal}Create', '{Pascal}ListQuery', '{Pascal}Read', '{Pascal}Update', '{singular}_id'],
    names:
      'AsyncSession ConflictError NotFoundError Page _check _require changes data holder int items ' +
      'msg params repository row rows session total transaction updated',
  },
  {
    file: 'tests/test_{module}_api.py',
    derived: ['create_{singular}', 'test_created_{singular}_reads_back', 'test_delete_removes_the_{singular}', 'test_invalid_{singular}_is_a_422', 'test_list_{module}_paginates', 'test_missing_{singular}_is_a_404_in_the_error_shape'],
    names:
      'Any CHANGES FILTERS HOSTILE PAYLOAD REFERENCES REQUIRED ROWS STORED TestClient UNIQUE _ body ' +
      'client created declared dict fetched field first float ids invalid item iter itertools json ' +
      'json_type key list method name new next nothing operation page patched path paths payload ' +
      'posted pytest range response row rows second set sorted str ' +
      'test_a_field_the_api_does_not_have_is_a_422 ' +
      'test_a_method_the_path_does_not_serve_is_a_405_naming_those_it_does ' +
      'test_a_reference_to_no_row_is_a_409_naming_the_field ' +
      'test_a_value_another_row_holds_is_a_409_naming_the_field ' +
      'test_a_value_its_column_cannot_hold_is_a_422 test_ids_and_pages_past_their_columns_are_a_422 ' +
      'test_null_on_a_required_field_is_a_422 test_openapi_declares_what_each_route_answers ' +
      'test_the_list_filters_on_an_exact_match test_update_changes_what_is_sent ' +
      'test_update_leaves_what_is_not_sent tuple unchanged updated valid_payload value wanted',
  },
];

/**
 * The longest a domain's module or record name may be: its migration's revision id,
 * `create_<module>`, must fit Alembic's alembic_version column (VARCHAR(32), enforced by PostgreSQL).
 */
export const MAX_DOMAIN_LENGTH = 25;

/** The longest a field name may be: with it every line the templates print still fits 100 columns. */
export const MAX_FIELD_LENGTH = 30;

/** The longest a package name may be: with it every line of the project's imports and docstrings fits. */
export const MAX_PACKAGE_LENGTH = 24;

/** The generated code prints the project's name in its User-Agent and docstring lines, which must stay within 100 columns. */
export const MAX_PROJECT_LENGTH = 64;

/**
 * Where a domain's code lives. layer-first (the seed's tree, the default): one folder per layer,
 * a file (a package for the router) per domain in each. domain-first (the seed's "once the number
 * of domains explodes"): one package per domain under domains/, the same layers inside it.
 */
export const LAYOUTS = ['layer-first', 'domain-first'] as const;
export type Layout = (typeof LAYOUTS)[number];

export const otherLayout = (layout: Layout): Layout => (layout === 'layer-first' ? 'domain-first' : 'layer-first');

/**
 * A domain's modules by the part each plays, named as domain-first names its files:
 * `__init__` exposes the router (routers/<domain>/__init__.py in layer-first), `handlers` and `deps`
 * are the rest of the HTTP entry, then `service`, `repository` and `schemas`, one file each.
 */
export const DOMAIN_ROLES = ['__init__', 'handlers', 'deps', 'service', 'repository', 'schemas'] as const;
export type DomainRole = (typeof DOMAIN_ROLES)[number];

/**
 * The one mapping from (layout, domain, role) to a module: the templates' imports, add-domain's
 * paths and registration, and flip's moves and import rewrites all come from here.
 */
export function domainModule(layout: Layout, packageName: string, domain: string, role: DomainRole): string {
  if (layout === 'domain-first') return role === '__init__' ? `${packageName}.domains.${domain}` : `${packageName}.domains.${domain}.${role}`;
  switch (role) {
    case '__init__':
      return `${packageName}.routers.${domain}`;
    case 'handlers':
    case 'deps':
      return `${packageName}.routers.${domain}.${role}`;
    case 'service':
      return `${packageName}.services.${domain}`;
    case 'repository':
      return `${packageName}.repositories.${domain}`;
    case 'schemas':
      return `${packageName}.schemas.${domain}`;
  }
}

/** The file of a domain's role, in the src layout: a package's `__init__.py` for `__init__`. */
export function domainFile(layout: Layout, packageName: string, domain: string, role: DomainRole): string {
  const path = `src/${domainModule(layout, packageName, domain, role).replaceAll('.', '/')}`;
  return role === '__init__' ? `${path}/__init__.py` : `${path}.py`;
}

/**
 * The folders only `layout` has, given its domains: what a flip empties and removes. In
 * layer-first, services/ and repositories/ and each domain's router package (routers/ itself stays:
 * it holds the registry, health and the flows' routers, as schemas/ holds the shared models); in
 * domain-first, domains/.
 */
export function layoutFolders(layout: Layout, packageName: string, domains: string[]): string[] {
  const root = `src/${packageName}`;
  if (layout === 'domain-first') return [`${root}/domains`];
  return [`${root}/services`, `${root}/repositories`, ...domains.map((domain) => `${root}/routers/${domain}`)];
}

/** The packages only `layout` has, as modules: an import of one of them itself has no counterpart. */
export function layoutPackages(layout: Layout, packageName: string): string[] {
  return layout === 'domain-first' ? [`${packageName}.domains`] : [`${packageName}.services`, `${packageName}.repositories`];
}

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
  if (raw.trim() === '') throw new UsageError(`${kind} name is empty`);
  // An option given after `--` is taken as a name: `add-domain -- --fields` made a domain `fields`.
  if (raw.trim().startsWith('-')) throw new UsageError(`${kind} name "${raw}" must not start with "-"`);
  if (raw.includes('/') || raw.includes('\\') || raw.includes('..')) {
    throw new UsageError(`${kind} name "${raw}" must not contain path separators or ".."`);
  }
  if (/^\d/.test(raw.trim())) throw new UsageError(`${kind} name "${raw}" must not start with a digit`);
}

function requireIdentifier(kind: string, raw: string, identifier: string): void {
  if (!/^[a-z][a-z0-9_]*$/.test(identifier)) {
    throw new UsageError(`${kind} name "${raw}" must turn into a Python identifier of ASCII letters, digits and _, got "${identifier}"`);
  }
}

/** `item_2` gives the class `Item_2`, which is not CapWords (ruff's N801): the name is refused with the one that works. */
function refuseDigitAfterUnderscore(kind: string, raw: string, identifier: string): void {
  if (/_\d/.test(identifier)) {
    throw new UsageError(`${kind} name "${raw}" gives "${identifier}", whose class name would not be CapWords; did you mean "${identifier.replace(/_(?=\d)/g, '')}"?`);
  }
}

/** A name the generated code imports on its own must not be a keyword (nor read as one). */
function refuseKeyword(kind: string, raw: string, identifier: string): void {
  if (PYTHON_KEYWORDS.has(identifier)) throw new UsageError(`${kind} name "${raw}" gives "${identifier}", a Python keyword`);
  if (SOFT_KEYWORDS.has(identifier)) throw new UsageError(`${kind} name "${raw}" gives "${identifier}", a Python soft keyword; pick another`);
}

/** `Order-Items`, `order_item` and `orderItems` all name the domain `order_items` / `OrderItem`. */
export function domainName(raw: string): DomainName {
  rejectUnsafe('Domain', raw);
  const snake = snakeCase(raw.trim());
  requireIdentifier('Domain', raw, snake);
  const parts = snake.split('_');
  const last = parts.pop() as string;
  const lastPlural = pluralize.plural(last);
  const module = [...parts, lastPlural].join('_');
  const singular = [...parts, pluralize.singular(last)].join('_');
  const reserved = [module, singular].find((form) => RESERVED_MODULES.has(form));
  if (reserved !== undefined) throw new UsageError(`Domain name "${raw}" is reserved: it would shadow the project's own "${reserved}" module`);
  refuseDigitAfterUnderscore('Domain', raw, module);
  // A flow's overview has a field per domain it uses; pydantic keeps model_* to itself.
  if (module.startsWith('model_') || singular.startsWith('model_')) {
    throw new UsageError(`Domain name "${raw}" starts with "model_", which pydantic keeps for its own attributes; pick another`);
  }
  for (const form of [module, singular]) {
    requireIdentifier('Domain', raw, form);
    if (form.length > MAX_DOMAIN_LENGTH) {
      throw new UsageError(
        `Domain name "${raw}" is too long: "${form}" has ${form.length} characters, at most ${MAX_DOMAIN_LENGTH} (Alembic's revision ids hold 32)`,
      );
    }
  }
  if (module === singular) {
    throw new UsageError(`Domain name "${raw}" has no distinct plural; pick a countable noun (e.g. "${raw}_items")`);
  }
  // Every later command (and the manifest) names the domain by its module, and derives the rest
  // from it again: pluralize must give the same two forms from the module. For a few words it does
  // not (`sku` -> `skus` -> `skuses`), and the project would import modules that do not exist.
  const again = { module: [...parts, pluralize.plural(lastPlural)].join('_'), singular: [...parts, pluralize.singular(lastPlural)].join('_') };
  if (again.module !== module || again.singular !== singular) {
    throw new UsageError(
      `Domain name "${raw}" does not read back: its module "${module}" would be taken for "${again.module}" (singular "${again.singular}"); pick another (e.g. "${snake}_items")`,
    );
  }
  // The module is imported by its name; the singular only ever appears inside longer names
  // (`class_id`, `create_class`), so a domain `classes` is fine.
  refuseKeyword('Domain', raw, module);
  // A one-letter record (`os` -> `o`) gives a one-letter class, which ruff rejects as ambiguous (E742).
  if (singular.length < 2) throw new UsageError(`Domain name "${raw}" is too short: its singular "${singular}" needs two letters or more`);
  const pascal = pascalCase(singular);
  if (pascal === 'None' || pascal === 'True' || pascal === 'False') {
    throw new UsageError(`Domain name "${raw}" would name a class ${pascal}, a Python keyword; pick another`);
  }
  const name = {
    module,
    singular,
    pascal,
    kebab: kebabCase(module),
    words: module.replaceAll('_', ' '),
    singularWords: singular.replaceAll('_', ' '),
  };
  for (const scope of TEMPLATE_SCOPES) {
    const taken = new Set(scope.names.split(' '));
    for (const pattern of scope.derived) {
      const identifier = pattern.replaceAll('{module}', module).replaceAll('{singular}', singular).replaceAll('{Pascal}', name.pascal);
      if (taken.has(identifier)) {
        throw new UsageError(`Domain name "${raw}" would define "${identifier}" in ${scope.file.replaceAll('{module}', module)}, which already uses that name; pick another`);
      }
    }
  }
  return name;
}

export interface FlowName {
  /** Module, router package and schemas module: `checkout`, as given (a flow is not a collection). */
  module: string;
  pascal: string;
  kebab: string;
  words: string;
}

/** A flow's name: snake_case, not a keyword, not one of the project's own modules. */
export function flowName(raw: string): FlowName {
  rejectUnsafe('Flow', raw);
  const module = snakeCase(raw.trim());
  requireIdentifier('Flow', raw, module);
  refuseKeyword('Flow', raw, module);
  if (RESERVED_MODULES.has(module)) throw new UsageError(`Flow name "${raw}" is reserved: it would shadow the project's own "${module}" module`);
  refuseDigitAfterUnderscore('Flow', raw, module);
  if (module.length > MAX_DOMAIN_LENGTH) {
    throw new UsageError(`Flow name "${raw}" is too long: "${module}" has ${module.length} characters, at most ${MAX_DOMAIN_LENGTH}`);
  }
  // A flow's router is registered as <module>_router beside the registry's own names (`api_router`).
  const registry = TEMPLATE_SCOPES.find((scope) => scope.file === 'routers/__init__.py');
  if (registry?.names.split(' ').includes(`${module}_router`)) {
    throw new UsageError(`Flow name "${raw}" would register "${module}_router" in routers/__init__.py, which already uses that name; pick another`);
  }
  return { module, pascal: pascalCase(module), kebab: kebabCase(module), words: module.replaceAll('_', ' ') };
}

/** Parses `users, orders` into distinct domain names; duplicates (also `user,users`) are an error. */
/** The names of a comma-separated list as typed, blanks left out. */
export const listedNames = (raw: string): string[] =>
  raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

export function domainList(raw: string): DomainName[] {
  const names = listedNames(raw).map(domainName);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name.module)) throw new UsageError(`Domain "${name.module}" is listed twice`);
    seen.add(name.module);
  }
  return names;
}

/**
 * Names a field may not have: the generated classes' own attributes and everything their bodies use
 * after the field (a field `date` would shadow the type `date` of the fields below it).
 */
const RESERVED_FIELDS = new Set([
  // Columns every table has.
  'id', 'created_at', 'updated_at',
  // The types and helpers the model and schema class bodies use.
  'str', 'int', 'float', 'bool', 'date', 'datetime', 'mapped_column', 'model_config',
  // SQLAlchemy declarative attributes; the ORM constructor's own parameter.
  'metadata', 'registry', 'awaitable_attrs', 'self',
  // pydantic BaseModel methods and attributes (model_* is refused as a prefix).
  'copy', 'dict', 'json', 'schema', 'schema_json', 'construct', 'validate', 'parse_obj', 'parse_raw', 'parse_file',
  'from_orm', 'update_forward_refs',
]);

/** Checks a field's name; `reason` says what makes it unusable, or undefined when it is fine. */
export function fieldNameProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) return 'must be snake_case: a lower-case letter, then letters, digits or _';
  if (name.length > MAX_FIELD_LENGTH) return `is longer than ${MAX_FIELD_LENGTH} characters`;
  if (PYTHON_KEYWORDS.has(name)) return 'is a Python keyword';
  if (name.startsWith('model_')) return 'starts with model_, which pydantic reserves';
  if (RESERVED_FIELDS.has(name)) return 'is a name the generated model or schema already uses';
  return undefined;
}

/**
 * The project's distribution name (pyproject's `name`, the User-Agent, the API's title) from its
 * folder: PEP 508 allows letters, digits, `.`, `_` and `-`; this takes PEP 503's normalised form
 * (lower case, runs of separators as one `-`), so `My API` and `my_api` both give `my-api`.
 */
export function projectName(folder: string): string {
  const name = folder
    // Accents come off their letters (Über -> uber, Café -> cafe) rather than the letters going.
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name === '') throw new UsageError(`The folder name "${folder}" has no ASCII letters or digits to name a project by; choose another`);
  if (name.length > MAX_PROJECT_LENGTH) {
    throw new UsageError(`The project name "${name}" (from the folder name) has ${name.length} characters, at most ${MAX_PROJECT_LENGTH}; choose a shorter folder name`);
  }
  return name;
}

/** The Python package for a project: `my-api` -> `my_api`. */
export function derivedPackageName(project: string): string {
  return packageName(snakeCase(project));
}

/** Why `name` cannot be the Python package, in words that fit after it; undefined when it can. */
function packageNameProblem(name: string): { problem: string; withFlag?: string } | undefined {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) return { problem: 'is not a Python package name (lower-case letters, digits and _, starting with a letter)' };
  if (PYTHON_KEYWORDS.has(name)) return { problem: 'is a Python keyword' };
  if (SOFT_KEYWORDS.has(name)) return { problem: 'is a Python soft keyword; choose another' };
  if (RESERVED_MODULES.has(name) || DEPENDENCY_MODULES.has(name) || STDLIB_MODULES.has(name) || COMMON_MODULES.has(name)) {
    return { problem: `would shadow the module "${name}" that code imports; choose another`, withFlag: ' with --name' };
  }
  if (name.length > MAX_PACKAGE_LENGTH) {
    return { problem: `is too long: ${name.length} characters, at most ${MAX_PACKAGE_LENGTH}; choose a shorter one`, withFlag: ' with --name' };
  }
  return undefined;
}

/**
 * A package name given as such (--name, the wizard) is taken exactly as written, or refused with
 * the name it could be (one that would itself be taken): never changed behind the user's back.
 */
export function packageName(raw: string): string {
  const name = raw.trim();
  if (name === '') throw new UsageError('Package name is empty');
  const refused = packageNameProblem(name);
  if (refused === undefined) return name;
  const snake = snakeCase(name);
  const hint = snake !== name && packageNameProblem(snake) === undefined ? `; did you mean "${snake}"?` : '';
  const message = `Package name "${/^[a-z][a-z0-9_]*$/.test(name) ? name : raw}" ${refused.problem}`;
  throw new UsageError(`${message}${refused.withFlag ?? ''}${hint}`, `${message}${hint}`);
}

/**
 * A project directory must be a plain folder name (or path) that npm and Python tooling accept.
 * It may start by going up (`../my-api`, a sibling of this folder), but not come back down a path
 * it named (`src/../x`), whose `cd` in the next steps would read as somewhere else.
 */
export function projectDirectory(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed === '') throw new UsageError('Project directory is empty');
  const segments = trimmed.split(/[\\/]/);
  const down = segments.findIndex((segment) => segment !== '..');
  if (down >= 0 && segments.slice(down).includes('..')) {
    throw new UsageError(`Project directory "${raw}" must not go back up a path it names (".." after a folder)`);
  }
  // A line break or another control character: a folder no listing or printed `cd` shows as it is.
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new UsageError(`Project directory ${JSON.stringify(raw)} must not hold a line break, a tab or another control character`);
  // Given after `--`, it would be created, and the printed `cd -x` read as an option.
  if (trimmed.startsWith('-')) throw new UsageError(`Project directory "${raw}" must not start with "-" (a shell reads it as an option)`);
  return trimmed;
}
