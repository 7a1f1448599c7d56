"""The queue served from SQLite: paging, search, stage filter and sort, checked against the
same rules written in plain Python over a few thousand notes; and the query plans (every
page is read on an index, never by sorting or scanning the whole table)."""

from __future__ import annotations

import random
import sqlite3
import string
from datetime import UTC, datetime, timedelta

import pytest

import bp_tui.state.queue as queue_module
import bp_tui.state.rows as rows_module
from bp_tui.core.stages import STAGES
from bp_tui.state import GonRecord, StateStore
from bp_tui.state.queries import QUEUE_SORTS, STAGE_PRIORITY, Search, id_prefix_ranges
from tests.state_helpers import stages_counted

N = 3000
START = datetime(2025, 3, 1, tzinfo=UTC)
NAMES = [
    "Ada Lovelace",
    "alan turing",
    "Grace Hopper",
    "GRACE jones",
    "Linus",
    "Émile Zola",
    "o'Brien",
    "100% Cotton Ltd",
    "under_score",
    "",
]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A state of N notes written through the store, with a clock that moves between writes
    (so updated_at and first_seen differ from note to note, with ties)."""
    path = tmp_path_factory.mktemp("queue") / "state.sqlite3"
    rng = random.Random(14)
    clock = Clock()
    patch = pytest.MonkeyPatch()
    patch.setattr(rows_module, "utcnow", clock)
    store = StateStore(path)
    records = []
    for i in range(N):
        gon_id = 40_000 + rng.randrange(0, 900_000)
        while any(r.gon_id == gon_id for r in records[-50:]):
            gon_id += 1
        records.append(
            GonRecord(
                gon_id=gon_id,
                order_id=rng.choice([10_000 + i // 3, 120_000 + rng.randrange(90_000)]),
                stage=rng.choice(STAGES),
                reference=rng.choice(["PO-", "po-", "REF ", ""]) + str(rng.randrange(1000)),
                customer=rng.choice(NAMES),
                tracking=rng.choice(["1Z", "94", ""]) + str(rng.randrange(10**6)),
                first_seen=START - timedelta(minutes=rng.randrange(0, 5000)),
            )
        )
    by_id = {r.gon_id: r for r in records}
    for batch_start in range(0, len(by_id), 250):
        clock.now = START + timedelta(seconds=batch_start // 250 * 7)
        store.save_gons(list(by_id.values())[batch_start : batch_start + 250])
    # some notes change later (a second write moves updated_at, a few change stage)
    with store.transaction():
        for rec in rng.sample(list(by_id.values()), 400):
            clock.now += timedelta(seconds=rng.choice([0, 1, 30]))
            rec.stage = rng.choice(STAGES)
            store.save_gon(rec)
    patch.undo()
    yield store
    store.close()


def everything(store: StateStore) -> list[GonRecord]:
    return list(store.gons().values())


def reference_order(rows: list[GonRecord], sort: str) -> list[int]:
    rank = {s: i for i, s in enumerate(STAGE_PRIORITY)}
    keys = {
        "stage": lambda r: (rank[r.stage], -r.gon_id),
        "age": lambda r: (r.first_seen, r.gon_id),
        "gon": lambda r: r.gon_id,
        "order": lambda r: (r.order_id, r.gon_id),
        "customer": lambda r: (_nocase(r.customer), r.gon_id),
        "updated": lambda r: (-r.updated_at.timestamp(), -r.gon_id),
    }
    return [r.gon_id for r in sorted(rows, key=keys[sort])]


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _nocase(text: str) -> bytes:
    """SQLite's NOCASE: ASCII letters folded, then the UTF-8 bytes compared."""
    return text.translate(_ASCII_LOWER).encode()


def reference_search(rows: list[GonRecord], needle: str) -> list[GonRecord]:
    needle = needle.strip()

    def starts(text: str) -> bool:
        return _nocase(text).startswith(_nocase(needle))

    numeric = needle.isdigit() and not needle.startswith("0")
    return [
        r
        for r in rows
        if starts(r.reference)
        or starts(r.tracking)
        or starts(r.customer)
        or (numeric and (str(r.gon_id).startswith(needle) or str(r.order_id).startswith(needle)))
    ]


def read_all(store: StateStore, page: int, **view) -> tuple[list[int], int]:
    ids: list[int] = []
    offset = 0
    while True:
        rows, total = store.queue.page(offset=offset, limit=page, **view)
        ids += [r.gon_id for r in rows]
        offset += page
        if offset >= total:
            return ids, total


@pytest.mark.parametrize("sort", QUEUE_SORTS)
def test_every_sort_and_stage_filter_pages_through_the_same_rows_as_python(built, sort):
    rows = everything(built)
    for stage in (None, *STAGES):
        wanted = reference_order([r for r in rows if stage is None or r.stage == stage], sort)
        ids, total = read_all(built, 97, stage=stage, sort=sort)
        assert total == len(wanted)
        assert ids == wanted, (sort, stage)


@pytest.mark.parametrize("sort", QUEUE_SORTS)
def test_any_window_equals_the_slice_near_or_deep(built, sort):
    rng = random.Random(sort)
    rows = everything(built)
    for stage in (None, "confirmed"):
        wanted = reference_order([r for r in rows if stage is None or r.stage == stage], sort)
        for offset in [
            0,
            1,
            len(wanted) // 2 - 3,
            len(wanted) - 5,
            len(wanted) - 1,
            len(wanted),
            len(wanted) + 9,
            *rng.sample(range(len(wanted)), 12),
        ]:
            limit = rng.choice([1, 7, 50, 120])
            page, total = built.queue.page(stage=stage, sort=sort, offset=offset, limit=limit)
            assert total == len(wanted)
            assert [r.gon_id for r in page] == wanted[offset : offset + limit], (
                stage,
                offset,
                limit,
            )


def test_pages_carry_what_the_queue_shows_without_the_payload(built):
    page, _total = built.queue.page(sort="gon", limit=5)
    full = built.gons([r.gon_id for r in page])
    for rec in page:
        whole = full[rec.gon_id]
        assert rec.ss_payload is None
        whole.ss_payload = None
        assert rec == whole


@pytest.mark.parametrize("sort", QUEUE_SORTS)
def test_search_by_prefix_of_ids_reference_tracking_customer(built, sort):
    rows = everything(built)
    some = rows[17]
    needles = [
        str(some.gon_id),
        str(some.gon_id)[:3],
        str(some.order_id),
        str(some.order_id)[:2],
        some.reference.lower()[:4] or "po-",
        "1z",
        "94",
        "grace",
        "GRACE J",
        "  ada ",
        "100%",
        "100_",
        "under_",
        "under%",
        "o'b",
        "É",
        "4",
        "no such note",
        "0",
    ]
    for needle in needles:
        for stage in (None, "failed"):
            wanted = reference_order(
                [r for r in reference_search(rows, needle) if stage is None or r.stage == stage],
                sort,
            )
            ids, total = read_all(built, 300, stage=stage, search=needle, sort=sort)
            assert total == len(wanted) and ids == wanted, (needle, stage)


def test_a_search_by_a_whole_gon_id_finds_that_note_first_in_gon_order(built):
    some = everything(built)[100]
    rows, total = built.queue.page(search=str(some.gon_id), sort="gon", limit=10)
    assert rows[0].gon_id == some.gon_id and total >= 1


def test_a_broad_search_stops_at_the_limit_and_says_more(built, monkeypatch):
    monkeypatch.setattr(queue_module, "SEARCH_LIMIT", 50)
    rows, total = built.queue.page(search="1", sort="gon", limit=500)
    assert total == 51 and len(rows) == 51
    broad = {r.gon_id for r in reference_search(everything(built), "1")}
    assert len(broad) > 51 and {r.gon_id for r in rows} <= broad


def test_stage_counts_match_a_grouped_count(built):
    counted = stages_counted(built)
    assert built.queue.stage_counts() == counted and sum(counted.values()) == len(everything(built))


@pytest.mark.parametrize("sort", QUEUE_SORTS)
def test_position_of_a_note_is_its_offset_in_the_view(built, sort):
    rows = everything(built)
    rng = random.Random(sort + "pos")
    for stage, search in ((None, ""), ("imported", ""), (None, "gra"), ("failed", "1")):
        wanted = reference_order(
            [r for r in reference_search(rows, search) if stage is None or r.stage == stage]
            if search
            else [r for r in rows if stage is None or r.stage == stage],
            sort,
        )
        for gon_id in rng.sample(wanted, min(15, len(wanted))):
            assert built.queue.position(
                gon_id, stage=stage, search=search, sort=sort
            ) == wanted.index(gon_id)
    outside = next(r for r in rows if r.stage != "imported")
    assert built.queue.position(outside.gon_id, stage="imported", sort=sort) is None
    assert built.queue.position(1, sort=sort) is None


def test_unknown_sort_is_refused(built):
    with pytest.raises(ValueError, match="unknown sort"):
        built.queue.page(sort="colour")


def test_id_prefix_ranges_cover_ten_digit_ids():
    assert id_prefix_ranges("12")[:3] == [(12, 12), (120, 129), (1200, 1299)]
    assert id_prefix_ranges("12")[-1] == (1_200_000_000, 1_299_999_999)
    assert Search.parse("  ") is None


# ---- the plans: what makes a page cheap at a million notes ---------------------------------
def plan(store: StateStore, sql: str, args) -> str:  # type: ignore[no-untyped-def]
    return " | ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql, args))


def test_every_page_query_reads_an_index_in_order(built, monkeypatch):
    seen: list[tuple[str, tuple]] = []
    real = built.db

    class Spy:
        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(real, name)

        def execute(self, sql, args=()):  # type: ignore[no-untyped-def]
            seen.append((sql, tuple(args)))
            return real.execute(sql, args)

    totals = {stage: built.queue.page(stage=stage, limit=0)[1] for stage in (None, "confirmed")}
    monkeypatch.setattr(built, "db", Spy())
    for sort in QUEUE_SORTS:
        for stage in (None, "confirmed"):
            for offset in (0, totals[stage] - 10):
                built.queue.page(stage=stage, sort=sort, offset=offset, limit=50)
    monkeypatch.undo()
    pages = [
        (sql, args)
        for sql, args in seen
        if sql.startswith("SELECT gon_id FROM gons") and "OFFSET" in sql
    ]
    assert len(pages) >= len(QUEUE_SORTS) * 4
    for sql, args in pages:
        text = plan(built, sql, args)
        assert "TEMP B-TREE" not in text and "USING" in text, (sql, text)


def test_search_reads_only_index_ranges(built):
    found = Search.parse("1234")
    assert found is not None
    text = plan(
        built,
        f"SELECT gon_id FROM gons WHERE {found.where} AND +stage = ?",
        [*found.args, "failed"],
    )
    assert text.startswith("MULTI-INDEX OR") and "SCAN" not in text
    for index in ("gons_reference", "gons_tracking", "gons_customer", "gons_order", "PRIMARY KEY"):
        assert index in text


def test_retention_and_the_header_read_indexes(built):
    cutoff = "2025-01-01T00:00:00+00:00"
    text = plan(
        built,
        "SELECT gon_id FROM gons WHERE stage IN ('confirmed','cancelled') AND updated_at < ?",
        [cutoff],
    )
    assert "gons_stage_updated" in text
    assert "audit_at" in plan(
        built, "SELECT id FROM audit WHERE at < ? AND result <> 'intent'", [cutoff]
    )
    assert "gons_confirmed" in plan(
        built, "SELECT COUNT(*) FROM gons WHERE confirmed_at >= ?", [cutoff]
    )


def test_labels_with_work_left_are_read_from_their_partial_index(built):
    text = plan(
        built, f"SELECT DISTINCT gon_id FROM shipments WHERE {rows_module.PENDING_SHIPMENT}", []
    )
    assert (
        "USING INDEX shipments_pending" in text or "USING COVERING INDEX shipments_pending" in text
    )
    seen: list[str] = []
    built.db.set_trace_callback(seen.append)
    try:
        built.queue.gons_with_pending_shipments()
        built.retention.expired_gons(datetime(2025, 1, 1, tzinfo=UTC))
    finally:
        built.db.set_trace_callback(None)
    for sql in seen:
        assert "shipments_pending" in plan(
            built,
            sql.replace("'2025-01-01T00:00:00+00:00'", "?"),
            ["2025-01-01T00:00:00+00:00"] if "2025-01-01" in sql else [],
        ), sql


# ---- the stage counts, whatever statement writes a note -------------------------------------


def test_stage_counts_stay_exact_under_every_kind_of_write(tmp_path):
    store = StateStore(tmp_path / "s.sqlite3")
    rng = random.Random(3)
    store.save_gons(
        [GonRecord(gon_id=i, order_id=i, stage=rng.choice(STAGES)) for i in range(1, 200)]
    )
    cols = "gon_id, order_id, stage, first_seen, updated_at"
    now = "2026-01-01T00:00:00+00:00"
    for step in range(400):
        gon_id, stage = rng.randrange(1, 260), rng.choice(STAGES)
        kind = step % 7
        with store.transaction():
            if kind == 0:
                store.db.execute(
                    f"INSERT OR REPLACE INTO gons ({cols}) VALUES (?,?,?,?,?)",
                    (gon_id, gon_id, stage, now, now),
                )
            elif kind == 1:
                store.db.execute(
                    f"INSERT OR IGNORE INTO gons ({cols}) VALUES (?,?,?,?,?)",
                    (gon_id, gon_id, stage, now, now),
                )
            elif kind == 2:
                store.db.execute(
                    f"INSERT INTO gons ({cols}) VALUES (?,?,?,?,?) ON "
                    "CONFLICT(gon_id) DO UPDATE SET "
                    "stage = excluded.stage",
                    (gon_id, gon_id, stage, now, now),
                )
            elif kind == 3:
                store.db.execute("UPDATE gons SET stage = ? WHERE gon_id = ?", (stage, gon_id))
            elif kind == 4:
                store.db.execute("DELETE FROM gons WHERE gon_id = ?", (gon_id,))
            elif kind == 5:
                rec = store.gon(gon_id) or GonRecord(gon_id=gon_id, order_id=gon_id, stage=stage)
                rec.stage = stage
                store.save_gon(rec)
            else:
                try:
                    store.db.execute(
                        f"INSERT INTO gons ({cols}) VALUES (?,?,?,?,?)",
                        (gon_id, gon_id, stage, now, now),
                    )
                except sqlite3.IntegrityError:
                    pass
        assert store.queue.stage_counts() == stages_counted(store), (step, kind)
    with store.rehearsal():
        store.db.execute("DELETE FROM gons WHERE gon_id < 100")
        assert store.queue.stage_counts() == stages_counted(store)
    assert (
        store.queue.stage_counts() == stages_counted(store)
        and sum(stages_counted(store).values()) > 100
    )
    store.close()
    other = StateStore(tmp_path / "s.sqlite3")  # another connection (a headless sync) writes too
    other.db.execute("UPDATE gons SET stage = 'confirmed'")
    other.db.commit()
    assert (
        other.queue.stage_counts()
        == stages_counted(other)
        == {"confirmed": sum(stages_counted(other).values())}
    )
