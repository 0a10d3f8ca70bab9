// Code a team adds to a layer-first project after create, in every layer and in the ways Python
// imports: absolute, `from a import b as c`, a module from its package, a sibling relative import,
// imports inside a function and under `if TYPE_CHECKING:`, `import a.b` with attribute chains, a
// string naming a module, a cross-domain rule through a flow, and a hand-written module in
// services/ that belongs to no domain (flip refuses it unless --map places it). Everything passes
// ruff, mypy --strict, lint-imports and pytest in both layouts. Shared by the smoke's flip stages
// and test/commands/flip.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The --map that places the hand-written module when flipping to domain-first. */
export const pricingPlacement = (last) => `services/pricing.py=domains/${last.module}/pricing.py`;

/**
 * Adds the user's code to the project at `root` (layer-first): `first` and `last` are two domains,
 * `{ module, pascal }` each, `last` with a reference to `first`; `flow` uses `first`.
 */
export function addUserCode(root, { pkg, first, last, flow }) {
  const src = join(root, 'src', pkg);
  const edit = (path, change) => writeFileSync(path, change(readFileSync(path, 'utf8')));
  const insertBefore = (marker, text) => (source) => {
    const at = source.indexOf(marker);
    if (at === -1) throw new Error(`no "${marker}" to insert before`);
    return `${source.slice(0, at)}${text}${source.slice(at)}`;
  };
  const append = (text) => (source) => `${source}\n\n${text}`;

  writeFileSync(
    join(src, 'services', 'pricing.py'),
    `"""Prices of ${last.module}: a module of the team's own, in no domain's file."""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from ${pkg}.repositories import ${last.module} as ${last.module}_repository
from ${pkg}.schemas.${last.module} import ${last.pascal}ListQuery

UNIT_PRICE = Decimal("9.50")


async def total_price(session: AsyncSession) -> Decimal:
    query = ${last.pascal}ListQuery(limit=1, offset=0)
    _, count = await ${last.module}_repository.list_page(session, query)
    return UNIT_PRICE * count
`,
  );
  // Routers: a late import inside a handler, and a module imported from its package.
  edit(
    join(src, 'routers', last.module, 'handlers.py'),
    append(`@router.get("/price/total")
async def total_price(session: SessionDep) -> str:
    # Imported here: the price is read only when asked for.
    from ${pkg}.services import pricing

    return str(await pricing.total_price(session))
`),
  );
  edit(join(src, 'routers', last.module, 'deps.py'), insertBefore(`from ${pkg}.schemas.columns import`, `from ${pkg}.schemas import ${last.module} as ${last.module}_schemas\n`));
  edit(join(src, 'routers', last.module, 'deps.py'), append(`${last.pascal}Shown = ${last.module}_schemas.${last.pascal}Read\n`));
  edit(join(src, 'routers', first.module, '__init__.py'), insertBefore('\n__all__', `\nfrom . import deps\n`));
  edit(join(src, 'routers', first.module, '__init__.py'), (source) => source.replace('__all__ = ["router"]', '__all__ = ["deps", "router"]'));
  // Services: a rule of the team's, and an import only the type checker reads.
  edit(
    join(src, 'services', first.module + '.py'),
    append(`async def count_${first.module}(session: AsyncSession) -> int:
    """How many there are: a rule of the team's."""
    query = ${first.pascal}ListQuery(limit=1, offset=0)
    async with transaction(session):
        _, total = await repository.list_page(session, query)
    return total
`),
  );
  const service = join(src, 'services', last.module + '.py');
  edit(service, insertBefore('from sqlalchemy.ext.asyncio import AsyncSession', 'from typing import TYPE_CHECKING\n\n'));
  edit(service, insertBefore('\n\n\nasync def ', `\n\nif TYPE_CHECKING:\n    from ${pkg}.repositories.${first.module} import ${first.pascal}`));
  edit(
    service,
    append(`def ${first.module}_label(row: "${first.pascal}") -> str:
    """How a ${last.module} row names the row it refers to."""
    return f"${first.pascal} {row.id}"
`),
  );
  // Repositories and schemas: code that imports nothing new, moved as it is.
  edit(
    join(src, 'repositories', first.module + '.py'),
    append(`async def count_all(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(${first.pascal})) or 0
`),
  );
  edit(join(src, 'schemas', first.module + '.py'), append(`class ${first.pascal}Count(BaseModel):\n    total: int\n`));
  // A rule across domains, through the flow that names the first one's service.
  edit(
    join(src, 'flows', `${flow}.py`),
    append(`async def ${first.module}_count(session: AsyncSession) -> int:
    """A rule across domains lives in a flow."""
    return await ${first.module}.count_${first.module}(session)
`),
  );
  writeFileSync(
    join(root, 'tests', 'test_user_code.py'),
    `"""The team's own tests, importing their modules the ways teams do."""

import pytest

import ${pkg}.services.${first.module}
from ${pkg}.services.pricing import UNIT_PRICE


def test_a_unit_has_a_price() -> None:
    assert UNIT_PRICE > 0


def test_a_rule_can_be_replaced_by_its_dotted_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("${pkg}.services.${first.module}.count_${first.module}", len)
    assert vars(${pkg}.services.${first.module})["count_${first.module}"] is len
`,
  );
  // The tools' settings and the docs: a per-file ignore for the module, a section of the team's.
  edit(join(root, 'pyproject.toml'), insertBefore('\n[tool.ruff.lint.isort]', `# Prices are quoted in full.\n"src/${pkg}/services/pricing.py" = ["E501"]\n`));
  edit(join(root, 'README.md'), append('## Team notes\n\nPrices live in services/pricing.py until they have a domain.\n'));
  edit(join(root, 'migrations', 'env.py'), append('# Offline: alembic upgrade head --sql prints the SQL instead.\n'));
}
