"""Input types bounded by the columns that store them.

A value a schema accepts always fits its column, on SQLite and on PostgreSQL alike: the database
never gets to refuse it with an error the API would answer as a 500. Each type names the column
type (repositories/) it guards.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, TypeVar
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

# Integer columns, ids included, are 4 bytes on PostgreSQL.
INT32_MAX = 2**31 - 1
# PostgreSQL text cannot hold NUL; refusing it everywhere keeps the contract the same on SQLite.
_NO_NUL = r"^[^\x00]*$"
# ASCII digits: Python's \d also takes other scripts' digits, which JSON Schema's does not.
_DECIMAL_12_2 = r"-?[0-9]{1,10}(\.[0-9]{1,2})?"


def _decimal_12_2(value: object) -> object:
    # Digits in a string only: a JSON number is a binary float that may have lost the exact value
    # already, and Decimal itself would also take "NaN", "1e3" or "1_000".
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str) and re.fullmatch(_DECIMAL_12_2, value):
        return value
    msg = 'a decimal is a string of digits: at most 10 before the point and 2 after, as "9.90"'
    raise ValueError(msg)


def _in_utc(value: datetime) -> datetime:
    # Stored in UTC (core.db.UTCDateTime): 0001-01-01T00:00+01:00 has no UTC equivalent.
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        msg = "out of range once converted to UTC"
        raise ValueError(msg) from exc


def _number(value: object) -> object:
    # Pydantic would read true as 1 and "5" as 5; JSON keeps numbers apart from both.
    if isinstance(value, bool | str):
        msg = "must be a number"
        raise ValueError(msg)
    return value


def _string(value: object) -> object:
    # JSON carries dates, times and UUIDs as strings; pydantic would also read a number as a date.
    if isinstance(value, int | float):
        msg = "must be a string"
        raise ValueError(msg)
    return value


def _iso_8601(value: object) -> object:
    # As JSON Schema's date and date-time formats have them, the year first: pydantic would also
    # read a string of digits ("0", "1706709600") as seconds since 1970.
    if isinstance(value, str) and not re.match(r"[0-9]{4}-", value):
        msg = "must be an ISO 8601 date or time, year first"
        raise ValueError(msg)
    return _string(value)


def _refuse_null(value: object) -> object:
    if value is None:
        msg = "may be left out, but not null"
        raise ValueError(msg)
    return value


# String(255)
ShortStr = Annotated[str, Field(max_length=255, pattern=_NO_NUL)]
# Text
LongStr = Annotated[str, Field(pattern=_NO_NUL)]
# Constraints come before validators, or pydantic leaves them out of the JSON schema.
# Integer (1.0 is an integer to JSON Schema, and to pydantic too)
Int32 = Annotated[int, Field(ge=-INT32_MAX - 1, le=INT32_MAX), BeforeValidator(_number)]
# Float: NaN and infinities are not JSON, and no client could read them back.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_number)]
# Boolean: true or false, not 1 or "yes"
Bool = Annotated[bool, Field(strict=True)]
# Date
Date = Annotated[date, BeforeValidator(_iso_8601)]
# A reference to another row: the Integer primary keys start at 1.
Id = Annotated[int, Field(ge=1, le=INT32_MAX), BeforeValidator(_number)]

# In a query string every value arrives as text: these read it, within the same bounds.
QueryInt32 = Annotated[int, Field(ge=-INT32_MAX - 1, le=INT32_MAX)]
QueryId = Annotated[int, Field(ge=1, le=INT32_MAX)]
QueryFloat = Annotated[float, Field(allow_inf_nan=False)]
# Uuid
Uuid = Annotated[UUID, BeforeValidator(_string)]
# Numeric(12, 2)
Decimal12_2 = Annotated[
    Decimal,
    Field(max_digits=12, decimal_places=2),
    BeforeValidator(_decimal_12_2),
    WithJsonSchema({"type": "string", "pattern": f"^{_DECIMAL_12_2}$"}),
]
# UTCDateTime: aware (a naive time's zone would be a guess) and representable in UTC.
UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_8601), AfterValidator(_in_utc)]

Value = TypeVar("Value")
# A PATCH field whose column is NOT NULL: it may be left out, but null is refused with a 422
# instead of reaching the database; the OpenAPI schema leaves null out as well.
Omittable = Annotated[Value | SkipJsonSchema[None], BeforeValidator(_refuse_null)]
