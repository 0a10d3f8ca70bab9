"""Request and response models for products.

Inputs use the bounded types of schemas/columns.py, so whatever they accept fits the table.
"""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from my_api.schemas.columns import Bool, Decimal12_2, Omittable, ShortStr
from my_api.schemas.pagination import PageParams


class ProductCreate(BaseModel):
    # A field the API does not have (a misspelt one) is refused, not silently dropped.
    model_config = ConfigDict(extra="forbid")

    name: ShortStr
    price: Decimal12_2
    in_stock: Bool


class ProductUpdate(BaseModel):
    """Every field optional: a PATCH changes only what it sends, and refuses unknown ones."""

    model_config = ConfigDict(extra="forbid")

    name: Omittable[ShortStr] = None
    price: Omittable[Decimal12_2] = None
    in_stock: Omittable[Bool] = None


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    price: Decimal
    in_stock: bool
    created_at: datetime
    updated_at: datetime


class ProductListQuery(PageParams):
    """The list endpoint's query: a page, then an exact match on each indexed (+) field given."""
