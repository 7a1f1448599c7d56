"""V2 ids and the whole-number ids the state keeps (chosen: the V1 form).

V2 ids are strings such as ``se-12345678``; the state stores ShipStation ids as integers
(V1's ``orderId``/``shipmentId``). ShipStation's migration guide says a V1 id becomes its V2 id
by prefixing ``se-`` (``orderId`` 12345678 = ``shipment_id`` ``se-12345678``; the same for
labels), so bp-tui carries a V2 id ``se-<n>`` as the integer ``n``: an install that switches
from V1 to V2 keeps every stored id, and the numbers shown are those V1 showed.

An id that is not ``se-<digits>`` (the id pattern allows letters) gets a local alias at or
above :data:`ALIAS_BASE`, kept in the id cache (``cache.IdCache``) so it maps back.
"""

from __future__ import annotations

import re

PREFIX = "se-"
ALIAS_BASE = 9_000_000_000_000_000_000  # above any real V1 id (64-bit since 2024), below 2**63
_NUMERIC = re.compile(r"se-([0-9]{1,19})")


def numeric_part(v2_id: str) -> int | None:
    """``n`` for ``se-<n>`` (below the alias range), else None."""
    match = _NUMERIC.fullmatch(v2_id.strip())
    if match is None:
        return None
    number = int(match.group(1))
    return number if 0 < number < ALIAS_BASE else None


def se_id(number: int) -> str:
    """The V2 id of a V1 (or carried) id below the alias range."""
    if number <= 0 or number >= ALIAS_BASE:
        raise ValueError(f"{number} is not a ShipStation id that maps to se-<n>")
    return f"{PREFIX}{number}"
