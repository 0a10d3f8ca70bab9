import Handlebars from 'handlebars';
import type { TemplateHelpers } from './template-runtime.js';

/**
 * Build time only (tsup.config.ts): turns a template into the source of a plain JavaScript
 * function, a `CompiledTemplate`, so a run neither loads Handlebars' runtime nor sets up its
 * templates (~6 ms of every create and add-domain). Handlebars still parses the template, whitespace
 * control included. What the templates do not use (helpers other than each, if and unless,
 * partials, @data, ../) fails the build; development renders with Handlebars itself, and a test
 * holds the two to the same output.
 */
const call: { [name in keyof TemplateHelpers]: string } = {
  strict: 'h.strict',
  lookup: 'h.lookup',
  text: 'h.text',
  items: 'h.items',
  truthy: 'h.truthy',
};

export function compileTemplate(source: string, file: string): string {
  let blocks = 0;
  const unsupported = (what: string, node: hbs.AST.Node): never => {
    throw new Error(`${file}:${node.loc.start.line}: ${what} is not supported by the template compiler`);
  };

  // `strictLast`: a printed value must exist; a block helper's argument may be missing (falsy).
  const path = (node: hbs.AST.Node, context: string, strictLast: boolean): string => {
    if (node.type !== 'PathExpression') return unsupported(`a ${node.type}`, node);
    const { data, depth, parts, original } = node as hbs.AST.PathExpression;
    if (data || depth > 0) unsupported(`"${original}"`, node);
    return parts.reduce((parent, part, index) => {
      const lookup = strictLast || index < parts.length - 1 ? call.strict : call.lookup;
      return `${lookup}(${parent}, ${JSON.stringify(part)})`;
    }, context);
  };

  const program = (node: hbs.AST.Program, context: string): string =>
    node.body.map((child) => statement(child, context)).join('\n');

  const block = (node: hbs.AST.BlockStatement, context: string): string => {
    const helper = node.path.original;
    if (node.params.length !== 1 || node.hash || node.program.blockParams) unsupported(`this {{#${helper}}}`, node);
    const value = path(node.params[0] as hbs.AST.Node, context, false);
    const otherwise = node.inverse ? program(node.inverse, context) : '';
    if (helper === 'each') {
      blocks += 1;
      const [list, item] = [`list${blocks}`, `item${blocks}`];
      return `{ const ${list} = ${call.items}(${value});\nfor (const ${item} of ${list}) {\n${program(node.program, item)}\n}\nif (${list}.length === 0) {\n${otherwise}\n} }`;
    }
    if (helper === 'if' || helper === 'unless') {
      const test = `${helper === 'unless' ? '!' : ''}${call.truthy}(${value})`;
      return `if (${test}) {\n${program(node.program, context)}\n} else {\n${otherwise}\n}`;
    }
    return unsupported(`the helper "${helper}"`, node);
  };

  const statement = (node: hbs.AST.Statement, context: string): string => {
    switch (node.type) {
      case 'ContentStatement': {
        const { value } = node as hbs.AST.ContentStatement;
        return value === '' ? '' : `out += ${JSON.stringify(value)};`;
      }
      case 'CommentStatement':
        return '';
      case 'MustacheStatement': {
        const mustache = node as hbs.AST.MustacheStatement;
        if (mustache.params.length > 0 || mustache.hash) unsupported('a helper call', node);
        return `out += ${call.text}(${path(mustache.path, context, true)});`;
      }
      case 'BlockStatement':
        return block(node as hbs.AST.BlockStatement, context);
      default:
        return unsupported(`a ${node.type}`, node);
    }
  };

  return `(data, h) => {\nlet out = '';\n${program(Handlebars.parse(source), 'data')}\nreturn out;\n}`;
}
