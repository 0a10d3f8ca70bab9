"""Request and response models for products."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class ProductCreate(BaseModel):
    name: str = Field(max_length=255)
    price: Decimal = Field(max_digits=12, decimal_places=2)
    in_stock: bool


class ProductUpdate(BaseModel):
    """Every field optional: a PATCH changes only what it sends."""

    name: str | None = Field(default=None, max_length=255)
    price: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    in_stock: bool | None = None


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    price: Decimal
    in_stock: bool
    created_at: datetime
    updated_at: datetime
