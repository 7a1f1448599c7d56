"""Staff contacts for setup's staff-contact picker: ``contact-search?isStaff=true`` (the generic
search envelope: rows zipped with ``metaData.columns``, every page)."""

from __future__ import annotations

import httpx
import pytest

from bp_tui.brightpearl.client import BrightpearlClient
from bp_tui.config.model import BrightpearlSettings
from bp_tui.errors import ApiUnavailable
from tests.brightpearl.helpers import client_for, seeded


def searches(sb):
    return [
        entry
        for entry in sb.request_log
        if entry[1] == "GET" and "/contact-service/contact-search" in entry[2]
    ]


async def test_staff_are_the_staff_contacts_only_with_name_and_email():
    sb = seeded(orders=6)
    async with client_for(sb) as client:
        staff = await client.list_staff()
    assert [(c.id, c.name, c.email) for c in staff] == [
        (4, "Sam Picker", "sam.picker@demo.example"),
        (203, "Alex Admin", "alex.admin@demo.example"),
        (206, "Jo Ops", sb.staff_emails[206]),
    ]
    customers = {o["parties"]["customer"]["contactId"] for o in sb.orders.values()}
    assert customers and not customers & {c.id for c in staff}  # the sandbox serves customers too
    assert len(searches(sb)) == 1


async def test_every_page_is_read():
    sb = seeded(orders=0)
    added = {sb.add_staff(f"Picker {n}", f"picker{n}@demo.example") for n in range(600)}
    async with client_for(sb) as client:
        staff = await client.list_staff()
    assert added <= {c.id for c in staff} and len(staff) == len(sb.staff) == 603
    assert len(searches(sb)) == 2


async def test_rows_are_zipped_with_the_columns_the_answer_names():
    """The answer's column order is the one that counts, not the order asked for."""
    columns = [
        {"name": n} for n in ("primaryEmail", "contactId", "isStaff", "lastName", "firstName")
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["isStaff"] == "true"
        body = {
            "response": {
                "results": [["kim@acme.example", 12, True, "Lee", "Kim"], [None, 0, True, "", ""]],
                "metaData": {"morePagesAvailable": False, "columns": columns},
            },
            "reference": {},
        }
        return httpx.Response(200, json=body)

    settings = BrightpearlSettings(
        account_code="x",
        integration_url="http://bp.test/public-api/x",
        auth="staff_token",
        app_ref="x_app",
        token="tok",
    )
    async with BrightpearlClient(settings, transport=httpx.MockTransport(answer)) as client:
        staff = await client.list_staff()
    assert [(c.id, c.first_name, c.last_name, c.email) for c in staff] == [
        (12, "Kim", "Lee", "kim@acme.example")
    ]


async def test_an_answer_that_is_not_a_search_result_is_an_error_not_no_staff():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"response": {"results": [[4, "Sam", "Picker"]]}}
        )  # no metaData

    settings = BrightpearlSettings(
        account_code="x",
        integration_url="http://bp.test/public-api/x",
        auth="staff_token",
        app_ref="x_app",
        token="tok",
    )
    async with BrightpearlClient(settings, transport=httpx.MockTransport(answer)) as client:
        with pytest.raises(ApiUnavailable, match="not a search result"):
            await client.list_staff()
