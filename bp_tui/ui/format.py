"""Text for the dashboard: stage labels, ages, countdowns, budgets, and text from outside
made inert (:func:`clean`, :func:`inert`).

Every state gets a word and a glyph, never a colour alone.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from bp_tui.core.stages import STAGE_GLYPHS
from bp_tui.errors import (
    HOSTILE_CHARACTERS,
    TERMINAL_UNSAFE,
    TERMINAL_UNSAFE_ONE_LINE,
    scrub_secrets,
)
from bp_tui.errors import inert as escape_hostile

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def stage_label(stage: str) -> str:
    """``"✓ confirmed"``: glyph and word."""
    return f"{STAGE_GLYPHS.get(stage, '?')} {stage}"


def check_mark(ok: bool, warning: bool = False) -> str:
    return "✗ FAIL" if not ok else "! warn" if warning else "✓ ok"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age(since: datetime | None, now: datetime) -> str:
    """Compact age: ``45s``, ``12m``, ``3h``, ``5d``; ``-`` when unknown."""
    if since is None:
        return "-"
    seconds = max(0, int((_aware(now) - _aware(since)).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def duration_words(since: datetime, now: datetime) -> str:
    """How long since ``since``, for people: ``under 1 min``, ``12 min``, ``3 h 10 min``,
    ``2 d 4 h``."""
    minutes = max(0, int((_aware(now) - _aware(since)).total_seconds()) // 60)
    if minutes < 1:
        return "under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def countdown(until: datetime | None, now: datetime) -> str:
    """``1:05`` until ``until``; ``now`` when due; ``-`` when unknown."""
    if until is None:
        return "-"
    seconds = int((_aware(until) - _aware(now)).total_seconds())
    if seconds <= 0:
        return "now"
    return f"{seconds // 60}:{seconds % 60:02d}"


def clock_time(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return _aware(moment).astimezone(UTC).strftime("%H:%M:%S UTC")


def budget_text(remaining: int | None) -> str:
    return "?" if remaining is None else str(remaining)


def timestamp(moment: datetime) -> str:
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------------------ text from the APIs
# Everything an API (or a user) wrote is shown inert: as rich Text, never parsed as markup, and
# with control characters shown escaped, so "[/]" cannot crash a render, "[link=…]" cannot
# become a hyperlink and "\x1b]0;…\x07" or "\x1b[2J" never reach the terminal.

# Which characters are hostile is decided once, in bp_tui.errors (the CLI uses the same list).
# What DataTable's markup parsing acts on in a string cell: tags ("["), emoji codes (":"),
# and the hostile characters.
_MARKUP_OR_CONTROL = re.compile(f"[\\[:\t\n{HOSTILE_CHARACTERS}]")


def clean(value: object, *, multiline: bool = False) -> str:
    r"""``value`` as a string with every hostile character shown escaped (``\x1b``).

    The characters :func:`bp_tui.errors.inert` escapes for the CLI (C0 and C1 controls, DEL,
    bidirectional marks and overrides, lone surrogates), and newline and tab unless
    ``multiline``, become visible ``\xNN`` / ``\uNNNN`` text, so ESC/CSI/OSC sequences are
    inert. Markup characters are left alone: show the result as :class:`~rich.text.Text`
    (see :func:`inert`), never as a markup string.
    """
    text = value if isinstance(value, str) else str(value)
    unsafe = TERMINAL_UNSAFE if multiline else TERMINAL_UNSAFE_ONE_LINE
    if unsafe.search(text) is None:
        return text  # the usual case: nothing to escape, no copy
    return escape_hostile(text, keep_layout=multiline)


def inert(value: object, *, multiline: bool = False, style: str = "", **options: Any) -> Text:
    """Text from outside (an API, the user) as a Rich :class:`Text` that is never parsed as markup.

    ``options`` go to :class:`Text` (``end``, ``no_wrap``, ``overflow`` …).
    """
    return Text(clean(value, multiline=multiline), style=style, **options)


def reads_the_same_as_markup(text: str) -> bool:
    """True when ``text`` has nothing markup parsing acts on: no ``[``, no ``:`` and no
    control character (so a DataTable string cell shows it exactly)."""
    return _MARKUP_OR_CONTROL.search(text) is None


def table_cell(value: object) -> str | PlainCell:
    """A DataTable cell for text from outside.

    DataTable parses string cells as markup (tags and ``:emoji:`` codes). A string with no
    ``[``, no ``:`` and no control character reads the same parsed or not, and is kept as
    it is (cheap for 10,000 rows); anything else becomes a :class:`PlainCell`.
    """
    text = value if isinstance(value, str) else str(value)
    return text if reads_the_same_as_markup(text) else PlainCell(text)


class PlainCell:
    """A table cell holding text from outside: rendered as plain one-line Text, never as markup.

    Lighter to keep for 10,000 rows than a Text per cell (the Text is made when the row is
    drawn). A cell equals the (cleaned) string it shows.
    """

    __slots__ = ("text",)

    def __init__(self, value: object) -> None:
        self.text = clean(value)

    def __rich__(self) -> Text:
        # What DataTable makes of a one-line string cell, minus the markup parsing.
        return Text(self.text, end="", no_wrap=True)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"PlainCell({self.text!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PlainCell):
            return self.text == other.text
        if isinstance(other, str):
            return self.text == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)


def redact(text: str, secrets: Iterable[str], mask: str = "********") -> str:
    """``text`` with every secret in ``secrets``, in any encoding, replaced by ``mask``."""
    return scrub_secrets(text, secrets, mask)


def os_error_text(exc: OSError) -> str:
    """``No space left on device (ENOSPC)``: the cause of an OSError, without its file name."""
    cause = exc.strerror or str(exc) or type(exc).__name__
    name = errno.errorcode.get(exc.errno) if exc.errno is not None else None
    return f"{cause} ({name})" if name else cause
