"""``map_gon`` and the eligibility rule on their own, fed the recorded Brightpearl payloads in
tests/fixtures/brightpearl (the note and order as Brightpearl answered them)."""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bp_tui.brightpearl.models import GoodsOutNote, Order
from bp_tui.core import reasons
from bp_tui.core.reasons import MappingCode, MappingError
from bp_tui.core.shipping import DRAFT_FORM, Address, OrderDraft, Weight
from bp_tui.sync.mapping import MapOptions, map_gon

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "brightpearl"
OPTIONS = MapOptions(
    account_code="acme", store_id=518237, include_weights=True, weight_unit="grams"
)


def recorded(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))["response"]


def recorded_order() -> Order:
    return Order.from_api(recorded("order_get_one.json")[0])


def recorded_note(**status) -> GoodsOutNote:
    """The recorded note (GON 12447605), its two rows moved onto the recorded order's row 1 (the
    two recordings come from different orders), with its status flags as given."""
    [(gon_id, data)] = copy.deepcopy(recorded("gon_get_by_gon_id.json")).items()
    parts = [p for row in data["orderRows"].values() for p in row]
    data["orderRows"] = {"1": parts}
    data["orderId"] = recorded_order().id
    data["status"].update(status)
    return GoodsOutNote.from_api(gon_id, data)


def test_the_recorded_note_maps_to_a_draft_in_bp_tuis_terms():
    order = recorded_order()
    draft = map_gon(
        recorded_note(shipped=False), order, OPTIONS, weights={order.rows[1].product_id: 0.25}
    )
    assert isinstance(draft, OrderDraft)
    assert draft.key == "bp-acme-gon-12447605" and draft.number == str(order.id)
    assert draft.ship_to == Address(
        name="Demo Customer",
        company="Customer Company Ltd.",
        street1="34 Lime St",
        street2="Barton",
        city="Sheffield",
        state="South Yorkshire",
        postal_code="S1 4RT",
        country="GB",
        phone="01245 845632",
    )
    assert (
        draft.email == "demo@test.com" and draft.warehouse_ref == "2" and draft.store_id == 518237
    )
    assert draft.placed_at is not None and draft.placed_at.tzinfo is not None
    assert draft.placed_at == order.placed_on.astimezone(UTC)
    [line] = draft.items
    row = order.rows[1]
    assert (line.line_key, line.quantity, line.sku) == (
        "1",
        2,
        row.sku or "",
    )  # the note's two parts
    assert line.unit_price == pytest.approx(float(row.unit_price or 0))
    assert line.weight == Weight(0.25, "grams")
    # the draft is what the state keeps of a sent note: it reads back equal
    assert OrderDraft.from_json(json.loads(json.dumps(draft.to_json()))) == draft
    # and its JSON is every field as dataclasses.asdict gives it (but extra), however written
    reference = dataclasses.asdict(draft)
    del reference["extra"]
    reference.update(placed_at=draft.placed_at.isoformat(), form=DRAFT_FORM)
    assert json.dumps(draft.to_json(), sort_keys=True) == json.dumps(reference, sort_keys=True)
    assert draft.to_json()["items"][0]["weight"] == {"value": 0.25, "unit": "grams"}


def test_weights_are_left_out_when_switched_off_or_unknown():
    order = recorded_order()
    note = recorded_note(shipped=False)
    off = map_gon(
        note,
        order,
        replace(OPTIONS, include_weights=False),
        weights={order.rows[1].product_id: 1.0},
    )
    unknown = map_gon(note, order, OPTIONS, weights={})
    assert off.items[0].weight is None and unknown.items[0].weight is None


def test_a_later_note_of_the_same_order_gets_a_numbered_order():
    note = replace(recorded_note(shipped=False), sequence=2)
    assert map_gon(note, recorded_order(), OPTIONS).number == f"{recorded_order().id}-2"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda n, o: (n, replace(o, delivery=None)), MappingCode.NO_DELIVERY),
        (
            lambda n, o: (n, replace(o, delivery=replace(o.delivery, full_name=" "))),
            MappingCode.NO_NAME,
        ),
        (
            lambda n, o: (n, replace(o, delivery=replace(o.delivery, line1=""))),
            MappingCode.NO_LINE1,
        ),
        (
            lambda n, o: (n, replace(o, delivery=replace(o.delivery, country_iso2=""))),
            MappingCode.NO_COUNTRY,
        ),
        (lambda n, o: (replace(n, transfer=True), o), MappingCode.TRANSFER),
        (lambda n, o: (replace(n, rows={}), o), MappingCode.NO_ROWS),
        (lambda n, o: (replace(n, rows={99: n.rows[1]}), o), MappingCode.ROW_NOT_ON_ORDER),
        (
            lambda n, o: (replace(n, rows={1: [replace(p, quantity=0) for p in n.rows[1]]}), o),
            MappingCode.NOTHING_TO_SHIP,
        ),
        (
            lambda n, o: (replace(n, order_id=10**60), replace(o, id=10**60)),
            MappingCode.NUMBER_TOO_LONG,
        ),
    ],
)
def test_a_note_that_cannot_be_mapped_says_why(change, code):
    note, order = change(recorded_note(shipped=False), recorded_order())
    with pytest.raises(MappingError) as info:
        map_gon(note, order, OPTIONS)
    assert info.value.code == code and str(info.value)


def config(**bp):
    values = {"warehouse_ids": [], "channel_ids": [], "import_when": "printed", **bp}
    return SimpleNamespace(brightpearl=SimpleNamespace(**values))


def test_eligibility_of_the_recorded_note():
    order = recorded_order()
    assert (
        reasons.eligibility(recorded_note(), order, config()) is reasons.SHIPPED_REASON
    )  # it was shipped
    assert reasons.eligibility(recorded_note(shipped=False), order, config()) is None
    waiting = reasons.eligibility(recorded_note(shipped=False, printed=False), order, config())
    assert waiting is not None and "printed" in waiting.sentence
    packed = config(import_when="packed")
    assert (
        reasons.eligibility(recorded_note(shipped=False), order, packed) is None
    )  # the recording is packed
    assert (
        reasons.eligibility(recorded_note(shipped=False, packed=False), order, packed) is not None
    )


def test_eligibility_follows_the_warehouse_and_channel_filters():
    order, note = recorded_order(), recorded_note(shipped=False)
    assert reasons.eligibility(note, order, config(warehouse_ids=[2])) is None
    elsewhere = reasons.eligibility(note, order, config(warehouse_ids=[7]))
    assert elsewhere is not None and "7" in elsewhere.sentence
    assert reasons.eligibility(note, order, config(channel_ids=[order.channel_id])) is None
    assert (
        reasons.eligibility(note, replace(order, channel_id=5), config(channel_ids=[1])) is not None
    )
    assert (
        reasons.eligibility(replace(note, transfer=True), order, config())
        is reasons.TRANSFER_REASON
    )
    # no order read and no channel known: the channel filter waits for the order, never guesses
    assert reasons.eligibility(note, None, config(channel_ids=[1])) is None
    assert reasons.eligibility(note, None, config(channel_ids=[1]), known_channel=5) is not None


def test_a_naive_placed_date_is_read_as_utc():
    order = replace(recorded_order(), placed_on=datetime(2024, 3, 1, 12, 0))
    assert map_gon(recorded_note(shipped=False), order, OPTIONS).placed_at == datetime(
        2024, 3, 1, 12, 0, tzinfo=UTC
    )
