"""The recorded real payloads of the reference parse into the typed results."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from bp_tui.brightpearl.apierrors import api_error
from bp_tui.brightpearl.client import _gon_map, _response_list
from bp_tui.brightpearl.models import (
    Channel,
    GoodsOutSearchRow,
    Order,
    OrderNote,
    OrderStatus,
    Product,
    ShippingMethod,
    Warehouse,
)
from bp_tui.errors import ApiAuthError, ApiError
from tests.brightpearl.helpers import fixture

CST = timezone(timedelta(hours=-6))


def test_gon_recording_parses():
    gons = _gon_map(fixture("gon_get_by_gon_id.json"))
    gon = gons[12447605]
    assert (gon.order_id, gon.warehouse_id, gon.sequence) == (988116, 2, 1)
    assert gon.shipped and gon.packed and gon.picked and gon.printed
    assert gon.shipped_on == datetime(2025, 11, 4, 10, 41, 38, tzinfo=CST)
    assert gon.shipped_on.utcoffset() == timedelta(hours=-6)
    assert gon.shipping_method_id == 49 and gon.shipping_reference == ""
    assert gon.rows[2975385][0].product_id == 489065
    assert gon.rows[2975385][0].quantity == 1 and gon.rows[2975385][0].location_id == 2
    assert gon.row_quantities() == {2975385: 1, 2975384: 1}
    assert [e.code for e in gon.events] == ["PLA", "SHW", "PRI", "PIC", "PAC"]
    assert gon.events[0].owner_id == 203
    assert gon.last_event_version == 3131069
    assert gon.state_word == "shipped" and gon.state_flag("packed")


def test_order_recording_parses():
    (raw,) = _response_list(fixture("order_get_one.json"))
    order = Order.from_api(raw)
    assert order.id == 1 and order.channel_id == 0 and order.warehouse_id == 2
    assert order.status_id == 4 and order.status_name == "Invoiced"
    assert order.shipping_status_code == "ASS" and order.currency == "USD"
    assert order.placed_on == datetime(2020, 3, 31, 15, 2, 44, tzinfo=CST)
    assert order.customer.contact_id == 200 and order.delivery.contact_id is None
    assert order.delivery.full_name == "Demo Customer" and order.delivery.line3 == "Sheffield"
    assert order.delivery.country_iso2 == "GB" and order.delivery.phone == "01245 845632"
    row = order.rows[1]
    assert (row.sku, row.name, row.product_id) == ("TEST001", "Nice Shirt for Summer", 1007)
    assert (
        row.quantity == Decimal("1.0000")
        and row.unit_price == Decimal("10.0000")
        and row.currency == "USD"
    )


def test_order_not_found_is_empty():
    assert _response_list(fixture("order_get_empty_not_found.json")) == []


def test_lookups_parse():
    (status,) = [OrderStatus.from_api(s) for s in _response_list(fixture("order_status_get.json"))]
    assert (status.id, status.name, status.visible, status.order_type_code) == (
        1,
        "Draft / Quote",
        False,
        "SO",
    )
    (channel,) = [Channel.from_api(c) for c in _response_list(fixture("channel_get.json"))]
    assert (channel.id, channel.name, channel.warehouse_ids) == (3, "Ebay Channel", [3])
    (wh,) = [Warehouse.from_api(w) for w in _response_list(fixture("warehouse_get.json"))]
    assert (wh.id, wh.name) == (2, "Second warehouse")
    (method,) = [
        ShippingMethod.from_api(m) for m in _response_list(fixture("shipping_method_get.json"))
    ]
    assert (method.id, method.name, method.carrier) == (1, "Standard Shipping", "")
    (product,) = [Product.from_api(p) for p in _response_list(fixture("product_get.json"))]
    assert (product.id, product.sku, product.weight, product.stock_tracked) == (
        1007,
        "TEST001",
        0.0,
        True,
    )
    (note,) = [OrderNote.from_api(n) for n in _response_list(fixture("order_note_get.json"))]
    assert note.id == 11248 and note.text == "Created by John Smith" and not note.is_public
    assert note.added_on.utcoffset() == timedelta(hours=1)


def test_search_rows_zip_with_columns_and_tolerate_missing():
    body = fixture("order_search.json")
    names = [c["name"] for c in body["response"]["metaData"]["columns"]]
    row = dict(zip(names, body["response"]["results"][0], strict=False))
    assert row["orderId"] == 322 and row["customerRef"] == "#0001"
    assert "reference" in body and "reference" not in body["response"]
    gon_row = GoodsOutSearchRow.from_api(
        {
            "goodsOutNoteId": 5,
            "orderId": 9,
            "printed": True,
            "shipped": False,
            "createdOn": "2025-11-04T10:17:45.000-06:00",
        }
    )
    assert gon_row.channel_id is None and gon_row.warehouse_id is None and gon_row.printed
    assert gon_row.created_on.utcoffset() == timedelta(hours=-6)


def test_parsing_tolerates_nulls_and_missing_keys():
    order = Order.from_api(
        {"id": 5, "parties": {"delivery": None}, "orderRows": {"7": {"quantity": None}}}
    )
    assert (
        order.delivery is None and order.rows[7].quantity == 0 and order.rows[7].unit_price is None
    )
    (gon,) = _gon_map(
        {"response": {"9": {"orderId": 0, "warehouseId": 2, "orderRows": {}, "status": None}}}
    ).values()
    assert (
        gon.order_id == 0 and gon.rows == {} and not gon.printed and gon.last_event_version is None
    )


def test_error_recordings_become_exceptions_with_sentences():
    bad = api_error(401, fixture("error_gwyb_006.json"))
    assert isinstance(bad, ApiAuthError) and bad.code == "GWYB-006"
    assert "brightpearl.username" in str(bad) and "brightpearl.password" in str(bad)
    no_api = api_error(403, fixture("error_gwyb_003.json"))
    assert isinstance(no_api, ApiAuthError) and "no API access" in str(no_api)
    expired = api_error(401, fixture("error_not_authenticated.json"), auth_mode="staff_token")
    assert isinstance(expired, ApiAuthError) and "brightpearl.token" in str(expired)
    throttled = api_error(503, fixture("error_request_cap.json"))
    assert "200 requests a minute" in str(throttled) and not isinstance(throttled, ApiAuthError)
    filt = api_error(500, fixture("error_cmnc_018.json"))
    assert type(filt) is ApiError and filt.code == "CMNC-018" and filt.status == 500
    channel = api_error(
        404, {"errors": [{"code": "CMNC-404", "message": "Cannot find channel 99"}]}
    )
    assert "brightpearl.channel_ids" in str(channel)


def test_secrets_echoed_by_the_server_are_scrubbed():
    err = api_error(
        401, {"response": "Invalid instance token: s3cr3t-token"}, secrets=("s3cr3t-token",)
    )
    assert "s3cr3t-token" not in str(err) and "***" in str(err)
