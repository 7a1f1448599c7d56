"""ShipStation time handling (V1 here; V2's dates name Pacific days too: ``pacific_day``).

V1 answers in Pacific wall time without an offset (``2024-09-17T10:51:14.5030000``), some
fields date-only (``2024-09-17``), and asks for filter values as Pacific ``yyyy-mm-dd hh:mm:ss``.
Everything above the client works with aware UTC datetimes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")

_FRACTION = re.compile(r"\.(\d+)")


def _trim_fraction(text: str) -> str:
    """Cut fractional seconds to 6 digits (ShipStation sends 7)."""
    return _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)


def parse_datetime(value: str | None) -> datetime | None:
    """A V1 timestamp as an aware UTC datetime; no offset means Pacific time."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    text = _trim_fraction(text.replace(" ", "T", 1))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PACIFIC)
    return parsed.astimezone(UTC)


def parse_date(value: str | None) -> date | None:
    """A V1 date (``2024-09-17`` or a timestamp) as the Pacific calendar date it names."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) == 10:
        return date.fromisoformat(text)
    parsed = datetime.fromisoformat(
        _trim_fraction(text.replace(" ", "T", 1)).replace("Z", "+00:00")
    )
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(PACIFIC)
    return parsed.date()


def pacific_day(value: datetime) -> date:
    """The Pacific calendar date of an aware moment: the day ShipStation's dates name."""
    return _as_pacific(value).date()


def _as_pacific(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; pass an aware datetime (UTC)")
    return value.astimezone(PACIFIC)


def to_filter(value: datetime) -> str:
    """Pacific wall time ``yyyy-mm-dd hh:mm:ss``, the documented form of V1 date filters (all
    of them "start" filters). In the hour that repeats when daylight saving ends, the wall time
    names two moments and the server may read the later one: the filter then starts an hour
    earlier, so it never starts after ``value``."""
    local = _as_pacific(value)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        local = _as_pacific(value - timedelta(hours=1))
    return local.strftime("%Y-%m-%d %H:%M:%S")


def to_api_datetime(value: datetime) -> str:
    """Pacific wall time with 7 fractional digits and no offset, as V1 answers."""
    local = _as_pacific(value)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0"


def to_api_date(value: datetime) -> str:
    """The Pacific calendar date of ``value``, as V1 ``shipDate`` on shipments."""
    return _as_pacific(value).strftime("%Y-%m-%d")
