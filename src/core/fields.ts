import { UsageError } from '../errors.js';
import { fieldNameProblem } from './names.js';
import { byCodePoint } from './order.js';
import { fromImport, pythonText } from './python-source.js';

/** A reference to another domain's row: `owner:ref(users, on_delete=cascade)`. */
export interface Reference {
  /** The referenced domain's module: `users`. */
  domain: string;
  onDelete: 'RESTRICT' | 'CASCADE' | 'SET NULL';
}

/**
 * One column of a domain, as written in `--fields "title:str, sku:str!, name:str+, owner:ref(users)"`.
 * Everything a template needs is computed here so the templates only print values.
 */
export interface Field {
  /** The field as written: `owner`. */
  name: string;
  /** Its column and attribute: `owner_id` for a reference, else the name. */
  column: string;
  /** The field's own part of the spec, as written (remove-field drops it from the domain's spec). */
  spec: string;
  type: FieldType | 'ref';
  optional: boolean;
  /** `!`: no two rows hold the same value (a unique constraint; a 409 naming the field). */
  unique: boolean;
  /** `+` (and every reference): an index, and an exact-match filter on the list endpoint. */
  indexed: boolean;
  reference?: Reference;
  /** The Python type of the attribute (`str`, `Decimal`, `date | None`). */
  pythonType: string;
  /** The SQLAlchemy column type expression (`String(255)`, `Numeric(12, 2)`). */
  columnType: string;
  /** The same type as the migration spells it (`sa.String(length=255)`). */
  migrationType: string;
  /** Python source for the schema default, or undefined when the field is required. */
  pythonDefault?: string;
  /** The `=value` default as written (unquoted), for a migration's server default. */
  defaultValue?: string;
  /** Python source for a value the generated tests send and expect back unchanged. */
  sample: string;
  /** A different valid value, for the update test. */
  changed: string;
  /** Python source for what the API answers after storing `sample` (the column's scale, UTC). */
  stored: string;
  /** The input type in the schemas, bounded by the column (`ShortStr` from schemas/columns.py). */
  schemaType: string;
  /** The same for a query string, where every value arrives as text (`QueryInt32`). */
  filterType: string;
  /** Python values the API must refuse with a 422 before they reach the column. */
  hostile: string[];
}

type FieldType = 'str' | 'text' | 'int' | 'float' | 'bool' | 'decimal' | 'date' | 'datetime' | 'uuid';

interface TypeSpec {
  python: string;
  column: string;
  migration: string;
  /** The Python literal for a `=value` default; throws a usage error for a value the column cannot hold. */
  literal(value: string): string;
  sample: string;
  changed: string;
  /** The standard-library name a module holding this type must import, as [module, name]. */
  import?: [string, string];
  /** The bounded input type from schemas/columns.py; without one, `python` is taken as it is. */
  schema?: string;
  /** The bounded type for a query-string filter, where it differs from `schema`. */
  filter?: string;
  /** Defaults to `sample`. */
  stored?: string;
  hostile?: string[];
}


const TYPES: Record<FieldType, TypeSpec> = {
  str: {
    python: 'str',
    column: 'String(255)',
    migration: 'sa.String(length=255)',
    // Counted as Python and the column count, in characters (a flag emoji is several; a UTF-16
    // unit is not one).
    literal: (v) => ([...v].length <= 255 ? pythonText(v) : fail(`the default is ${[...v].length} characters; the column holds 255`)),
    sample: '"first"',
    changed: '"second"',
    schema: 'ShortStr',
    hostile: ['"nul \\x00 inside"', '"x" * 256'],
  },
  text: {
    python: 'str',
    column: 'Text',
    migration: 'sa.Text()',
    literal: pythonText,
    sample: '"a longer text"',
    changed: '"another text"',
    schema: 'LongStr',
    hostile: ['"nul \\x00 inside"'],
  },
  int: {
    python: 'int',
    column: 'Integer',
    migration: 'sa.Integer()',
    literal: (v) => {
      if (!/^-?(0|[1-9]\d*)$/.test(v)) fail(`"${v}" is not an int (digits, no leading zeros)`);
      if (BigInt(v) < INT32_MIN || BigInt(v) > INT32_MAX) fail(`${v} does not fit the column (a 32-bit integer)`);
      return v;
    },
    sample: '3',
    changed: '5',
    schema: 'Int32',
    filter: 'QueryInt32',
    hostile: ['2**31', '-(2**31) - 1', 'True'],
  },
  float: {
    python: 'float',
    column: 'Float',
    migration: 'sa.Float()',
    literal: (v) => {
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) || !Number.isFinite(Number(v))) fail(`"${v}" is not a finite float`);
      // Python's repr of the same double, so the default reads as a float (1 -> 1.0), with the
      // exponent as ruff format writes it (1e+21 -> 1e21).
      const text = String(Number(v)).replace('e+', 'e');
      return /[.e]/.test(text) ? text : `${text}.0`;
    },
    sample: '1.5',
    changed: '2.5',
    schema: 'FiniteFloat',
    filter: 'QueryFloat',
    hostile: ['float("nan")', 'float("inf")'],
  },
  bool: {
    python: 'bool',
    column: 'Boolean',
    migration: 'sa.Boolean()',
    literal: (v) => {
      const lower = v.toLowerCase();
      if (lower === 'true') return 'True';
      if (lower === 'false') return 'False';
      return fail(`"${v}" is not a bool (true or false)`);
    },
    sample: 'True',
    changed: 'False',
    schema: 'Bool',
    filter: 'bool',
    hostile: ['"yes"', '1'],
  },
  // Pydantic serialises Decimal as a JSON string, so the tests send and expect strings; the
  // answer carries the column's scale.
  decimal: {
    python: 'Decimal',
    column: 'Numeric(12, 2)',
    migration: 'sa.Numeric(12, 2)',
    literal: (v) => {
      if (!/^-?\d+(\.\d+)?$/.test(v)) fail(`"${v}" is not a decimal`);
      const [whole = '', fraction = ''] = v.replace('-', '').split('.');
      if (whole.replace(/^0+(?=\d)/, '').length > 10 || fraction.length > 2) {
        fail(`${v} does not fit the column (at most 10 digits before the point and 2 after)`);
      }
      return `Decimal("${v}")`;
    },
    sample: '"9.9"',
    stored: '"9.90"',
    changed: '"19.50"',
    import: ['decimal', 'Decimal'],
    schema: 'Decimal12_2',
    // Digits of another script, and a newline that a regular expression's $ would let through.
    hostile: ['"NaN"', '"12345678901.5"', '"\\u0661\\u0662\\u0663"', '"1.5\\n"'],
  },
  date: {
    python: 'date',
    column: 'Date',
    migration: 'sa.Date()',
    literal: (v) => (isCalendarDate(v) ? `date.fromisoformat("${v}")` : fail(`"${v}" is not a date (YYYY-MM-DD, a real day)`)),
    sample: '"2024-01-31"',
    changed: '"2024-02-29"',
    import: ['datetime', 'date'],
    schema: 'Date',
    // A Unix time, as a number or a string of one: pydantic would read either as a date.
    hostile: ['19753', '"0"'],
  },
  datetime: {
    python: 'datetime',
    column: 'UTCDateTime',
    migration: 'sa.DateTime(timezone=True)',
    literal: () => fail('datetime fields take no default; make them optional with "?"'),
    // Sent with an offset, answered in UTC, as stored.
    sample: '"2024-01-31T14:00:00+02:00"',
    stored: '"2024-01-31T12:00:00Z"',
    changed: '"2024-02-29T08:30:00Z"',
    import: ['datetime', 'datetime'],
    schema: 'UtcDatetime',
    // Naive; out of range in UTC; a Unix time as a string, which pydantic would read as one.
    hostile: ['"2024-01-31T12:00:00"', '"0001-01-01T00:00:00+01:00"', '"1706709600"'],
  },
  uuid: {
    python: 'UUID',
    column: 'Uuid',
    migration: 'sa.Uuid()',
    literal: () => fail('uuid fields take no default; make them optional with "?"'),
    sample: '"6f1d1f52-2c51-4ef4-9b7a-1c3c9e9f2a10"',
    changed: '"0b6a3f8e-8f0e-4b8e-a7f5-3d1f0c7e2b44"',
    import: ['uuid', 'UUID'],
    schema: 'Uuid',
  },
};

function fail(message: string): never {
  throw new UsageError(`Invalid fields: ${message}`);
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/** YYYY-MM-DD naming a day that exists (Python's date.fromisoformat would refuse 2024-13-45). */
function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * A name ruff's S105 takes for a password's (flake8-bandit's list, as ruff spells it): a string
 * assigned to it in the schema, a field's default, is flagged as a hardcoded secret.
 */
const SECRET_NAME = /(^|_)(pas+wo?r?d|pass(phrase)?|pwd|token|secrete?)($|_)/i;

/**
 * What ruff would flag in the files a new field is printed into: its name as a variable (E741),
 * its text default in the schema and the migration (S104, S105, S108). Refused for the fields a
 * command adds, not for those a project recorded before, which every command must still read.
 */
export function refuseWhatRuffFlags(fields: Field[]): void {
  for (const { name, pythonDefault, defaultValue } of fields) {
    if (name === 'l') fail('field "l" is an ambiguous name (l reads as 1 or I; ruff\'s E741 refuses it)');
    if (defaultValue === undefined || !/^["']/.test(pythonDefault ?? '')) continue;
    if (SECRET_NAME.test(name)) fail(`"${name}" takes no text default: a string given to a name like a password's is what ruff's S105 flags as a hardcoded secret`);
    if (defaultValue === '0.0.0.0') fail(`the default of "${name}" is what ruff's S104 flags (binding every interface); leave it out or make it optional`);
    if (/^\/(tmp|var\/tmp|dev\/shm)/.test(defaultValue)) fail(`the default of "${name}" is what ruff's S108 flags (a temporary file's path); leave it out or make it optional`);
  }
}

export const DEFAULT_FIELDS = 'name:str';

/**
 * The parts of a spec, split at each comma outside a type's parentheses (`ref(users,
 * on_delete=cascade)`) and outside a quoted default (`tags:str="a,b"`). Any other default (after
 * `=`, outside them) runs to the next comma whatever it holds: `mood:str=:)` is one part, and so is
 * everything a spec and the next one joined give (parseFields refuses a quote left open, which
 * would take the next spec's commas).
 */
export function splitFieldSpec(spec: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let depth = 0;
  let inDefault = false;
  for (let index = 0; index < spec.length; index += 1) {
    const char = spec[index] as string;
    if (char === ',' && depth === 0) {
      parts.push(spec.slice(start, index));
      start = index + 1;
      inDefault = false;
    } else if (inDefault) continue;
    else if (char === '(') depth += 1;
    else if (char === ')') depth = Math.max(0, depth - 1);
    else if (char === '=' && depth === 0) {
      inDefault = true;
      const opening = /^\s*(["'])/.exec(spec.slice(index + 1));
      const closing = opening ? spec.indexOf(opening[1] as string, index + 1 + opening[0].length) : -1;
      if (closing !== -1) index = closing;
    }
  }
  parts.push(spec.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

const ON_DELETE: Record<string, Reference['onDelete']> = { restrict: 'RESTRICT', cascade: 'CASCADE', set_null: 'SET NULL' };

/** `ref(users)` or `ref(users, on_delete=cascade)`: the domain (resolved by the caller) and the rule. */
function parseReference(args: string, part: string): Reference {
  const [target = '', ...options] = args.split(',').map((arg) => arg.trim());
  let onDelete: Reference['onDelete'] = 'RESTRICT';
  for (const option of options) {
    const [key, value = ''] = option.split('=').map((text) => text.trim());
    if (key !== 'on_delete' || !(value in ON_DELETE)) fail(`"${option}" in "${part}": the one option is on_delete=restrict|cascade|set_null`);
    onDelete = ON_DELETE[value] as Reference['onDelete'];
  }
  if (!/^[A-Za-z][\w-]*$/.test(target)) fail(`"${part}" names no domain: write ref(<domain>)`);
  return { domain: target, onDelete };
}

/**
 * Parses a `--fields` spec: `name:type` with `?` (optional), `!` (unique), `+` (indexed, filterable)
 * and `=default`; `name:ref(domain[, on_delete=restrict|cascade|set_null])` for a reference.
 * `resolveDomain` turns a referenced domain's name into its module (and checks it exists). Throws
 * a one-line usage error naming the bad part.
 */
export function parseFields(spec: string, resolveDomain: (name: string) => string = (name) => name): Field[] {
  const parts = splitFieldSpec(spec);
  if (parts.length === 0) fail('no fields given');
  const seen = new Set<string>();
  return parts.map((part) => {
    // dotAll: a default holding a line separator is refused below for what it holds.
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([a-z]+)(?:\(([^)]*)\))?\s*([?!+]*)\s*(?:=\s*(.+))?$/s.exec(part);
    if (!match) fail(`"${part}" is not name:type, with ? ! + or =default after the type`);
    const [, name, typeName, args, markers, rawDefault] = match as unknown as [string, string, string, string | undefined, string, string?];
    if (typeName !== 'ref' && !(typeName in TYPES)) fail(`unknown type "${typeName}" in "${part}" (use ${[...Object.keys(TYPES), 'ref(domain)'].join(', ')})`);
    if (new Set(markers).size !== markers.length) fail(`"${part}" repeats a marker`);
    if ((typeName === 'ref') !== (args !== undefined)) fail(`"${part}": only ref takes arguments, as ref(domain)`);
    const problem = fieldNameProblem(name);
    if (problem) fail(`field "${name}" ${problem}`);
    const reference = args === undefined ? undefined : parseReference(args, part);
    const column = reference ? `${name}_id` : name;
    for (const taken of new Set([name, column])) {
      if (seen.has(taken)) fail(`field "${taken}" is listed twice`);
      seen.add(taken);
    }
    const columnProblem = fieldNameProblem(column);
    if (columnProblem) fail(`field "${column}" ${columnProblem}`);
    const optional = markers.includes('?');
    if (reference) {
      if (rawDefault !== undefined) fail(`"${part}": a reference takes no default`);
      if (reference.onDelete === 'SET NULL' && !optional) fail(`"${part}": on_delete=set_null needs an optional reference (ref(...)?)`);
      return referenceField(name, column, part, { ...reference, domain: resolveDomain(reference.domain) }, optional, markers.includes('!'));
    }
    const type = typeName as FieldType;
    const spec = TYPES[type];
    let pythonDefault: string | undefined;
    let defaultValue: string | undefined;
    if (rawDefault !== undefined) {
      const quoted = rawDefault.trim();
      const quote = /^["']/.exec(quoted)?.[0];
      if (quote !== undefined) {
        const closing = quoted.indexOf(quote, 1);
        if (closing === -1) fail(`the default of "${name}" opens a quote (${quote}) it does not close`);
        // `note:text="x,y"?`: the markers go before the default, and a quoted one holds no quote of its own.
        if (closing !== quoted.length - 1) fail(`the default of "${name}" goes on after its closing quote: markers (? ! +) go before the =, and a quoted default holds no ${quote}`);
      }
      const value = rawDefault.trim().replace(/^(["'])(.*)\1$/s, '$2');
      defaultValue = value;
      // Control characters (C0, C1, line separators) and unpaired surrogates would not survive the
      // trip through a source file.
      if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) {
        fail(`the default of "${name}" holds a control character`);
      }
      pythonDefault = spec.literal(value);
    }
    else if (optional) pythonDefault = 'None';
    return {
      name,
      column,
      spec: part,
      type,
      optional,
      unique: markers.includes('!'),
      indexed: markers.includes('+'),
      pythonType: optional ? `${spec.python} | None` : spec.python,
      columnType: spec.column,
      migrationType: spec.migration,
      pythonDefault,
      defaultValue,
      sample: spec.sample,
      changed: spec.changed,
      stored: spec.stored ?? spec.sample,
      schemaType: spec.schema ?? spec.python,
      filterType: spec.filter ?? spec.schema ?? spec.python,
      hostile: spec.hostile ?? [],
    };
  });
}

/**
 * Whether the column gets an index of its own: filtered (+, or a reference) and not unique, whose
 * constraint's index serves the filter too (SQLAlchemy would make unique=True, index=True one
 * unique index, which the migration would then not match).
 */
export const hasPlainIndex = (field: Field): boolean => field.indexed && !field.unique;

/** The list endpoint's own query parameters (schemas/pagination.py's PageParams). */
const PAGE_PARAMETERS = ['limit', 'offset'];

/**
 * A domain's fields as a whole: at least one holds a value of its own (the tests change it), a
 * bool cannot be unique (two rows at most), a reference to the domain itself is optional (the
 * first row has nothing to name), and no filter takes the name of a page parameter.
 */
export function domainFields(spec: string, module: string, resolveDomain: (name: string) => string): Field[] {
  const fields = parseFields(spec, resolveDomain);
  if (fields.every((field) => field.reference)) fail('a domain needs a field besides its references');
  for (const field of fields) {
    if (field.unique && field.type === 'bool') fail(`"${field.spec}": a bool cannot be unique`);
    if (field.reference?.domain === module && !field.optional) fail(`"${field.spec}": a reference to the domain itself must be optional (ref(...)?)`);
    if (field.indexed && PAGE_PARAMETERS.includes(field.column)) {
      fail(`"${field.spec}": the list endpoint's ?${field.column}= is the page's; a field filtered on (+) needs another name`);
    }
  }
  return fields;
}

/** A reference: an integer column holding the other row's id, indexed, with its foreign key. */
function referenceField(name: string, column: string, part: string, reference: Reference, optional: boolean, unique: boolean): Field {
  return {
    name,
    column,
    spec: part,
    type: 'ref',
    optional,
    unique,
    indexed: true,
    reference,
    pythonType: optional ? 'int | None' : 'int',
    columnType: `ForeignKey("${reference.domain}.id", ondelete="${reference.onDelete}")`,
    migrationType: 'sa.Integer()',
    pythonDefault: optional ? 'None' : undefined,
    // Set by the tests from a row they create first; these stand for ids past any row.
    sample: '',
    changed: '',
    stored: '',
    schemaType: 'Id',
    filterType: 'QueryId',
    hostile: ['0', '2**31', 'True'],
  };
}

/** The standard-library import lines for these fields (plus `extra`), sorted as ruff's isort wants. */
export function stdlibImports(fields: Field[], extra: Array<[string, string]> = []): string[] {
  const byModule = new Map<string, Set<string>>();
  const needed = fields.map((field) => (field.type === 'ref' ? undefined : TYPES[field.type].import)).filter((pair) => pair !== undefined);
  for (const [module, name] of [...needed, ...extra]) {
    byModule.set(module, (byModule.get(module) ?? new Set()).add(name));
  }
  return [...byModule.keys()].sort().map((module) => fromImport(module, [...(byModule.get(module) as Set<string>)].sort()));
}

/** The SQLAlchemy names the repository must import for its columns. */
export function columnImports(fields: Field[]): string[] {
  const names = fields.map((field) => field.columnType.replace(/\(.*$/, ''));
  // UTCDateTime is the project's own type: it comes from core.db, not from sqlalchemy.
  return [...new Set(names)].filter((name) => name !== 'UTCDateTime').sort();
}

/** The names the schemas module imports from schemas/columns.py, sorted as ruff's isort wants. */
export function columnSchemaImports(fields: Field[]): string[] {
  const inputs = fields.filter((field) => field.type === 'ref' || TYPES[field.type].schema !== undefined).map((field) => field.schemaType);
  const filters = fields.filter((field) => field.indexed && field.filterType.startsWith('Query')).map((field) => field.filterType);
  const names = [...inputs, ...filters];
  const omittable = fields.some((field) => !field.optional) ? ['Omittable'] : [];
  // All CamelCase, so isort's order-by-type keeps them in plain code-point order.
  return [...new Set([...names, ...omittable])].sort(byCodePoint);
}
