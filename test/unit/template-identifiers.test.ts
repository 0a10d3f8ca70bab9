import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Language, type Node, Parser } from 'web-tree-sitter';
import { domainRouterRegistration, domainTemplateData, renderDomain, routerRegistrationLines, sharedRouterRegistration } from '../../src/core/domain.js';
import { parseFields } from '../../src/core/fields.js';
import { domainName, type Layout, TEMPLATE_SCOPES } from '../../src/core/names.js';
import { renderTree } from '../../src/core/render.js';

/**
 * names.ts refuses a domain whose derived identifiers would equal another identifier of the same
 * generated file. Its table (TEMPLATE_SCOPES) is only as good as it is complete: this renders the
 * templates with a sentinel domain and every field type, and derives the table from the syntax trees.
 */

const require = createRequire(import.meta.url);
await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(readFileSync(require.resolve('tree-sitter-python/tree-sitter-python.wasm'))));

const SENTINEL = domainName('zqx_widgets');
const FORMS: Array<[string, string]> = [
  [SENTINEL.module, '{module}'],
  [SENTINEL.singular, '{singular}'],
  [SENTINEL.pascal, '{Pascal}'],
];
const FIELD_PREFIX = 'zqf_';
// Every type, a unique and an indexed column, and references, so every conditional part renders.
// Names derived from the referenced domain belong to that domain, checked when it was added.
const REFERENCED = 'zqy_things';
const FIELDS = parseFields(
  ['str!', 'text?', 'int+=1', 'float?', 'bool=true', 'decimal', 'date?', 'datetime?', 'uuid?', `ref(${REFERENCED})`, `ref(${REFERENCED}, on_delete=set_null)?`]
    .map((type, i) => `${FIELD_PREFIX}${i}:${type}`)
    .join(', '),
);

/** Identifiers a file binds or reads: not attribute names, keyword-argument names or import paths. */
function identifiers(node: Node, out: Set<string>): Set<string> {
  const parent = node.parent;
  const skipped =
    (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === node.id) ||
    (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === node.id) ||
    (parent?.type === 'import_from_statement' && parent.childForFieldName('module_name')?.id === node.id) ||
    (parent?.type === 'aliased_import' && parent.childForFieldName('name')?.id === node.id);
  if (skipped) return out;
  if (node.type === 'dotted_name') {
    // `import a.b` binds `a`; `from m import a` binds `a`.
    if (node.firstNamedChild) out.add(node.firstNamedChild.text);
    return out;
  }
  if (node.type === 'identifier') out.add(node.text);
  for (const child of node.namedChildren) if (child) identifiers(child, out);
  return out;
}

function derivedPattern(identifier: string): string | undefined {
  let pattern = identifier;
  for (const [form, placeholder] of FORMS) pattern = pattern.replaceAll(form, placeholder);
  return pattern === identifier ? undefined : pattern;
}

/** Each file's identifiers, rendered for `fields` in `layout`. */
function renderedIdentifiers(fields: typeof FIELDS, layout: Layout = 'layer-first'): Map<string, Set<string>> {
  const place = { packageName: 'zzpkg', layout };
  const data = {
    ...domainTemplateData(place, { name: SENTINEL, fields }),
    migration: { revision: 'r', message: 'm', revises: 'p', downRevision: 'None', createsIn: 'upgrade', dropsIn: 'downgrade' },
  };
  const registry = routerRegistrationLines([sharedRouterRegistration('zzpkg', 'health'), domainRouterRegistration(place, SENTINEL.module)]);
  const files = [
    ...renderDomain(place, { name: SENTINEL, fields }),
    ...renderTree('migration', data, { __package__: 'zzpkg', __revision__: 'r' }),
    { path: 'src/zzpkg/routers/__init__.py', content: `from fastapi import APIRouter\n${registry.imports.join('\n')}\napi_router = APIRouter()\n${registry.includes.join('\n')}\n` },
  ];
  const referenced = domainName(REFERENCED);
  return new Map(
    files.map((file) => {
      const tree = parser.parse(file.content);
      if (!tree) throw new Error('no tree');
      const found = [...identifiers(tree.rootNode, new Set())].filter(
        (name) => !name.includes(FIELD_PREFIX) && ![referenced.module, referenced.singular, referenced.pascal].some((form) => name.includes(form)),
      );
      tree.delete();
      return [file.path, new Set(found)];
    }),
  );
}

function scopesFromTemplates() {
  // Every feature on, then a plain field: a name some fields leave out (PageParams) counts too.
  const rendered = renderedIdentifiers(FIELDS);
  for (const [path, found] of renderedIdentifiers(parseFields(`${FIELD_PREFIX}0:str`))) {
    for (const name of found) rendered.get(path)?.add(name);
  }
  const scopes = [...rendered].map(([path, found]) => {
    const derived = [...found].map(derivedPattern).filter((pattern) => pattern !== undefined);
    const names = [...found].filter((name) => derivedPattern(name) === undefined && name !== 'zzpkg');
    let place = path.replace('src/zzpkg/', '');
    for (const [form, placeholder] of FORMS) place = place.replaceAll(form, placeholder);
    return { file: place, derived: [...new Set(derived)].sort(), names: names.sort().join(' ') };
  });
  // A file that derives nothing from the domain's name cannot clash.
  return scopes.filter((scope) => scope.derived.length > 0);
}

describe('the template identifier table', () => {
  it('lists, per generated file, the identifiers derived from the domain and all the others', () => {
    const expected = scopesFromTemplates().sort((a, b) => a.file.localeCompare(b.file));
    const actual = [...TEMPLATE_SCOPES].sort((a, b) => a.file.localeCompare(b.file));
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      console.log(`TEMPLATE_SCOPES is out of date; the templates give:\n${JSON.stringify(expected, null, 2)}`);
    }
    expect(actual).toEqual(expected);
  });

  it('is the same in both layouts: only the modules the files import differ', () => {
    const sets = (layout: Layout) => [...renderedIdentifiers(FIELDS, layout).values()].map((found) => [...found].sort());
    expect(sets('domain-first')).toEqual(sets('layer-first'));
  });

  it.each([
    ['base', /"Base"/],
    ['timestamp', undefined],
    ['items', undefined],
    ['rows', undefined],
    ['pages', undefined],
    ['tags', undefined],
    ['mapped', /"Mapped"/],
    ['strings', /"String"/],
  ])('domain %j: %s', (raw, clash) => {
    if (clash) expect(() => domainName(raw)).toThrow(clash);
    else expect(() => domainName(raw)).not.toThrow();
  });
});
