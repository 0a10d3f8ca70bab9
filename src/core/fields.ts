import { UsageError } from '../errors.js';
import { fieldNameProblem } from './names.js';
import { byCodePoint } from './order.js';
import { fromImport, pythonString } from './python-source.js';

/**
 * One column of a domain, as written in `--fields "title:str, price:decimal=0, notes:text?"`.
 * Everything a template needs is computed here so the templates only print values.
 */
export interface Field {
  name: string;
  type: FieldType;
  optional: boolean;
  /** The Python type of the attribute (`str`, `Decimal`, `date | None`). */
  pythonType: string;
  /** The SQLAlchemy column type expression (`String(255)`, `Numeric(12, 2)`). */
  columnType: string;
  /** The same type as the migration spells it (`sa.String(length=255)`). */
  migrationType: string;
  /** Python source for the schema default, or undefined when the field is required. */
  pythonDefault?: string;
  /** Python source for a value the generated tests send and expect back unchanged. */
  sample: string;
  /** A different valid value, for the update test. */
  changed: string;
  /** Python source for what the API answers after storing `sample` (the column's scale, UTC). */
  stored: string;
  /** The input type in the schemas, bounded by the column (`ShortStr` from schemas/columns.py). */
  schemaType: string;
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
  /** Defaults to `sample`. */
  stored?: string;
  hostile?: string[];
}


const TYPES: Record<FieldType, TypeSpec> = {
  str: {
    python: 'str',
    column: 'String(255)',
    migration: 'sa.String(length=255)',
    literal: (v) => (v.length <= 255 ? pythonString(v) : fail(`the default is ${v.length} characters; the column holds 255`)),
    sample: '"first"',
    changed: '"second"',
    schema: 'ShortStr',
    hostile: ['"nul \\x00 inside"', '"x" * 256'],
  },
  text: {
    python: 'str',
    column: 'Text',
    migration: 'sa.Text()',
    literal: pythonString,
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
    hostile: ['2**31', '-(2**31) - 1', 'True'],
  },
  float: {
    python: 'float',
    column: 'Float',
    migration: 'sa.Float()',
    literal: (v) => {
      if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) || !Number.isFinite(Number(v))) fail(`"${v}" is not a finite float`);
      // Python's repr of the same double, so the default reads as a float (1 -> 1.0).
      const text = String(Number(v));
      return /[.e]/.test(text) ? text : `${text}.0`;
    },
    sample: '1.5',
    changed: '2.5',
    schema: 'FiniteFloat',
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
    hostile: ['"NaN"', '"12345678901.5"'],
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
    // A Unix time: pydantic would read it as a date.
    hostile: ['19753'],
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
    hostile: ['"2024-01-31T12:00:00"', '"0001-01-01T00:00:00+01:00"'],
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
  throw new UsageError(`Invalid --fields: ${message}`);
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/** YYYY-MM-DD naming a day that exists (Python's date.fromisoformat would refuse 2024-13-45). */
function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const DEFAULT_FIELDS = 'name:str';

/** Parses a `--fields` spec. Throws a one-line CliError naming the bad part. */
export function parseFields(spec: string): Field[] {
  const parts = spec.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length === 0) fail('no fields given');
  const seen = new Set<string>();
  return parts.map((part) => {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([a-z]+)(\?)?\s*(?:=\s*(.+))?$/.exec(part);
    if (!match) fail(`"${part}" is not name:type, name:type? or name:type=default`);
    const [, name, typeName, question, rawDefault] = match as unknown as [string, string, string, string?, string?];
    if (!(typeName in TYPES)) fail(`unknown type "${typeName}" in "${part}" (use ${Object.keys(TYPES).join(', ')})`);
    const problem = fieldNameProblem(name);
    if (problem) fail(`field "${name}" ${problem}`);
    if (seen.has(name)) fail(`field "${name}" is listed twice`);
    seen.add(name);
    const type = typeName as FieldType;
    const spec = TYPES[type];
    const optional = question === '?';
    let pythonDefault: string | undefined;
    if (rawDefault !== undefined) {
      const value = rawDefault.trim().replace(/^(["'])(.*)\1$/s, '$2');
      // Control characters and unpaired surrogates would not survive the trip through a source file.
      if (/[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) {
        fail(`the default of "${name}" holds a control character`);
      }
      pythonDefault = spec.literal(value);
    }
    else if (optional) pythonDefault = 'None';
    return {
      name,
      type,
      optional,
      pythonType: optional ? `${spec.python} | None` : spec.python,
      columnType: spec.column,
      migrationType: spec.migration,
      pythonDefault,
      sample: spec.sample,
      changed: spec.changed,
      stored: spec.stored ?? spec.sample,
      schemaType: spec.schema ?? spec.python,
      hostile: spec.hostile ?? [],
    };
  });
}

/** The standard-library import lines for these fields (plus `extra`), sorted as ruff's isort wants. */
export function stdlibImports(fields: Field[], extra: Array<[string, string]> = []): string[] {
  const byModule = new Map<string, Set<string>>();
  const needed = fields.map((field) => TYPES[field.type].import).filter((pair) => pair !== undefined);
  for (const [module, name] of [...needed, ...extra]) {
    byModule.set(module, (byModule.get(module) ?? new Set()).add(name));
  }
  return [...byModule.keys()].sort().map((module) => fromImport(module, [...(byModule.get(module) as Set<string>)].sort()));
}

/** The SQLAlchemy type names the repository must import. */
export function columnImports(fields: Field[]): string[] {
  const names = fields.map((field) => TYPES[field.type].column.replace(/\(.*$/, ''));
  // UTCDateTime is the project's own type: it comes from core.db, not from sqlalchemy.
  return [...new Set(names)].filter((name) => name !== 'UTCDateTime').sort();
}

/** The names the schemas module imports from schemas/columns.py, sorted as ruff's isort wants. */
export function columnSchemaImports(fields: Field[]): string[] {
  const names = fields.filter((field) => TYPES[field.type].schema !== undefined).map((field) => field.schemaType);
  const omittable = fields.some((field) => !field.optional) ? ['Omittable'] : [];
  // All CamelCase, so isort's order-by-type keeps them in plain code-point order.
  return [...new Set([...names, ...omittable])].sort(byCodePoint);
}
