"""A note's life cycle: every move its stage may make, and the one function that makes it.

Each step of a sync cycle says what happened to a note (an ``Event``); ``move`` looks the note's
stage and the event up in ``MOVES`` and sets the new stage (and the reason, where the move fixes
one). A move the table lacks raises ``IllegalMove``, so a wrong move is refused, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bp_tui.core import reasons
from bp_tui.core.records import GonRecord
from bp_tui.core.stages import OPEN_STAGES, Stage


class Event(StrEnum):
    """What happened to a note, as a step of the cycle found it."""

    FOUND_WAITING = "found waiting"  # listed, not eligible (the caller's reason says why)
    FOUND_ELIGIBLE = "found eligible"  # listed and eligible now
    RESUMED = "resumed"  # an interrupted run's import is to be tried again
    SENT = "sent"  # ShipStation accepted its order (created or updated)
    ADOPTED = "adopted"  # its order was found in ShipStation under its key before sending
    FOUND_SENT = "found sent"  # left the list; an interrupted import had reached ShipStation
    UNCHANGED = "unchanged"  # in ShipStation already, nothing to re-send
    NOT_RESENT = "not re-sent"  # in ShipStation already; the change cannot be sent (reason given)
    SHIPPED_FIRST = "shipped before import"  # shipped in Brightpearl before it was sent
    DELETED_FIRST = "deleted before import"  # deleted in Brightpearl before it was sent
    LABEL_SEEN = "label seen"  # its labels are complete (a failed note stays failed until written)
    LABELS_WANTING = "labels wanting"  # a label voided or a part not labelled yet
    WRITTEN_BACK = "written back"  # its shipment written to Brightpearl
    SHIPPED_OUTSIDE = "shipped outside"  # shipped in Brightpearl; its order marked shipped there
    FOUND_AGAIN = "found again"  # a held cancellation: Brightpearl has the note after all
    CANCELLED = "cancelled"  # deleted in Brightpearl; its ShipStation order cancelled
    RELISTED = "relisted"  # cancelled, never in ShipStation, and listed again: sent again
    RELISTED_AFTER_CANCEL = "relisted after cancel"  # listed again, its ShipStation order cancelled
    FAILED = "failed"  # a call failed: retried after a backoff (the caller's reason)
    NEEDS_PERSON = "needs a person"  # the caller's reason says what to check


ANY: frozenset[Stage] = frozenset(Stage)


@dataclass(frozen=True)
class Move:
    """From any of ``sources``, on ``event``, to ``target`` (None: the stage stays). ``reason``:
    the reason set (None: the caller's, or the one it has); ``fresh``: attempts and the next try
    cleared."""

    sources: frozenset[Stage]
    event: Event
    target: Stage | None
    reason: str | None = None
    fresh: bool = False


def _m(
    sources: tuple[Stage, ...] | frozenset[Stage],
    event: Event,
    target: Stage | None,
    reason: str | None = None,
    fresh: bool = False,
) -> Move:
    return Move(frozenset(sources), event, target, reason, fresh)


_OPEN = OPEN_STAGES
_DUE = (Stage.READY, Stage.FAILED)  # candidates to send (a waiting one is made ready first)

MOVES: tuple[Move, ...] = (
    _m(_OPEN, Event.FOUND_WAITING, Stage.WAITING),
    _m((Stage.WAITING,), Event.FOUND_ELIGIBLE, Stage.READY, ""),
    _m(_OPEN, Event.RESUMED, Stage.READY),
    _m((*_DUE, Stage.IMPORTED), Event.SENT, Stage.IMPORTED, "", fresh=True),
    _m(_DUE, Event.ADOPTED, Stage.IMPORTED, reasons.ADOPTED, fresh=True),
    _m(_OPEN, Event.FOUND_SENT, Stage.IMPORTED, "", fresh=True),
    _m(_OPEN, Event.UNCHANGED, Stage.IMPORTED, ""),
    _m(_OPEN, Event.NOT_RESENT, Stage.IMPORTED),
    _m(_OPEN, Event.SHIPPED_FIRST, Stage.WAITING, reasons.SHIPPED_IN_BRIGHTPEARL),
    _m(_OPEN, Event.DELETED_FIRST, Stage.CANCELLED, reasons.DELETED_BEFORE_IMPORT),
    _m((Stage.IMPORTED, Stage.SHIPPED), Event.LABEL_SEEN, Stage.SHIPPED),
    _m((Stage.FAILED,), Event.LABEL_SEEN, None),
    _m((Stage.SHIPPED, Stage.FAILED), Event.LABELS_WANTING, Stage.IMPORTED),
    _m((Stage.SHIPPED, Stage.FAILED), Event.WRITTEN_BACK, Stage.CONFIRMED, fresh=True),
    _m(
        (Stage.IMPORTED, *_DUE),
        Event.SHIPPED_OUTSIDE,
        Stage.CONFIRMED,
        reasons.SHIPPED_OUTSIDE_MARKED,
    ),
    _m((Stage.ATTENTION,), Event.FOUND_AGAIN, Stage.IMPORTED, ""),
    _m(
        (Stage.IMPORTED, *_DUE, Stage.ATTENTION),
        Event.CANCELLED,
        Stage.CANCELLED,
        reasons.CANCELLED_AFTER_DELETE,
    ),
    _m((Stage.CANCELLED,), Event.RELISTED, Stage.WAITING, "", fresh=True),
    _m(
        (Stage.CANCELLED,),
        Event.RELISTED_AFTER_CANCEL,
        Stage.ATTENTION,
        reasons.LISTED_AFTER_CANCEL,
    ),
    _m(ANY, Event.FAILED, Stage.FAILED),
    _m(ANY, Event.NEEDS_PERSON, Stage.ATTENTION),
)


def _index(moves: tuple[Move, ...]) -> dict[tuple[Stage, Event], Move]:
    out: dict[tuple[Stage, Event], Move] = {}
    for mv in moves:
        for src in mv.sources:
            if (src, mv.event) in out:
                raise ValueError(f"two moves from {src} on {mv.event}")
            out[(src, mv.event)] = mv
    return out


_BY_KEY = _index(MOVES)


class IllegalMove(ValueError):
    """A note asked to make a move the life cycle does not allow."""

    def __init__(self, gon_id: int, source: Stage, event: Event) -> None:
        rows = [mv for mv in MOVES if mv.event == event]
        froms = ", ".join(s for s in Stage if any(s in mv.sources for mv in rows))
        tos = ", ".join(dict.fromkeys(str(mv.target or "unchanged") for mv in rows))
        super().__init__(
            f"GON {gon_id}: no move from {source} on '{event}' "
            f"(that event moves a note from {froms} to {tos})"
        )
        self.gon_id, self.source, self.event = gon_id, source, event


def move(rec: GonRecord, event: Event, reason: str | None = None) -> GonRecord:
    """Apply ``event`` to the note: its new stage, and the table's reason (else ``reason``, if
    given; else the reason it has). Raises IllegalMove for a move the table lacks."""
    source = Stage(rec.stage)
    mv = _BY_KEY.get((source, event))
    if mv is None:
        raise IllegalMove(rec.gon_id, source, event)
    rec.stage = mv.target or source
    if mv.reason is not None:
        rec.reason = mv.reason
    elif reason is not None:
        rec.reason = reason
    if mv.fresh:
        rec.attempts, rec.next_attempt_at = 0, None
    return rec


_REASON_NAMES = {v: k for k, v in vars(reasons).items() if k.isupper() and isinstance(v, str) and v}


def render_table() -> str:
    """``MOVES`` as a markdown table (ARCHITECTURE.md holds it; a test keeps them equal)."""
    rows = ["| from | event | to | reason |", "|---|---|---|---|"]
    for mv in MOVES:
        src = "any" if mv.sources == ANY else ", ".join(s for s in Stage if s in mv.sources)
        if mv.reason is None:
            why = "given or kept"
        else:
            why = f"`{_REASON_NAMES[mv.reason]}`" if mv.reason else "cleared"
        if mv.fresh:
            why += "; retries reset"
        rows.append(f"| {src} | {mv.event} | {mv.target or 'unchanged'} | {why} |")
    return "\n".join(rows) + "\n"


__all__ = ["ANY", "MOVES", "Event", "IllegalMove", "Move", "move", "render_table"]
