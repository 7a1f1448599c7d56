"""`bp-tui sandbox serve --ss-api v2`: the ShipStation side over HTTP through API V2, the printed
keys point a config at it, and /_sandbox/label buys a label for one shipment."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import httpx

from bp_tui.config import config_from_dict

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


def test_serve_v2_prints_v2_keys_and_serves_v2_only():
    proc = subprocess.Popen(
        [EXE, "sandbox", "serve", "--port", "0", "--orders", "4", "--ss-api", "v2"],
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
        base = text.split(" on ", 1)[1].split(" ", 1)[0]
        keys = tomllib.loads(text)
        ss = keys["shipstation"]
        assert ss["api_version"] == "v2" and "api_secret" not in ss
        assert ss["base_url"] == base + "/shipstation"
        config = config_from_dict({"brightpearl": {"account_code": "x"}, "shipstation": ss})
        assert config.shipstation.api_base == base + "/shipstation"
        assert any("API V2" in line for line in lines if line.startswith("#"))
        headers = {"api-key": ss["api_key"]}
        warehouses = httpx.get(ss["base_url"] + "/v2/warehouses", headers=headers)
        assert warehouses.status_code == 200 and warehouses.json()["warehouses"][0]["is_default"]
        made = httpx.post(
            ss["base_url"] + "/v2/shipments",
            headers=headers,
            json={
                "shipments": [
                    {
                        "external_shipment_id": "bp-x-gon-1",
                        "shipment_number": "1",
                        "warehouse_id": "se-524391",
                        "create_sales_order": True,
                        "ship_to": {"name": "A", "address_line1": "1 Rd", "country_code": "GB"},
                        "items": [{"name": "W", "quantity": 1}],
                    }
                ]
            },
        ).json()["shipments"][0]
        label = httpx.post(
            base + "/_sandbox/label",
            params={"shipment_id": made["shipment_id"], "tracking_number": "1ZV2"},
        ).json()["label"]
        assert label["shipment_id"] == made["shipment_id"] and label["label_id"].startswith("se-")
        labels = httpx.get(ss["base_url"] + "/v2/labels", headers=headers).json()["labels"]
        assert [(x["label_id"], x["tracking_number"]) for x in labels] == [
            (label["label_id"], "1ZV2")
        ]
        again = httpx.post(base + "/_sandbox/label", params={"shipment_id": made["shipment_id"]})
        assert again.status_code == 400 and "shipped" in again.json()["message"]
        assert (
            httpx.get(ss["base_url"] + "/stores", headers=headers).status_code == 404
        )  # no V1 on this one
        rate = httpx.get(ss["base_url"] + "/v2/labels", headers=headers)
        assert not [h for h in rate.headers if "rate-limit" in h]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_unknown_api_is_a_usage_error():
    done = subprocess.run(
        [EXE, "sandbox", "serve", "--port", "0", "--ss-api", "v3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "v3" in done.stderr
