import { describe, expect, it } from 'vitest';
import { columns, fromImportedNames, printFromImport, shownDefinitions } from '../../src/core/python-source.js';

describe('columns', () => {
  it.each([
    ['plain ASCII', 'abc def', 7],
    ['an East Asian wide character', '中文', 4],
    ['a combining accent', 'e\u0301', 1],
    ['a Bengali consonant and its spacing vowel sign', 'কা', 1],
    ['a Hangul medial vowel (conjoining jamo)', '\u1100\u1161', 2],
    ['an Arabic number sign, which ruff counts', '\u0600', 1],
    ['a soft hyphen', 'a\u00adb', 2],
    ['an emoji', '🎉', 2],
  ])('counts %s as ruff measures a line (%j: %i)', (_, text, width) => {
    expect(columns(text)).toBe(width);
  });
});

describe('imports and definitions read from the text', () => {
  it('reads the names of from imports, one line or parenthesized, before their aliases', () => {
    const text = [
      'from my_api.core.db import SessionDep',
      'from my_api.schemas.orders import (',
      '    OrderCreate,',
      '    OrderRead as Read,  # the response',
      ')',
      'from .handlers import router',
      'import os',
      'if TYPE_CHECKING:',
      '    from test_users_api import create_user, make_user',
    ].join('\n');
    expect(fromImportedNames(text)).toEqual([
      { module: 'my_api.core.db', name: 'SessionDep', binding: 'SessionDep' },
      { module: 'my_api.schemas.orders', name: 'OrderCreate', binding: 'OrderCreate' },
      { module: 'my_api.schemas.orders', name: 'OrderRead', binding: 'Read' },
      { module: 'test_users_api', name: 'create_user', binding: 'create_user' },
      { module: 'test_users_api', name: 'make_user', binding: 'make_user' },
    ]);
  });

  it.each([
    ['def create_user(client):', true],
    ['async def create_user():', true],
    ['class create_user:', true],
    ['create_user = make_user', true],
    ['create_user: Callable[..., int] = make_user', true],
    ['create_user, other = make_user, None', true],
    ['from helpers import make_user as create_user', true],
    ['from helpers import (\n    make_user as create_user,\n)', true],
    ['from helpers import *', true],
    ['def __getattr__(name):', true],
    ['def make_user(client):\n    return create_user_id(client)', false],
    // A local of a function, or a fixture's inner function: nothing the module defines.
    ['def test_it():\n    create_user = make_user', false],
    ['def user_factory():\n    def create_user():\n        return {}\n    return create_user', false],
    ['values = (\n    create_user,\n)', false],
    ['assert create_user == 1', false],
    ['# create_user was renamed', false],
  ])('sees %j define create_user: %s', (text, defines) => {
    const { names, all } = shownDefinitions(text);
    expect(all || names.has('create_user')).toBe(defines);
  });
});

describe('printFromImport', () => {
  it('counts a comment after the last name in the line, as ruff does, but a pragma', () => {
    const statement = (trailing: string) => ({ module: 'my_api.schemas.columns', names: [{ name: 'Omittable' }, { name: 'ShortStr', trailing }] });
    const long = '# up to 255 characters, checked by pydantic before the database';
    expect(printFromImport(statement(long))).toBe(`from my_api.schemas.columns import (\n    Omittable,\n    ShortStr,  ${long}\n)`);
    const pragma = `# noqa: F401 ${'x'.repeat(60)}`;
    expect(printFromImport(statement(pragma))).toBe(`from my_api.schemas.columns import Omittable, ShortStr  ${pragma}`);
  });
});
