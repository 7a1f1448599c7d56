"""Client reads against the sandbox: search paging, id-set chunking, lookups."""

from datetime import timedelta

from bp_tui.brightpearl.idset import parse_idset
from tests.brightpearl.helpers import NOW, client_for, seeded


def calls(sb, fragment, method="GET"):
    return [entry for entry in sb.request_log if entry[1] == method and fragment in entry[2]]


async def test_search_pages_over_1200_gons_in_three_pages():
    sb = seeded(orders=0)
    order_id = sb.add_order(rows=[(1001, 1)])
    ids = {sb.add_gon(order_id, state="printed", created_on=NOW) for _ in range(1200)}
    sb.add_gon(order_id, state="new", created_on=NOW)
    async with client_for(sb) as client:
        rows = await client.search_goods_out(import_when="printed", shipped=False)
    assert {r.goods_out_note_id for r in rows} == ids and len(rows) == 1200
    assert len(calls(sb, "goods-out-search")) == 3
    assert all(r.printed and not r.shipped and r.channel_id == 1 for r in rows)


async def test_search_filters_state_warehouse_created_and_orders():
    sb = seeded()
    async with client_for(sb) as client:
        printed = await client.search_goods_out(import_when="printed", shipped=False)
        assert len([r for r in printed if r.order_id]) == sb.counts["printed_unshipped"]
        picked = await client.search_goods_out(import_when="picked", shipped=False)
        assert len([r for r in picked if r.order_id]) == sb.counts["picked_unshipped"]
        shipped = await client.search_goods_out(shipped=True)
        assert len(shipped) == sb.counts["by_state"]["shipped"]
        in_three = await client.search_goods_out(warehouse_id=3)
        assert in_three and all(r.warehouse_id == 3 for r in in_three)
        recent = await client.search_goods_out(created_after=NOW - timedelta(days=5))
        everything = await client.search_goods_out()
        assert 0 < len(recent) < len(everything) == len(sb.gons)
        assert all(r.created_on >= NOW - timedelta(days=5) for r in recent)
        some_orders = sorted(sb.orders)[:4]
        by_order = await client.search_goods_out(order_ids=some_orders)
        assert {r.order_id for r in by_order} == set(some_orders)
        assert await client.search_goods_out(order_ids=[]) == []


async def test_search_tolerates_a_missing_channel_column():
    import httpx

    from bp_tui.brightpearl.client import BrightpearlClient
    from bp_tui.config.model import BrightpearlSettings

    columns = [
        {"name": n} for n in ("goodsOutNoteId", "printed", "shipped", "orderId", "warehouseId")
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["printed"] == "true" and request.url.params["shipped"] == "false"
        assert request.headers["brightpearl-staff-token"] == "tok"
        body = {
            "response": {
                "results": [[7, True, False, 70, 2]],
                "metaData": {"morePagesAvailable": False, "columns": columns},
            },
            "reference": {},
        }
        return httpx.Response(200, json=body, headers={"brightpearl-requests-remaining": "150"})

    settings = BrightpearlSettings(
        account_code="x",
        integration_url="http://bp.test/public-api/x",
        auth="staff_token",
        app_ref="x_app",
        token="tok",
    )
    async with BrightpearlClient(settings, transport=httpx.MockTransport(answer)) as client:
        rows = await client.search_goods_out(import_when="printed", shipped=False)
        assert client.gate.remaining == 150
    assert [(r.goods_out_note_id, r.order_id, r.warehouse_id, r.channel_id) for r in rows] == [
        (7, 70, 2, None)
    ]


async def test_gon_get_chunks_1100_ids_into_three_calls_and_skips_missing():
    sb = seeded(orders=0)
    order_id = sb.add_order(rows=[(1001, 2), (1002, 1)])
    ids = [sb.add_gon(order_id, state="printed") for _ in range(1099)]
    wanted = ids + [99_999_999]
    async with client_for(sb) as client:
        gons = await client.get_goods_out_notes(wanted)
    assert set(gons) == set(ids)
    gets = calls(sb, "/goods-note/goods-out/")
    assert len(gets) == 3
    assert all(len(parse_idset(path.rsplit("/", 1)[1])) <= 500 for _, _, path, _ in gets)
    gon = gons[ids[0]]
    assert gon.order_id == order_id and sum(gon.row_quantities().values()) == 3


async def test_gon_get_of_unknown_ids_is_empty_not_an_error():
    sb = seeded(orders=2)
    async with client_for(sb) as client:
        assert await client.get_goods_out_notes([1, 2, 3]) == {}
        assert await client.get_goods_out_notes([]) == {}
    assert calls(sb, "goods-out/1-3")[0][3] == 404


async def test_gons_for_orders_and_second_gon_has_sequence_two():
    sb = seeded()
    two = [oid for oid in sb.orders if sum(1 for g in sb.gons.values() if g["orderId"] == oid) == 2]
    assert two
    async with client_for(sb) as client:
        gons = await client.get_goods_out_notes_for_orders(two + [1])
    assert {g.order_id for g in gons.values()} == set(two)
    assert sorted(g.sequence for g in gons.values() if g.order_id == two[0]) == [1, 2]


async def test_orders_chunk_450_ids_into_three_calls_any_order_missing_absent():
    sb = seeded(orders=450)
    ids = list(sb.orders)
    async with client_for(sb) as client:
        orders = await client.get_orders(reversed(ids + [5, 6]))
    assert set(orders) == set(ids)
    assert len(calls(sb, "/order-service/order/")) == 3
    order = orders[ids[0]]
    raw = sb.orders[ids[0]]
    assert order.channel_id == raw["assignment"]["current"]["channelId"]
    assert order.delivery.full_name == raw["parties"]["delivery"]["addressFullName"]
    assert len(order.rows) == len(raw["orderRows"])


async def test_unicode_and_bad_records_come_through_unchanged():
    sb = seeded()
    async with client_for(sb) as client:
        orders = await client.get_orders(sb.orders)
    names = {o.delivery.full_name for o in orders.values()}
    assert "Zoë Ångström" in names and "山田 太郎" in names
    assert any(o.delivery.line3 == "東京都" for o in orders.values())
    assert any(o.delivery.line1 == "" for o in orders.values())
    assert any(o.delivery.country_iso2 == "UK" for o in orders.values())
    assert any(o.delivery.country == "" for o in orders.values())


async def test_products_batched_by_50_with_weights_and_stock_flag():
    sb = seeded(orders=1)
    async with client_for(sb) as client:
        products = await client.get_products(sb.products)
    assert set(products) == set(sb.products) and len(products) > 40
    assert len(calls(sb, "/product-service/product/")) == 1
    assert any(not p.stock_tracked for p in products.values())
    assert all(p.weight and p.weight > 0 for p in products.values() if p.stock_tracked)
    assert products[1001].sku == "SKU-1001"


async def test_lookup_lists():
    sb = seeded(orders=1)
    async with client_for(sb) as client:
        channels = await client.list_channels()
        warehouses = await client.list_warehouses()
        methods = await client.list_shipping_methods()
        statuses = await client.list_order_statuses()
    assert len(channels) == 3 and len(warehouses) == 3
    assert {m.carrier for m in methods} >= {"Royal Mail", "DPD"}
    assert any(s.name == "Shipped" for s in statuses)
    assert "Zürich Lager" in {w.name for w in warehouses}


async def test_transfer_gon_has_order_zero_and_target_warehouse():
    sb = seeded()
    (transfer_id,) = [gid for gid, g in sb.gons.items() if g["orderId"] == 0]
    async with client_for(sb) as client:
        gon = (await client.get_goods_out_notes([transfer_id]))[transfer_id]
    assert gon.transfer and gon.order_id == 0 and gon.target_warehouse_id is not None
