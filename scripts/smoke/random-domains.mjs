// Random domains the CLI accepts, for the smoke to put through every gate (ruff, mypy --strict,
// lint-imports, pytest, a live boot): the generative test (test/commands/generative.test.ts) shows
// that what the CLI accepts compiles; this shows a sample of it also passes the project's checks.
import fc from 'fast-check';

// Words that name things the generated code uses itself, or that read as Python: the likeliest to clash.
const TRICKY =
  'items rows data params changes page pages field fields status statuses session sessions result values ' +
  'type format hash input filter map object list dict set str int float bool date datetime uuid decimal json ' +
  'schema copy query queries path paths total order user_data router service repository row body response';
const word = fc.oneof(
  fc.constantFrom(...TRICKY.split(' ')),
  fc.stringMatching(/^[a-z][a-z0-9]{1,7}(_[a-z][a-z0-9]{1,7}){0,2}$/),
);
const TYPES = ['str', 'text', 'int', 'float', 'bool', 'decimal', 'date', 'datetime', 'uuid'];
const DEFAULTS = { str: 'a "quoted" default', text: "it's", int: '-42', float: '2.5', bool: 'false', decimal: '10.25', date: '2024-02-29' };
const field = fc
  .record({ name: word, type: fc.constantFrom(...TYPES), optional: fc.boolean(), withDefault: fc.boolean() })
  .map(({ name, type, optional, withDefault }) => {
    const fallback = withDefault && DEFAULTS[type] !== undefined ? `=${DEFAULTS[type]}` : '';
    return `${name}:${type}${optional ? '?' : ''}${fallback}`;
  });

/** Candidate `add-domain` arguments, reproducible from `seed`; the smoke keeps those the CLI accepts. */
export function candidates(seed, count = 300) {
  const spec = fc.array(field, { minLength: 1, maxLength: 4 }).map((fields) => fields.join(', '));
  return fc.sample(fc.record({ name: word, fields: spec }), { seed, numRuns: count });
}
