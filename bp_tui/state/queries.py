"""SQL for the order queue: search terms, sort orders and the order of stages.

Every search and every sort is served by an index of schema version 2, so a page costs the
same with a hundred notes or a million (tests/state/test_queue_queries.py checks the plans).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bp_tui.core.stages import STAGE_PRIORITY  # the queue's default order ("stage")

__all__ = [
    "QUEUE_SORTS",
    "SEARCH_LIMIT",
    "SORT_SQL",
    "STAGE_PRIORITY",
    "Search",
    "id_prefix_ranges",
    "order_by",
    "stage_order",
    "stage_rank_sql",
]

# sort name -> ORDER BY in its natural direction, on columns an index holds in that order
# (every index ends with the rowid, gon_id, which makes each order total and stable).
SORT_SQL: dict[str, tuple[tuple[str, str], ...]] = {
    "age": (("first_seen", "ASC"), ("gon_id", "ASC")),
    "gon": (("gon_id", "ASC"),),
    "order": (("order_id", "ASC"), ("gon_id", "ASC")),
    "customer": (("customer COLLATE NOCASE", "ASC"), ("gon_id", "ASC")),
    "updated": (("updated_at", "DESC"), ("gon_id", "DESC")),
}
QUEUE_SORTS: tuple[str, ...] = ("stage", *SORT_SQL)

# A search looks at no more notes than this: past it the queue says "more than N, type more".
SEARCH_LIMIT = 10_000
_MAX_ID_DIGITS = 10  # ids on both APIs are 32-bit: at most ten digits


def order_by(sort: str, *, reverse: bool = False) -> str:
    """``ORDER BY`` of a sort other than "stage" (reversed: read from the far end)."""
    flip = {"ASC": "DESC", "DESC": "ASC"}
    return "ORDER BY " + ", ".join(
        f"{col} {flip[way] if reverse else way}" for col, way in SORT_SQL[sort]
    )


def stage_rank_sql() -> str:
    """An expression that orders rows by STAGE_PRIORITY (unknown stages last)."""
    cases = " ".join(f"WHEN '{stage}' THEN {rank}" for rank, stage in enumerate(STAGE_PRIORITY))
    return f"CASE stage {cases} ELSE {len(STAGE_PRIORITY)} END"


def stage_order(stages: list[str]) -> list[str]:
    """``stages`` in the queue's order: by priority, then any unknown ones by name."""
    rank = {s: i for i, s in enumerate(STAGE_PRIORITY)}
    return sorted(stages, key=lambda s: (rank.get(s, len(STAGE_PRIORITY)), s))


@dataclass(frozen=True)
class Search:
    """A search as SQL: ``where`` (with ``args``) matches a note whose GON id or order id starts
    with the digits typed, or whose reference, tracking number or customer starts with the
    text typed (case-insensitive). Each term is an index range, so SQLite answers it from the
    indexes (a MULTI-INDEX OR) without reading the table."""

    where: str
    args: tuple[Any, ...]

    @classmethod
    def parse(cls, text: str) -> Search | None:
        needle = text.strip()
        if not needle:
            return None
        like = _escape_like(needle) + "%"
        terms = [
            "reference LIKE ? ESCAPE '\\'",
            "tracking LIKE ? ESCAPE '\\'",
            "customer LIKE ? ESCAPE '\\'",
        ]
        args: list[Any] = [like, like, like]
        if (
            needle.isdigit()
            and needle.isascii()
            and not needle.startswith("0")
            and len(needle) <= _MAX_ID_DIGITS
        ):
            for lo, hi in id_prefix_ranges(needle):
                terms.append("gon_id BETWEEN ? AND ?")
                args += [lo, hi]
                terms.append("order_id BETWEEN ? AND ?")
                args += [lo, hi]
        return cls(where="(" + " OR ".join(terms) + ")", args=tuple(args))


def id_prefix_ranges(digits: str) -> list[tuple[int, int]]:
    """The id ranges whose decimal form starts with ``digits``: "12" -> 12, 120-129, 1200-1299, …
    up to ten-digit ids."""
    value = int(digits)
    out = []
    for extra in range(_MAX_ID_DIGITS - len(digits) + 1):
        scale = 10**extra
        out.append((value * scale, (value + 1) * scale - 1))
    return out


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
