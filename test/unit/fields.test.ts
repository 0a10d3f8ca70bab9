import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIELDS_HELP } from '../../src/program.js';
import { columnSchemaImports, domainFields, parseFields, refuseWhatRuffFlags, splitFieldSpec, stdlibImports } from '../../src/core/fields.js';

describe('parseFields', () => {
  it('parses types, optional markers and defaults', () => {
    const fields = parseFields('title:str, price:decimal, in_stock:bool=true, notes:text?, qty:int=2');
    expect(fields.map((f) => [f.name, f.pythonType, f.columnType, f.pythonDefault])).toEqual([
      ['title', 'str', 'String(255)', undefined],
      ['price', 'Decimal', 'Numeric(12, 2)', undefined],
      ['in_stock', 'bool', 'Boolean', 'True'],
      ['notes', 'str | None', 'Text', 'None'],
      ['qty', 'int', 'Integer', '2'],
    ]);
  });

  it.each([
    ['title', /name:type/],
    ['title:string', /unknown type "string"/],
    ['id:int', /"id" is a name the generated model or schema already uses/],
    ['a:int, a:str', /listed twice/],
    ['n:int=abc', /not an int/],
    ['flag:bool=yes', /not a bool/],
    ['', /no fields/],
    ['price_before_discounts_and_taxes:decimal', /longer than 30 characters/],
    // Names that would not survive the generated Python.
    ['class:str', /"class" is a Python keyword/],
    ['import:bool', /"import" is a Python keyword/],
    ['_secret:str', /must be snake_case/],
    ['model_config:str', /starts with model_/],
    ['model_x:int', /starts with model_/],
    ['metadata:str', /already uses/],
    ['registry:str', /already uses/],
    ['json:str', /already uses/],
    ['self:str', /already uses/],
    ['date:date?', /"date" is a name the generated model or schema already uses/],
    ['int:int', /already uses/],
    ['bool:bool', /already uses/],
    ['str:str', /already uses/],
    ['Title:str', /must be snake_case/],
    // Defaults the column could not hold, or Python would not read.
    ['x:int=007', /not an int \(digits, no leading zeros\)/],
    ['n:int=99999999999999999999999', /does not fit the column \(a 32-bit integer\)/],
    ['n:int=2147483648', /does not fit the column/],
    ['d:date=2024-13-45', /not a date/],
    ['d:date=2023-02-29', /not a date/],
    ['d:date=0100-02-29', /not a date/],
    ['d:date=0000-01-01', /not a date/],
    ['r:float=NaN', /not a finite float/],
    ['r:float=1e309', /not a finite float/],
    ['r:float=0x10', /not a finite float/],
    ['p:decimal=12345678901', /does not fit the column/],
    ['p:decimal=1.005', /does not fit the column/],
    [`s:str=${'x'.repeat(256)}`, /the column holds 255/],
    ['note:str=a\u2028b', /holds a control character/],
    ['note:str=a\u0085b', /holds a control character/],
  ])('rejects %j with a one-line message', (spec, message) => {
    expect(() => parseFields(spec)).toThrow(message);
    try {
      parseFields(spec);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });

  it.each([
    ['l:int', /"l" is an ambiguous name/],
    ['passphrase:str=abc', /"passphrase" takes no text default: .* ruff's S105/],
    ['api_token:text=x', /ruff's S105/],
    ['host:str=0.0.0.0', /ruff's S104/],
    ['scratch:str=/tmp/work', /ruff's S108/],
    ['spool:text=/var/tmpfiles', /ruff's S108/],
  ])('refuses %j where a command adds it, as ruff would flag it, and reads it where a project recorded it', (spec, message) => {
    const fields = parseFields(spec);
    expect(() => refuseWhatRuffFlags(fields)).toThrow(message);
  });

  it.each([
    ['n:int=-2147483648', '-2147483648'],
    ['n:int=0', '0'],
    ['r:float=1', '1.0'],
    ['r:float=.5', '0.5'],
    ['p:decimal=9999999999.99', 'Decimal("9999999999.99")'],
    ['d:date=2024-02-29', 'date.fromisoformat("2024-02-29")'],
    // Years 1-99 are real (Date.UTC took them for 1900-1999).
    ['d:date=0099-12-31', 'date.fromisoformat("0099-12-31")'],
    ['d:date=0004-02-29', 'date.fromisoformat("0004-02-29")'],
    ['token_count:int=3', '3'],
    // ruff format writes an exponent without its "+" (Python's repr keeps it).
    ['r:float=1e21', '1e21'],
    ['r:float=1000000000000000000000', '1e21'],
    ['r:float=1e-7', '1e-7'],
    ['host:str=127.0.0.1', '"127.0.0.1"'],
    ['passed:str=yes', '"yes"'],
    ['type:str="it\'s"', '"it\'s"'],
    ['match:text=a "quote"', `'a "quote"'`],
    ['case:text=both \' and "', `"both ' and \\""`],
    ['path:str=C:\\dir', '"C:\\\\dir"'],
    // What ruff's RUF001 reports is escaped, and only that: an en dash and a no-break space always,
    // a Cyrillic letter in a Latin word, a word of nothing but confusables; a Cyrillic word, an
    // accented Latin one and quotation marks stay as typed. After an escape, the next word holds
    // its ASCII hex digits, and so its confusable letters are reported too.
    ['motto:str=Café – open 24\u00a0h', '"Café \\u2013 open 24\\u00a0h"'],
    ['pay:str=pаy собака', '"p\\u0430y собака"'],
    ['word:text=οσα “naïve”', '"\\u03bf\\u03c3\\u03b1 “naïve”"'],
    ['pets:str=собака–кошка', '"собака\\u2013к\\u043eшк\\u0430"'],
    // 133 characters (266 UTF-16 units) in 38 columns: within the column's 255.
    [`flag:str=${'\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}'.repeat(19)}`, `"${'\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}'.repeat(19)}"`],
  ])('accepts %j, printing the default as %s', (spec, python) => {
    expect(parseFields(spec)[0]?.pythonDefault).toBe(python);
  });

  it('bounds each input type by its column, Omittable where a column is NOT NULL', () => {
    const fields = parseFields('title:str, qty:int?, price:decimal, at:datetime?');
    expect(fields.map((f) => [f.schemaType, f.stored])).toEqual([
      ['ShortStr', '"first"'],
      ['Int32', '3'],
      ['Decimal12_2', '"9.90"'],
      ['UtcDatetime', '"2024-01-31T12:00:00Z"'],
    ]);
    expect(columnSchemaImports(fields)).toEqual(['Decimal12_2', 'Int32', 'Omittable', 'ShortStr', 'UtcDatetime']);
    expect(columnSchemaImports(parseFields('notes:text?'))).toEqual(['LongStr']);
  });

  it('groups standard-library imports by module, sorted', () => {
    const fields = parseFields('a:datetime?, b:date, c:uuid, d:decimal');
    expect(stdlibImports(fields, [['datetime', 'datetime']])).toEqual([
      'from datetime import date, datetime',
      'from decimal import Decimal',
      'from uuid import UUID',
    ]);
  });

  it('reads ? ! + after the type in any order: optional, unique, indexed', () => {
    const fields = parseFields('sku:str!, name:str+, code:str?!+, note:text?');
    expect(fields.map((f) => [f.name, f.optional, f.unique, f.indexed])).toEqual([
      ['sku', false, true, false],
      ['name', false, false, true],
      ['code', true, true, true],
      ['note', true, false, false],
    ]);
  });

  it('reads a reference as an indexed id column named after the field, RESTRICT unless told', () => {
    const resolved: string[] = [];
    const fields = parseFields('owner:ref(Users), parent:ref(orders, on_delete=set_null)?, tag:ref(tags , on_delete = cascade)!', (name) => {
      resolved.push(name);
      return name.toLowerCase();
    });
    expect(resolved).toEqual(['Users', 'orders', 'tags']);
    expect(fields.map((f) => [f.name, f.column, f.reference, f.optional, f.unique, f.indexed, f.pythonType])).toEqual([
      ['owner', 'owner_id', { domain: 'users', onDelete: 'RESTRICT' }, false, false, true, 'int'],
      ['parent', 'parent_id', { domain: 'orders', onDelete: 'SET NULL' }, true, false, true, 'int | None'],
      ['tag', 'tag_id', { domain: 'tags', onDelete: 'CASCADE' }, false, true, true, 'int'],
    ]);
    expect(fields[0]?.columnType).toBe('ForeignKey("users.id", ondelete="RESTRICT")');
  });

  it('splits a spec at the commas outside a reference\'s parentheses', () => {
    expect(splitFieldSpec(' a:str,b:ref(users, on_delete=cascade) ,, c:int ')).toEqual(['a:str', 'b:ref(users, on_delete=cascade)', 'c:int']);
  });

  it('splits a default with parentheses where its comma is: a spec joined to the next gives both parts back', () => {
    // add-field joins the domain's spec and the new one: "body:text=hi, mood:str=:)" was one part.
    expect(splitFieldSpec('body:text=hi, mood:str=:)')).toEqual(['body:text=hi', 'mood:str=:)']);
    expect(splitFieldSpec('a:str=(, b:int, c:ref(users, on_delete=cascade)?, d:str=x)y(z')).toEqual([
      'a:str=(',
      'b:int',
      'c:ref(users, on_delete=cascade)?',
      'd:str=x)y(z',
    ]);
    const part = fc
      .tuple(
        fc.stringMatching(/^[a-z]\w{0,8}$/),
        fc.constantFrom('str', 'int', 'ref(users)', 'ref(users, on_delete=cascade)', 'ref(users,on_delete = set_null)'),
        fc.stringMatching(/^[?!+]{0,3}$/),
        fc.option(
          fc.oneof(
            // Unquoted defaults hold no comma and open no quote (parseFields refuses one left open).
            fc.stringMatching(/^[^,]*$/).filter((text) => !/^\s*["']/.test(text)),
            fc.tuple(fc.constantFrom('"', "'"), fc.stringMatching(/^[^"']*$/)).map(([quote, inside]) => `${quote}${inside}${quote}`),
          ),
          { nil: undefined },
        ),
      )
      .map(([name, type, markers, fallback]) => `${name}:${type}${markers}${fallback === undefined ? '' : `=${fallback}`}`.trim())
      .filter((text) => !text.endsWith('='));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), fc.array(part, { minLength: 1, maxLength: 5 }), (first, second) => {
        const joined = splitFieldSpec(`${first.join(', ')}, ${second.join(',')}`);
        expect(joined).toEqual([...splitFieldSpec(first.join(', ')), ...splitFieldSpec(second.join(','))]);
        expect(joined.length).toBe(first.length + second.length);
      }),
    );
  });

  it('explains in --help every type it accepts, with an example that parses', () => {
    const accepted = (() => {
      try {
        parseFields('x:nosuch');
      } catch (error) {
        return /\(use (.*)\)/.exec((error as Error).message)?.[1]?.split(', ') ?? [];
      }
      return [];
    })();
    expect(accepted.length).toBeGreaterThan(8);
    for (const type of accepted) expect(FIELDS_HELP).toContain(type.replace('(domain)', '('));
    const example = /Example: "([^"]*)"/s.exec(FIELDS_HELP)?.[1] ?? '';
    expect(parseFields(example.replace(/\s+/g, ' ')).map((field) => field.name)).toEqual(['title', 'sku', 'price', 'in_stock', 'notes', 'owner']);
    expect(Math.max(...FIELDS_HELP.split('\n').map((line) => line.length))).toBeLessThanOrEqual(80);
  });

  it('keeps a quoted default\'s commas in its part, and gives the default without its quotes', () => {
    expect(splitFieldSpec('note:str="a, b", n:int=1, tag:str = \'x,y\'z, c:str=it\'s, d:str')).toEqual([
      'note:str="a, b"',
      'n:int=1',
      "tag:str = 'x,y'z",
      "c:str=it's",
      'd:str',
    ]);
    expect(parseFields('note:str="a, b", t:text=\'1,2\'').map((field) => [field.name, field.defaultValue, field.pythonDefault])).toEqual([
      ['note', 'a, b', '"a, b"'],
      ['t', '1,2', '"1,2"'],
    ]);
  });

  it.each([
    ['note:str="a, b', /the default of "note" opens a quote \(\"\) it does not close/],
    ['note:text="x,y"?', /the default of "note" goes on after its closing quote: markers \(\? ! \+\) go before the =/],
    ['note:str="say "hi""', /the default of "note" goes on after its closing quote/],
    ['owner:ref', /only ref takes arguments, as ref\(domain\)/],
    ['owner:str(users)', /only ref takes arguments/],
    ['owner:ref()', /names no domain/],
    ['owner:ref(users, on_update=cascade)', /the one option is on_delete=restrict\|cascade\|set_null/],
    ['owner:ref(users, on_delete=nothing)', /the one option is on_delete/],
    ['owner:ref(users, on_delete=set_null)', /on_delete=set_null needs an optional reference/],
    ['owner:ref(users)=3', /a reference takes no default/],
    ['owner:ref(users), owner_id:int', /"owner_id" is listed twice/],
    ['sku:str!!', /repeats a marker/],
    ['id_id:int, id:ref(users)', /"id" is a name the generated model/],
  ])('refuses the reference or marker %j', (spec, message) => {
    expect(() => parseFields(spec)).toThrow(message);
  });

  it.each([
    ['owner:ref(users)', /a domain needs a field besides its references/],
    ['name:str, ok:bool!', /a bool cannot be unique/],
    ['name:str, parent:ref(orders)', /a reference to the domain itself must be optional/],
    ['name:str, limit:int+', /\?limit= is the page's/],
    ['name:str, offset:ref(users)', undefined],
  ])('as a domain, %j is refused or taken', (spec, message) => {
    const parse = () => domainFields(spec, 'orders', (name) => name);
    if (message) expect(parse).toThrow(message);
    else expect(parse().map((field) => field.column)).toEqual(['name', 'offset_id']);
  });
});

