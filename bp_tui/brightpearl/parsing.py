"""Tolerant converters for Brightpearl JSON values (strings for numbers, dates with offsets)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


def as_int(value: Any, default: int | None = None) -> int | None:
    """A whole number of at most 18 digits; ``default`` for anything else (``Infinity``, ``NaN``,
    ``1e1000000``, whose ``int`` would take seconds to build)."""
    if value is None or value == "" or isinstance(value, bool):
        return default
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return default
    if not number.is_finite() or number.adjusted() > 17:
        return default
    return int(number)


def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def as_float(value: Any) -> float | None:
    number = as_decimal(value)
    return None if number is None else float(number)


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def as_str(value: Any) -> str:
    return "" if value is None else str(value)


def as_datetime(value: Any) -> datetime | None:
    """ISO-8601 with or without offset; naive values are taken as UTC (Brightpearl stores UTC)."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def utc_iso(moment: datetime) -> str:
    """``2025-11-04T16:41:38.000Z``: the form Brightpearl's docs use for event times."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
