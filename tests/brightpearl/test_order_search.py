from datetime import UTC, datetime, timedelta

import httpx

from tests.brightpearl.helpers import client_for, seeded


async def test_search_updated_orders_finds_only_edited_orders():
    sb = seeded(orders=30)
    since = datetime.now(UTC) - timedelta(seconds=2)
    edited = sorted(sb.orders)[:2]
    for order_id in edited:
        sb.update_order(order_id, delivery={"addressLine1": "1 New Street"})
    async with client_for(sb) as client:
        assert await client.search_updated_orders(since) == edited


async def test_order_search_columns_and_envelope():
    sb = seeded(orders=5)
    async with client_for(sb) as client:
        await client.authenticate()
        token = client._creds.headers()  # noqa: SLF001 (the test needs a logged-in request)
    transport = httpx.ASGITransport(app=sb.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bp") as http:
        answer = await http.get(
            "/public-api/demo/order-service/order-search",
            params={"columns": "orderId,updatedOn"},
            headers=token,
        )
    body = answer.json()
    assert [c["name"] for c in body["response"]["metaData"]["columns"]] == ["orderId", "updatedOn"]
    assert all(len(row) == 2 for row in body["response"]["results"])
    assert "reference" in body


async def test_date_filters_carry_z_so_an_account_in_its_own_zone_misses_no_edit():
    """An account in UTC-6 reads an offset-less time as its own wall time (6 h later in UTC):
    the filters say ``Z``, so an edit made a second after ``since`` is still found."""
    sb = seeded(orders=10, timezone="UTC-6")
    since = datetime.now(UTC) - timedelta(seconds=1)
    edited = sorted(sb.orders)[3]
    sb.update_order(edited, delivery={"addressLine1": "2 Late Lane"})
    new_order = sb.add_order(rows=[(min(sb.products), 1)])
    fresh = sb.add_gon(new_order, state="printed")
    async with client_for(sb) as client:
        assert await client.search_updated_orders(since) == [edited, new_order]
        found = await client.search_goods_out(created_after=since)
    assert [row.goods_out_note_id for row in found] == [fresh]
