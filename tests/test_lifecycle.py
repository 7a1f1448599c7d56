"""The life cycle table: one move per (stage, event), illegal moves refused, every stage change in
bp_tui/sync made by ``move``, and ARCHITECTURE.md's copy equal to the table."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bp_tui
from bp_tui.core import reasons
from bp_tui.core.lifecycle import ANY, MOVES, Event, IllegalMove, move, render_table
from bp_tui.core.records import GonRecord
from bp_tui.core.stages import Stage

ROOT = Path(bp_tui.__file__).parent
DOC = ROOT.parent / "ARCHITECTURE.md"


def _rec(stage: Stage, **kw: object) -> GonRecord:
    return GonRecord(gon_id=7, order_id=70, stage=stage, **kw)  # type: ignore[arg-type]


def test_an_illegal_move_raises_and_changes_nothing() -> None:
    rec = _rec(Stage.CONFIRMED, reason="done", attempts=2)
    with pytest.raises(IllegalMove) as err:
        move(rec, Event.FOUND_ELIGIBLE)
    text = str(err.value)
    assert "GON 7" in text and "from confirmed" in text and "'found eligible'" in text
    assert "from waiting to ready" in text
    assert (rec.stage, rec.reason, rec.attempts) == (Stage.CONFIRMED, "done", 2)
    assert (err.value.source, err.value.event) == (Stage.CONFIRMED, Event.FOUND_ELIGIBLE)


@pytest.mark.parametrize(
    ("stage", "event"),
    [
        (Stage.CANCELLED, Event.SENT),
        (Stage.WAITING, Event.WRITTEN_BACK),
        (Stage.CONFIRMED, Event.LABEL_SEEN),
        (Stage.IMPORTED, Event.RELISTED),
        (Stage.READY, Event.FOUND_AGAIN),
    ],
)
def test_moves_the_table_lacks_raise(stage: Stage, event: Event) -> None:
    with pytest.raises(IllegalMove):
        move(_rec(stage), event)


def test_every_stage_and_event_pair_is_either_one_move_or_refused() -> None:
    for stage in Stage:
        for event in Event:
            rows = [mv for mv in MOVES if mv.event == event and stage in mv.sources]
            assert len(rows) <= 1, (stage, event)
            rec = _rec(stage)
            if rows:
                assert move(rec, event).stage == (rows[0].target or stage)
                assert isinstance(rec.stage, Stage)
            else:
                with pytest.raises(IllegalMove):
                    move(rec, event)
    assert {mv.event for mv in MOVES} == set(Event)  # no event without a move


def test_a_move_sets_the_tables_reason_else_the_callers_else_keeps_it() -> None:
    later = datetime(2030, 1, 1, tzinfo=UTC)
    rec = move(_rec(Stage.READY, reason="x", attempts=3, next_attempt_at=later), Event.ADOPTED)
    assert (rec.stage, rec.reason, rec.attempts, rec.next_attempt_at) == (
        Stage.IMPORTED,
        reasons.ADOPTED,
        0,
        None,
    )
    rec = move(_rec(Stage.IMPORTED, reason="old", attempts=1), Event.FAILED, "boom")
    # the backoff is the step's
    assert (rec.stage, rec.reason, rec.attempts) == (Stage.FAILED, "boom", 1)
    rec = move(_rec(Stage.FAILED, reason="still failing", attempts=2), Event.LABEL_SEEN)
    assert (rec.stage, rec.reason, rec.attempts) == (Stage.FAILED, "still failing", 2)
    rec = move(_rec(Stage.FAILED, reason="kept", next_attempt_at=later), Event.RESUMED)
    assert (rec.stage, rec.reason, rec.next_attempt_at) == (Stage.READY, "kept", later)


def test_the_stage_is_a_stage_from_a_string_and_a_wrong_one_is_refused() -> None:
    assert _rec("shipped").stage is Stage.SHIPPED  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bogus"):
        _rec("bogus")  # type: ignore[arg-type]


def test_fail_and_attention_are_the_only_moves_from_any_stage() -> None:
    assert {mv.event for mv in MOVES if mv.sources == ANY} == {Event.FAILED, Event.NEEDS_PERSON}


def test_the_doc_shows_the_table_of_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    shown = text.split("<!-- moves:start -->\n", 1)[1].split("<!-- moves:end -->", 1)[0]
    assert shown == render_table(), "ARCHITECTURE.md's table is stale: put render_table() in it"
    assert "docs/lifecycle.md" in DOC.read_text(encoding="utf-8")


def _stage_writes(tree: ast.AST) -> list[int]:
    """Lines that assign or rebind a ``.stage`` attribute, in any form, or call setattr with it."""
    out = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == "stage"
        ):
            out.append(node.lineno)
        stack = list(targets)
        while stack:
            t = stack.pop()
            if isinstance(t, (ast.Tuple, ast.List)):
                stack.extend(t.elts)
            elif isinstance(t, ast.Starred):
                stack.append(t.value)
            elif isinstance(t, ast.Attribute) and t.attr == "stage":
                out.append(t.lineno)
    return out


def test_no_module_in_sync_sets_a_stage_but_through_move() -> None:
    found = {
        str(p.relative_to(ROOT)): lines
        for p in sorted((ROOT / "sync").rglob("*.py"))
        if (lines := _stage_writes(ast.parse(p.read_text(encoding="utf-8"))))
    }
    assert found == {}, f"set .stage through core.lifecycle.move, not directly: {found}"


def test_the_stage_write_finder_finds_each_form() -> None:
    src = (
        "a.stage = 1\nb.stage, b.reason = 1, 2\nc.stage += 1\n"
        "setattr(d, 'stage', 1)\n[e.stage] = [1]\n"
    )
    assert sorted(_stage_writes(ast.parse(src))) == [1, 2, 3, 4, 5]
