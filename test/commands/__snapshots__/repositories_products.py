"""Database access for products.

The table and its queries. No commits here, no HTTP.
"""

from decimal import Decimal

from sqlalchemy import Boolean, Numeric, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from my_api.core.db import Base, Timestamps
from my_api.schemas.products import ProductCreate, ProductListQuery, ProductUpdate


class Product(Timestamps, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    in_stock: Mapped[bool] = mapped_column(Boolean)


async def get(
    session: AsyncSession,
    product_id: int,
) -> Product | None:
    return await session.get(Product, product_id)


async def list_page(
    session: AsyncSession,
    params: ProductListQuery,
) -> tuple[list[Product], int]:
    query = select(Product)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(Product.id).limit(params.limit).offset(params.offset)
    rows = await session.scalars(ordered)
    return list(rows), total or 0


async def add(
    session: AsyncSession,
    data: ProductCreate,
) -> Product:
    row = Product(**data.model_dump())
    session.add(row)
    # Flush, not commit: the id is assigned now, the service decides when the transaction ends.
    await session.flush()
    # Answer with what the database holds (a Decimal at the column's scale, times in UTC).
    await session.refresh(row)
    return row


async def update(
    session: AsyncSession,
    row: Product,
    changes: ProductUpdate,
) -> Product:
    for name, value in changes.model_dump(exclude_unset=True).items():
        setattr(row, name, value)
    await session.flush()
    await session.refresh(row)
    return row


async def delete(session: AsyncSession, row: Product) -> None:
    await session.delete(row)
    await session.flush()
