import { describe, expect, it } from 'vitest';
import { parseFields, stdlibImports } from '../../src/core/fields.js';

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
  ])('rejects %j with a one-line message', (spec, message) => {
    expect(() => parseFields(spec)).toThrow(message);
  });

  it('groups standard-library imports by module, sorted', () => {
    const fields = parseFields('a:datetime?, b:date, c:uuid, d:decimal');
    expect(stdlibImports(fields, [['datetime', 'datetime']])).toEqual([
      'from datetime import date, datetime',
      'from decimal import Decimal',
      'from uuid import UUID',
    ]);
  });
});
