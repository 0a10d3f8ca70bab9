"""Time is aware UTC everywhere inside the service; local time is a presentation concern."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Converts an aware datetime to UTC; a naive one is refused, since its zone is a guess."""
    if value.tzinfo is None:
        msg = f"naive datetime {value.isoformat()}: attach a timezone first"
        raise ValueError(msg)
    return value.astimezone(UTC)
