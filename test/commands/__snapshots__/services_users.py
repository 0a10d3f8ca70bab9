"""Business rules for users.

Each function is one transaction (core.db.transaction); routers never commit.
While users have no rules beyond CRUD, this layer owns the transaction
and the not-found rule. Add rules here as they appear; they never belong in the
router or the repository.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from my_api.core.db import transaction
from my_api.core.errors import NotFoundError
from my_api.repositories import users as repository
from my_api.schemas.pagination import Page
from my_api.schemas.users import UserCreate, UserListQuery, UserRead, UserUpdate


async def _require(
    session: AsyncSession,
    user_id: int,
) -> repository.User:
    row = await repository.get(session, user_id)
    if row is None:
        msg = f"User {user_id} not found"
        raise NotFoundError(msg)
    return row


async def create_user(
    session: AsyncSession,
    data: UserCreate,
) -> UserRead:
    async with transaction(session):
        row = await repository.add(session, data)
        return UserRead.model_validate(row)


async def get_user(
    session: AsyncSession,
    user_id: int,
) -> UserRead:
    async with transaction(session):
        row = await _require(session, user_id)
        return UserRead.model_validate(row)


async def list_users(
    session: AsyncSession,
    params: UserListQuery,
) -> Page[UserRead]:
    async with transaction(session):
        rows, total = await repository.list_page(session, params)
        items = [UserRead.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


async def update_user(
    session: AsyncSession,
    user_id: int,
    changes: UserUpdate,
) -> UserRead:
    async with transaction(session):
        row = await _require(session, user_id)
        updated = await repository.update(session, row, changes)
        return UserRead.model_validate(updated)


async def delete_user(
    session: AsyncSession,
    user_id: int,
) -> None:
    async with transaction(session):
        row = await _require(session, user_id)
        await repository.delete(session, row)
