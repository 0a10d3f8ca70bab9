import { describe, expect, it } from 'vitest';
import { renderDomain } from '../../src/core/domain.js';
import { parseFields } from '../../src/core/fields.js';
import { type ModuleMoves, rewriteImports } from '../../src/core/import-rewrite.js';
import { syntaxErrorLine } from '../../src/core/python-edit.js';
import { fromImports } from '../../src/core/python-source.js';
import { DOMAIN_ROLES, domainModule, domainName, type Layout, layoutPackages, otherLayout } from '../../src/core/names.js';

const pkg = 'my_api';

/** What flip hands the rewriter for a project of these domains, from `layout` to the other. */
function moves(layout: Layout, domains = ['users', 'orders']): ModuleMoves {
  const modules = new Map<string, string>();
  for (const domain of domains) {
    for (const role of DOMAIN_ROLES) modules.set(domainModule(layout, pkg, domain, role), domainModule(otherLayout(layout), pkg, domain, role));
  }
  return { modules, retired: layoutPackages(layout, pkg), packageName: pkg, lineLength: 100 };
}

const stays = (path: string) => ({ from: path, to: path });

describe('rewriteImports', () => {
  it("turns each domain file of one layout into the other's rendering, every field type, both ways", async () => {
    const fields = parseFields(
      'name:str, sku:str!, notes:text?, qty:int+=1, ratio:float?, paid:bool=true, price:decimal, due:date?, at:datetime?, ref:uuid?, ' +
        'customer:ref(users), parent:ref(orders, on_delete=set_null)?',
    );
    const spec = { name: domainName('orders'), fields };
    for (const layout of ['layer-first', 'domain-first'] as const) {
      const from = renderDomain({ packageName: pkg, layout }, spec);
      const to = renderDomain({ packageName: pkg, layout: otherLayout(layout) }, spec);
      for (const [index, file] of from.entries()) {
        const target = to[index] as (typeof to)[number];
        const rewritten = await rewriteImports(file.content, { from: file.path, to: target.path }, moves(layout));
        expect({ path: target.path, text: rewritten.text, problems: rewritten.problems }).toEqual({ path: target.path, text: target.content, problems: [] });
      }
    }
  });

  const layerFirst = `"""A flow of the user's."""

from typing import TYPE_CHECKING

import my_api.services.users
from my_api.core.db import transaction
from my_api.repositories import orders as order_rows  # the rows
from my_api.schemas.users import (
    UserCreate,  # what a client sends
    UserRead,
)
from my_api.services import orders, users  # the services it names

if TYPE_CHECKING:
    from my_api.repositories.users import User


async def late(row: "User") -> UserRead:
    from my_api.services.users import create_user as make

    await transaction(None)
    my_api.services.users.count_users(order_rows, orders, users)
    target = "my_api.services.users.create_user"  # a monkeypatch target
    served = "my_api.main:app"
    return await make(None, UserCreate(), target, served)
`;
  const domainFirst = `"""A flow of the user's."""

from typing import TYPE_CHECKING

import my_api.domains.users.service
from my_api.core.db import transaction
from my_api.domains.orders import repository as order_rows  # the rows
from my_api.domains.orders import service as orders  # the services it names
from my_api.domains.users import service as users
from my_api.domains.users.schemas import (
    UserCreate,  # what a client sends
    UserRead,
)

if TYPE_CHECKING:
    from my_api.domains.users.repository import User


async def late(row: "User") -> UserRead:
    from my_api.domains.users.service import create_user as make

    await transaction(None)
    my_api.domains.users.service.count_users(order_rows, orders, users)
    target = "my_api.domains.users.service.create_user"  # a monkeypatch target
    served = "my_api.main:app"
    return await make(None, UserCreate(), target, served)
`;

  it('rewrites absolute, aliased, nested and TYPE_CHECKING imports, attribute chains and module strings, sorted as isort would', async () => {
    const file = stays('src/my_api/flows/report.py');
    expect(await rewriteImports(layerFirst, file, moves('layer-first'))).toEqual({ text: domainFirst, problems: [], longLines: [] });
    // Back again: the same bytes, the split import merged again.
    expect((await rewriteImports(domainFirst, file, moves('domain-first'))).text).toBe(layerFirst);
  });

  it('respells relative imports from where the file goes, as few dots as will do', async () => {
    const service = `from ..core.db import transaction
from ..repositories import users as repository
from . import orders
`;
    const moved = { from: 'src/my_api/services/users.py', to: 'src/my_api/domains/users/service.py' };
    const rewritten = await rewriteImports(service, moved, moves('layer-first'));
    expect(rewritten.text).toBe(`from ...core.db import transaction
from ..orders import service as orders
from . import repository
`);
    expect((await rewriteImports(rewritten.text, { from: moved.to, to: moved.from }, moves('domain-first'))).text).toBe(service);
  });

  it('keeps CRLF line endings and leaves a file with nothing to change as it is', async () => {
    const crlf = layerFirst.replaceAll('\n', '\r\n');
    expect((await rewriteImports(crlf, stays('src/my_api/flows/report.py'), moves('layer-first'))).text).toBe(domainFirst.replaceAll('\n', '\r\n'));
    const shared = 'from my_api.core.db import transaction\nfrom . import sibling\n';
    expect((await rewriteImports(shared, stays('src/my_api/core/x.py'), moves('layer-first'))).text).toBe(shared);
  });

  it('keeps the indentation of imports inside a tab-indented function when it prints them anew', async () => {
    const inFunction = 'def helper():\n\tfrom my_api.services.users import get_user\n\tfrom my_api.repositories import users\n\treturn (get_user, users)\n';
    const { text } = await rewriteImports(inFunction, stays('src/my_api/flows/report.py'), moves('layer-first'));
    expect(text).not.toBe(inFunction);
    expect(text.split('\n').filter((line) => line.startsWith('from') || line.startsWith(' '))).toEqual([]);
    expect(await syntaxErrorLine(text)).toBeUndefined();
  });

  it('measures a tab-indented import as ruff does, a tab to the next multiple of four: one too long is wrapped, with tabs', async () => {
    // 95 characters once the module moves, within 100; ruff counts 101 columns, each tab four.
    const names = 'get_user, list_users, create_user, delete_user, ping';
    const twoDeep = `def helper():\n\tif True:\n\t\tfrom my_api.services.users import ${names}\n\t\treturn get_user\n`;
    const { text, longLines } = await rewriteImports(twoDeep, stays('src/my_api/flows/report.py'), moves('layer-first'));
    expect(text).toContain('\t\tfrom my_api.domains.users.service import (\n\t\t\tcreate_user,\n');
    expect(longLines).toEqual([]);
    expect(await syntaxErrorLine(text)).toBeUndefined();
  });

  it('says which imports it cannot rewrite: a layer package itself, and an import with comments that must split', async () => {
    const source = `import my_api.services
from my_api import repositories
from my_api.services import *
from my_api.services import (
    orders,  # which half does this go with?
    users,
)
`;
    const { problems } = await rewriteImports(source, stays('src/my_api/flows/x.py'), moves('layer-first'));
    expect(problems).toEqual([
      expect.stringMatching(/^src\/my_api\/flows\/x.py:1 imports the package my_api.services itself/),
      expect.stringMatching(/^src\/my_api\/flows\/x.py:2 imports the package my_api.repositories itself/),
      expect.stringMatching(/^src\/my_api\/flows\/x.py:3 imports the package my_api.services itself/),
      'src/my_api/flows/x.py:4: this import splits in two, and which half its comments go with is yours to say; move them above the import, then run again',
    ]);
  });

  it('keeps every comment when two imports become one', async () => {
    const source = `from my_api.domains.orders import service as orders  # a
from my_api.domains.users import service as users  # b
`;
    expect((await rewriteImports(source, stays('src/my_api/flows/x.py'), moves('domain-first'))).text).toBe(`# b
from my_api.services import orders, users  # a
`);
  });

  it('keeps a comment after the opening parenthesis on the statement\'s first line (a noqa for it)', async () => {
    const late = (module: string) => `x = 1\nfrom ${module} import (  # noqa: E402\n    CLOSED,\n    OPEN,\n)\n`;
    const { text } = await rewriteImports(late('my_api.repositories.orders'), stays('src/my_api/flows/x.py'), moves('layer-first'));
    expect(text).toBe('x = 1\nfrom my_api.domains.orders.repository import CLOSED, OPEN  # noqa: E402\n');
    const long = `CLOSED_${'X'.repeat(50)}`;
    const wrapped = await rewriteImports(late('my_api.repositories.orders').replace('CLOSED', long), stays('src/my_api/flows/x.py'), moves('layer-first'));
    expect(wrapped.text).toBe(`x = 1\nfrom my_api.domains.orders.repository import (  # noqa: E402\n    ${long},\n    OPEN,\n)\n`);
  });

  it('reports the lines a longer module name pushed past the line length', async () => {
    const source = `import my_api.services.users\n\n${'x'.repeat(60)} = my_api.services.users.create_user(1, 2)\n`;
    expect((await rewriteImports(source, stays('tests/test_x.py'), moves('layer-first'))).longLines).toEqual([3]);
  });
});

describe('fromImports orders as ruff isort does', () => {
  // Each order as ruff 0.x's isort (`ruff check --select I --fix`) left the same imports, shuffled.
  it.each([
    [['a.x_1', 'a.x10', 'a.X3', 'a.x2', 'a.x', 'a.x02b', 'a.x2a'], ['a.x', 'a.x02b', 'a.x2', 'a.x2a', 'a.X3', 'a.x10', 'a.x_1']],
    // A number with a leading zero compares digit by digit, as a fraction would (natord).
    [['a.thing099s', 'a.thing0100s', 'a.thing100s', 'a.x1', 'a.x01', 'a.x001'], ['a.thing0100s', 'a.thing099s', 'a.thing100s', 'a.x001', 'a.x01', 'a.x1']],
    [['a.y10', 'a.y9', 'a.y010', 'a.y09'], ['a.y010', 'a.y09', 'a.y9', 'a.y10']],
  ])('%j', (modules, sorted) => {
    expect(fromImports(modules.map((module) => [module, ['y']])).split('\n')).toEqual(sorted.map((module) => `from ${module} import y`));
  });
});
