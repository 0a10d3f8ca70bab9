import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/core/template-codegen.js';
import { HANDLEBARS_OPTIONS } from '../../src/core/template-files.js';
import { type CompiledTemplate, templateHelpers } from '../../src/core/template-runtime.js';

const compiled = (source: string) => {
  // The build writes this source into dist/templates/; here it is evaluated directly.
  const template = new Function(`return ${compileTemplate(source, 'test.hbs')}`)() as CompiledTemplate;
  return (data: unknown) => template(data, templateHelpers);
};
const handlebars = (source: string) => Handlebars.create().compile(source, HANDLEBARS_OPTIONS);

describe('compileTemplate', () => {
  it.each([
    ['paths and literal text', 'x = "{{a.b}}" {{{c}}}\n', { a: { b: 'B' }, c: 1 }],
    ['false, zero and null as Handlebars prints them', '{{f}} {{z}} [{{n}}]', { f: false, z: 0, n: null }],
    ['each over items, and its else', '{{#each xs}}- {{name}}\n{{else}}none\n{{/each}}', { xs: [{ name: 'a' }, { name: 'b' }] }],
    ['each over nothing', '{{#each xs}}- {{this}}\n{{else}}none\n{{/each}}', { xs: [] }],
    ['if, else and unless on falsy values and empty lists', '{{#if a}}A{{else}}!A{{/if}}{{#if b}}B{{/if}}{{#unless c}}!C{{/unless}}', { a: 0, b: [], c: '' }],
    ['a missing block argument is false', '{{#if missing}}yes{{else}}no{{/if}}', {}],
    ['standalone block lines and ~ whitespace control', 'a\n{{#each xs}}\n  {{this}}\n{{/each}}\nb { {{~x}} }\n', { xs: [1, 2], x: 'X' }],
    ['nested blocks see their own item', '{{#each xs}}{{#if on}}{{name}}{{/if}}{{/each}}', { xs: [{ on: true, name: 'a' }, { on: false, name: 'b' }] }],
  ])('renders %s exactly as Handlebars does', (_, source, data) => {
    expect(compiled(source)(data)).toBe(handlebars(source)(data));
  });

  it('fails a misspelt variable, as Handlebars strict mode does', () => {
    expect(() => handlebars('{{a.missing}}')({ a: {} })).toThrow(/"missing" not defined/);
    expect(() => compiled('{{a.missing}}')({ a: {} })).toThrow(/"missing" not defined/);
  });

  it.each([
    ['a helper call', '{{upper name}}'],
    ['another block helper', '{{#with a}}{{b}}{{/with}}'],
    ['a partial', '{{> header}}'],
    ['@data', '{{#each xs}}{{@index}}{{/each}}'],
    ['a parent path', '{{#each xs}}{{../name}}{{/each}}'],
  ])('refuses %s at build time, naming the file and line', (_, source) => {
    expect(() => compileTemplate(`\n${source}`, 'templates/x.hbs')).toThrow(/^templates\/x\.hbs:2: .* is not supported/);
  });
});
