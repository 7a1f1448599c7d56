"""What real Brightpearl accounts do (issue 13): an account in its own time zone reads
offset-less date filters there (opt-in), and staff contacts are found by contact-search."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from tests.brightpearl.helpers import fixture

BASE = "http://bp.test/public-api/demo"
WINTER = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # 06:00 in Chicago (CST, -06:00)
SUMMER = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # 07:00 in Chicago (CDT, -05:00)


def client(sb: BrightpearlSandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sb.app),
        base_url=BASE,
        headers={"brightpearl-app-ref": sb.app_ref, "brightpearl-staff-token": sb.staff_token},
    )


async def updated_since(sb: BrightpearlSandbox, value: str) -> list[int]:
    async with client(sb) as http:
        answer = await http.get(
            "/order-service/order-search", params={"updatedOn": value, "columns": "orderId"}
        )
    assert answer.status_code == 200, answer.text
    return [row[0] for row in answer.json()["response"]["results"]]


def account(zone: str | None) -> tuple[BrightpearlSandbox, int]:
    sb = BrightpearlSandbox(timezone=zone) if zone else BrightpearlSandbox()
    return sb, sb.add_order(rows=[(1001, 1)], placed_on=WINTER)


@pytest.mark.parametrize(
    "zone, offset_less, explicit",
    [
        (
            None,
            True,
            True,
        ),  # no time zone (the default, as before): 10:00 means 10:00Z, before 12:00Z
        ("America/Chicago", False, True),  # 10:00 Chicago is 16:00Z, after the order's 12:00Z
        ("UTC-6", False, True),
    ],
)
async def test_offset_less_filters_are_read_in_the_accounts_zone(zone, offset_less, explicit):
    sb, order_id = account(zone)
    assert (await updated_since(sb, "2026-01-01T10:00:00/") == [order_id]) is offset_less
    assert (await updated_since(sb, "2026-01-01T10:00:00Z/") == [order_id]) is explicit
    assert (
        await updated_since(sb, "2026-01-01T05:00:00-06:00/") == [order_id]
    ) is explicit  # 11:00Z
    assert await updated_since(sb, "2026-01-01T07:00:00-06:00/") == []  # 13:00Z, after the order
    assert await updated_since(sb, "/2026-01-01T12:30:00+00:00") == [order_id]


async def test_summer_time_moves_the_offset_of_a_named_zone():
    sb = BrightpearlSandbox(timezone="America/Chicago")
    order_id = sb.add_order(rows=[(1001, 1)], placed_on=SUMMER)
    assert sb.orders[order_id]["placedOn"] == "2026-07-01T07:00:00.000-05:00"
    assert await updated_since(sb, "2026-07-01T06:30:00/") == [order_id]  # 11:30Z
    assert await updated_since(sb, "2026-07-01T07:30:00/") == []  # 12:30Z
    winter_id = sb.add_order(rows=[(1001, 1)], placed_on=WINTER)
    assert sb.orders[winter_id]["placedOn"] == "2026-01-01T06:00:00.000-06:00"


async def test_answers_carry_the_accounts_offset_and_the_default_stays_fixed():
    default, order_id = account(None)
    assert default.orders[order_id]["placedOn"] == "2026-01-01T06:00:00.000-06:00"
    tokyo = BrightpearlSandbox(timezone="Asia/Tokyo")
    tokyo_order = tokyo.add_order(rows=[(1001, 1)], placed_on=WINTER)
    gon = tokyo.add_gon(tokyo_order, state="printed", created_on=WINTER)
    assert tokyo.orders[tokyo_order]["placedOn"] == "2026-01-01T21:00:00.000+09:00"
    assert tokyo.gons[gon]["createdOn"] == "2026-01-01T21:00:00.000+09:00"
    async with client(tokyo) as http:
        found = await http.get(
            "/warehouse-service/goods-note/goods-out-search",
            params={"createdOn": "2026-01-01T20:59:00/2026-01-01T21:01:00"},
        )
    assert [row[0] for row in found.json()["response"]["results"]] == [gon]


async def test_events_without_an_offset_happen_in_the_accounts_zone():
    sb = BrightpearlSandbox(timezone="America/Chicago")
    gon = sb.add_gon(sb.add_order(rows=[(1001, 1)]), state="printed")
    event = {
        "events": [{"eventCode": "SHW", "occured": "2026-01-05T09:30:00", "eventOwnerId": 203}]
    }
    async with client(sb) as http:
        answer = await http.post(f"/warehouse-service/goods-note/goods-out/{gon}/event", json=event)
    assert answer.status_code == 200
    assert (
        sb.gons[gon]["status"]["shippedOn"] == "2026-01-05T09:30:00.000-06:00"
    )  # 15:30Z, not 09:30Z


async def test_the_zone_can_be_switched_and_a_bad_one_is_refused():
    sb, order_id = account(None)
    sb.set_timezone("America/Chicago")
    assert (
        sb.timezone_name == "America/Chicago"
        and await updated_since(sb, "2026-01-01T10:00:00/") == []
    )
    sb.set_timezone(None)
    assert sb.zone is None and await updated_since(sb, "2026-01-01T10:00:00/") == [order_id]
    for bad in ("Mars/Olympus", "UTC+25"):
        with pytest.raises(ValueError, match="time zone"):
            sb.set_timezone(bad)
    with pytest.raises(ValueError):
        BrightpearlSandbox(timezone="Nowhere/Town")
    assert sb.stamp(WINTER) == "2026-01-01T06:00:00.000-06:00"
    assert sb.parse_time("2026-01-01T06:00:00") == datetime(2026, 1, 1, 6, tzinfo=UTC)


# ---- contact-search ---------------------------------------------------------------------------


async def contacts(sb: BrightpearlSandbox, **params: str) -> tuple[list[str], list[list]]:
    async with client(sb) as http:
        answer = await http.get("/contact-service/contact-search", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    recorded = fixture("order_search.json")
    assert set(body) == set(recorded) and set(body["response"]) == set(recorded["response"])
    assert set(body["response"]["metaData"]) == set(recorded["response"]["metaData"])
    assert set(body["response"]["metaData"]["columns"][0]) == set(
        recorded["response"]["metaData"]["columns"][0]
    )
    return [c["name"] for c in body["response"]["metaData"]["columns"]], body["response"]["results"]


async def test_contact_search_finds_staff_with_names_and_emails():
    sb = BrightpearlSandbox()
    sb.add_order(rows=[(1001, 1)], contact_id=300)
    names, rows = await contacts(sb, isStaff="true")
    assert names[:10] == [
        "contactId",
        "primaryEmail",
        "secondaryEmail",
        "tertiaryEmail",
        "firstName",
        "lastName",
        "isSupplier",
        "companyName",
        "isStaff",
        "isCustomer",
    ]
    staff = [dict(zip(names, row, strict=True)) for row in rows]
    assert [(s["contactId"], s["firstName"], s["lastName"], s["primaryEmail"]) for s in staff] == [
        (4, "Sam", "Picker", "sam.picker@demo.example"),
        (203, "Alex", "Admin", "alex.admin@demo.example"),
        (206, "Jo", "Ops", "jo.ops@demo.example"),
    ]
    assert all(s["isStaff"] and not s["isCustomer"] for s in staff)
    assert sb.staff_contact_id in [s["contactId"] for s in staff]


async def test_contact_search_filters_pages_and_new_staff():
    sb = BrightpearlSandbox()
    sb.add_order(rows=[(1001, 1)], contact_id=300)
    new_id = sb.add_staff("Kim Packer", "kim@demo.example")
    _, customers = await contacts(sb, isCustomer="true", columns="contactId,isStaff")
    assert customers == [[300, False]]
    _, by_email = await contacts(sb, primaryEmail="KIM@", columns="contactId,firstName")
    assert by_email == [[new_id, "Kim"]]
    names, first_page = await contacts(sb, isStaff="true", pageSize="2", sort="contactId|DESC")
    assert [row[0] for row in first_page] == [new_id, 206]
    gon = sb.add_gon(next(iter(sb.orders)), state="printed")
    event = {
        "events": [{"eventCode": "SHW", "occured": "2026-01-05T09:30:00Z", "eventOwnerId": new_id}]
    }
    async with client(sb) as http:
        shipped = await http.post(
            f"/warehouse-service/goods-note/goods-out/{gon}/event", json=event
        )
        bad = await http.get("/contact-service/contact-search", params={"isStaff": "yes"})
    assert shipped.status_code == 200
    assert bad.status_code == 500 and bad.json()["errors"][0]["code"] == "CMNC-018"
    with pytest.raises(ValueError):
        sb.add_staff("", "nobody")


async def test_contact_search_counts_against_the_rate_limit():
    clock = [0.0]
    sb = BrightpearlSandbox(rate_limit=1, window_s=60.0, clock=lambda: clock[0])
    async with client(sb) as http:
        first = await http.get("/contact-service/contact-search", params={"isStaff": "true"})
        second = await http.get("/contact-service/contact-search", params={"isStaff": "true"})
    assert first.headers["brightpearl-requests-remaining"] == "0"
    assert second.status_code == 503
    assert [entry[-1] for entry in sb.request_log] == [200, 503]
