"""`bp-tui sandbox serve` switches the opt-in behaviours on by flag; without them it is as
before."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC

import httpx

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


@contextmanager
def serve(*extra: str, orders: int = 6) -> Iterator[tuple[str, dict, list[str]]]:
    """The served base URL, the printed TOML keys and the printed comment lines."""
    proc = subprocess.Popen(
        [
            EXE,
            "sandbox",
            "serve",
            "--port",
            "0",
            "--orders",
            str(orders),
            "--bp-limit",
            "100000",
            "--ss-limit",
            "100000",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("store_id"):
                break
        text = "".join(lines)
        assert "[brightpearl]" in text, (
            text,
            proc.stderr.read() if proc.poll() is not None else "",
        )
        base = text.split(" on ", 1)[1].split(" ", 1)[0]
        yield base, tomllib.loads(text), [line for line in lines if line.startswith("#")]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def ss_get(keys: dict, path: str) -> httpx.Response:
    ss = keys["shipstation"]
    return httpx.get(
        ss["base_url"] + path, auth=(ss["api_key"], ss["api_secret"]), follow_redirects=False
    )


def test_gateway_fault_kinds_are_selected_by_name_and_counted():
    with serve("--faults", "1", "--fault-kinds", "html,redirect") as (base, keys, comments):
        answers = [ss_get(keys, "/carriers") for _ in range(12)]
        counts = httpx.get(base + "/_sandbox/tally").json()["faults"]["shipstation"]
    assert {a.status_code for a in answers} == {200, 302}
    assert all(
        a.headers["content-type"].startswith("text/html") for a in answers if a.status_code == 200
    )
    assert all(
        a.headers["location"].startswith("https://") for a in answers if a.status_code == 302
    )
    assert set(counts) == {"html", "redirect"} and sum(counts.values()) == 12
    assert any(line.startswith("# faults:") for line in comments)


def test_an_unknown_fault_kind_is_a_usage_error():
    done = subprocess.run(
        [
            EXE,
            "sandbox",
            "serve",
            "--port",
            "0",
            "--orders",
            "0",
            "--faults",
            "0.5",
            "--fault-kinds",
            "html,gremlins",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "gremlins" in done.stderr and "wrong_shape" in done.stderr


def bp_token(keys: dict) -> dict[str, str]:
    bp = keys["brightpearl"]
    origin = bp["integration_url"].split("/public-api/")[0]
    token = httpx.post(
        f"{origin}/{bp['account_code']}/authorise",
        json={
            "apiAccountCredentials": {"emailAddress": bp["username"], "password": bp["password"]}
        },
    ).json()["response"]
    return {"brightpearl-auth": token}


def offset_less_filter_finds(keys: dict) -> bool:
    """Whether ``updatedOn=<an order's own UTC time, without offset>/`` finds that order."""
    from datetime import datetime

    base, headers = keys["brightpearl"]["integration_url"], bp_token(keys)
    search = httpx.get(
        f"{base}/order-service/order-search",
        headers=headers,
        params={"columns": "orderId,updatedOn", "pageSize": "1"},
    ).json()
    order_id, updated = search["response"]["results"][0]
    utc = datetime.fromisoformat(updated).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    found = httpx.get(
        f"{base}/order-service/order-search",
        headers=headers,
        params={"columns": "orderId", "updatedOn": f"{utc}/", "orderId": str(order_id)},
    ).json()
    return [row[0] for row in found["response"]["results"]] == [order_id]


def test_without_the_new_flags_serve_is_as_before():
    with serve() as (base, keys, comments):
        labels = httpx.post(base + "/_sandbox/labels?count=1").json()
        assert offset_less_filter_finds(keys)  # offset-less = UTC
    assert len(comments) == 1 and comments[0].startswith("# bp-tui sandbox on ")
    assert set(labels) == {"labels"}
    assert set(keys) == {"brightpearl", "shipstation"}


def test_bp_timezone_makes_the_account_read_offset_less_filters_in_its_zone():
    with serve("--bp-timezone", "America/Chicago") as (base, keys, comments):
        assert not offset_less_filter_finds(keys)  # the same text now means six hours later
    assert any("America/Chicago" in line for line in comments)
    bad = subprocess.run(
        [EXE, "sandbox", "serve", "--port", "0", "--orders", "0", "--bp-timezone", "Mars/Base"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--bp-timezone" in bad.stderr


def test_real_world_labels_also_bring_what_shipstation_users_do():
    with serve("--real-world", orders=40) as (base, keys, comments):
        ss = keys["shipstation"]
        for key in range(30):  # open orders to act on, as an import would have made
            httpx.post(
                ss["base_url"] + "/orders/createorders",
                auth=(ss["api_key"], ss["api_secret"]),
                json=[
                    {
                        "orderKey": f"bp-demo-gon-{key}",
                        "orderNumber": str(key),
                        "orderDate": "2026-03-01 10:00:00",
                        "orderStatus": "awaiting_shipment",
                        "billTo": {"name": "A"},
                        "shipTo": {
                            "name": "A",
                            "street1": "1 St",
                            "city": "X",
                            "postalCode": "1",
                            "country": "GB",
                        },
                        "items": [{"sku": "S", "name": "N", "quantity": 2}],
                    }
                ],
            )
        events = []
        for _ in range(10):
            answer = httpx.post(base + "/_sandbox/labels?count=2").json()
            events += answer["events"]
        counts = httpx.get(base + "/_sandbox/tally").json()
    assert {e["event"] for e in events} >= {"split", "merge"}
    assert (
        counts["split_parts"] >= 1
        and counts["merged_away"] >= 1
        and counts["duplicate_orders"] == []
    )
    assert any(line.startswith("# real world") for line in comments)
