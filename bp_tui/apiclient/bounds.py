"""Numbers from the wire, bounded before anything waits on them or counts with them.

A header is text from a server or from whatever stands between us and it: ``Infinity``,
``NaN``, ``1e1000000``, ``-5`` or ``1e9`` must neither crash a command nor put it to sleep for
years. ``count`` reads a request count (a few digits, else unknown); ``seconds`` reads a wait
(a finite or infinite non-negative number, else unknown); ``clamp_wait`` caps a wait at the
documented maximum of its header and says so once per header and process (a warning on the
``bp_tui.apiclient`` logger, which with no logging set up is printed on stderr).

The maxima: ShipStation V1's ``X-Rate-Limit-Reset`` and Brightpearl's throttle period are
windows of 60 s; a V2 ``Retry-After`` is taken as at most 5 minutes.
"""

from __future__ import annotations

import logging
import math
import re

from bp_tui.errors import inert

log = logging.getLogger("bp_tui.apiclient")

MAX_COUNT = 100_000  # no rate window counts more requests than this; a larger count is junk
WINDOW_MAX_S = 60.0  # V1's X-Rate-Limit-Reset and Brightpearl's throttle period: a minute's window
RETRY_AFTER_MAX_S = 300.0  # a V2 Retry-After beyond this is a broken header, not a plan

_COUNT = re.compile(r"[0-9]{1,9}")
_NUMBER = re.compile(
    r"\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|\+?inf(?:inity)?", re.IGNORECASE
)
_said: set[str] = set()


def count(value: str | None) -> int | None:
    """A request count: a whole number from 0 to ``MAX_COUNT``; None for anything else."""
    if value is None:
        return None
    text = value.strip()
    if not _COUNT.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_COUNT else None


def seconds(value: str | None, *, scale: float = 1.0) -> float | None:
    """A wait in seconds (``scale``: the header's unit in seconds, 0.001 for milliseconds): a
    non-negative number, possibly infinite (for ``clamp_wait`` to cap); None when it is absent,
    negative, NaN or not a number."""
    if value is None:
        return None
    text = value.strip()
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        return None
    number = float(text)  # "1e1000000" is inf at once (unlike int(Decimal(...)))
    return number * scale if not math.isnan(number) else None


def clamp_wait(wait: float, maximum: float, header: str, raw: str | None = None) -> float:
    """``wait`` capped at ``maximum``; the first cap of each ``header`` is said."""
    if wait <= maximum:
        return max(0.0, wait)
    if header not in _said:
        _said.add(header)
        shown = inert(raw.strip()[:40]) if raw is not None else f"{wait:g}"
        log.warning(
            "%s: %s is beyond its documented maximum; waiting %g s instead", header, shown, maximum
        )
    return maximum
