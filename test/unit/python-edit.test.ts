import { describe, expect, it } from 'vitest';
import {
  addRouterRegistration,
  readRevision,
  removeRouterRegistration,
  setDownRevision,
} from '../../src/core/python-edit.js';

const orders = {
  file: 'src/my_api/routers/__init__.py',
  module: 'my_api.routers.orders',
  alias: 'orders_router',
  registry: 'api_router',
};

const plain = `"""Routers."""

from fastapi import APIRouter

from my_api.routers.health import router as health_router
from my_api.routers.users import router as users_router

api_router = APIRouter()
api_router.include_router(health_router)
api_router.include_router(users_router)
`;

describe('addRouterRegistration', () => {
  it('adds the import in sorted position and the include after the last one', async () => {
    expect(await addRouterRegistration(plain, orders)).toBe(`"""Routers."""

from fastapi import APIRouter

from my_api.routers.health import router as health_router
from my_api.routers.orders import router as orders_router
from my_api.routers.users import router as users_router

api_router = APIRouter()
api_router.include_router(health_router)
api_router.include_router(users_router)
api_router.include_router(orders_router)
`);
  });

  it('is a no-op the second time', async () => {
    const once = await addRouterRegistration(plain, orders);
    expect(await addRouterRegistration(once, orders)).toBe(once);
  });

  it('keeps user comments, an extra hand-written router and odd formatting', async () => {
    const custom = `from fastapi import APIRouter

from my_api.routers.health import router as health_router  # probes
# admin is wired by hand
from my_api.admin import admin_router

api_router = APIRouter(
    prefix="/api",
)
api_router.include_router(health_router)
api_router.include_router(admin_router, prefix="/admin")  # keep last? no matter
`;
    const edited = await addRouterRegistration(custom, orders);
    expect(edited).toBe(`from fastapi import APIRouter

from my_api.routers.health import router as health_router  # probes
from my_api.routers.orders import router as orders_router
# admin is wired by hand
from my_api.admin import admin_router

api_router = APIRouter(
    prefix="/api",
)
api_router.include_router(health_router)
api_router.include_router(admin_router, prefix="/admin")  # keep last? no matter
api_router.include_router(orders_router)
`);
    expect(await removeRouterRegistration(edited, orders)).toBe(custom);
  });

  it('works on a file with no domain router yet, and removal gives back the bytes', async () => {
    const empty = 'from fastapi import APIRouter\n\napi_router = APIRouter()\n';
    const edited = await addRouterRegistration(empty, orders);
    expect(edited).toBe(
      'from fastapi import APIRouter\n\nfrom my_api.routers.orders import router as orders_router\n\n' +
        'api_router = APIRouter()\napi_router.include_router(orders_router)\n',
    );
    expect(await removeRouterRegistration(edited, orders)).toBe(empty);
  });

  it('wraps an import longer than the line limit the way ruff format prints it, and removes it whole', async () => {
    const long = {
      ...orders,
      module: 'my_api.routers.customer_subscription_billing_adjustments',
      alias: 'customer_subscription_billing_adjustments_router',
    };
    const edited = await addRouterRegistration(plain, long);
    expect(edited).toContain(
      'from my_api.routers.customer_subscription_billing_adjustments import (\n' +
        '    router as customer_subscription_billing_adjustments_router,\n' +
        ')\nfrom my_api.routers.health import router as health_router\n',
    );
    expect(await removeRouterRegistration(edited, long)).toBe(plain);
  });

  it('keeps CRLF line endings', async () => {
    const crlf = plain.replaceAll('\n', '\r\n');
    const edited = await addRouterRegistration(crlf, orders);
    expect(edited.replaceAll('\r\n', '')).not.toContain('\n');
    expect(edited).toContain('from my_api.routers.orders import router as orders_router\r\n');
    expect(await removeRouterRegistration(edited, orders)).toBe(crlf);
  });

  it('handles a file after ruff format joined or split lines differently', async () => {
    const formatted = plain.replace(
      'api_router.include_router(users_router)\n',
      'api_router.include_router(\n    users_router,\n)\n',
    );
    const edited = await addRouterRegistration(formatted, orders);
    expect(edited.endsWith('api_router.include_router(\n    users_router,\n)\napi_router.include_router(orders_router)\n')).toBe(
      true,
    );
    expect(await removeRouterRegistration(edited, orders)).toBe(formatted);
  });

  it('refuses a file that is not valid Python, or has no api_router', async () => {
    await expect(addRouterRegistration('def broken(:\n', orders)).rejects.toThrow(/not valid Python/);
    await expect(addRouterRegistration('x = 1\n', orders)).rejects.toThrow(/no "api_router = APIRouter/);
  });
});

describe('Alembic revision files', () => {
  const revision = '"""Create orders."""\n\nrevision: str = "create_orders"\ndown_revision: str | None = "create_users"  # parent\n';

  it('reads the revision and its parents, including merge tuples and None', async () => {
    expect(await readRevision(revision, 'r.py')).toEqual({ revision: 'create_orders', downRevisions: ['create_users'] });
    expect(await readRevision("revision = 'm'\ndown_revision = ('a', 'b')\n", 'm.py')).toEqual({
      revision: 'm',
      downRevisions: ['a', 'b'],
    });
    expect((await readRevision('revision = "a"\ndown_revision = None\n', 'a.py')).downRevisions).toEqual([]);
  });

  it('relinks down_revision and keeps the rest of the line', async () => {
    expect(await setDownRevision(revision, 'r.py', null)).toBe(revision.replace('"create_users"  # parent', 'None  # parent'));
    expect(await setDownRevision(revision, 'r.py', 'create_items')).toContain('down_revision: str | None = "create_items"  # parent');
  });
});
