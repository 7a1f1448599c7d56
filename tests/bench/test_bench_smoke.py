"""The benchmark runs end to end at tiny sizes, so it cannot rot unnoticed."""

from __future__ import annotations

import json

from bench.__main__ import SECTIONS, main


def test_quick_bench_runs_and_meets_the_api_targets(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["--quick", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    printed = capsys.readouterr().out
    assert "| measure | result |" in printed
    # each section says which code it was measured on, and when
    assert set(results["measured"]) == set(SECTIONS)
    assert all(m["commit"] and m["at"][:2] == "20" for m in results["measured"].values())
    assert "Measured on " in printed and ", ".join(SECTIONS) in printed
    first, second = results["economy"]
    # the naive baseline was really run at the smallest size and matches its formula
    assert first["naive_measured"] == first["naive"] and first["naive_method"].startswith(
        "measured"
    )
    for e in (first, second):
        assert e["imported"] > 0 and e["ratio_floor"] <= 1.1
        assert sum(e["naive"].values()) > 5 * sum(e["calls"].values())
    for e in results[
        "economy_v2"
    ]:  # V2: creates + labels, voided labels, fulfillments, changed + warehouse
        assert e["ss_api"] == "v2" and e["imported"] > 0 and e["ratio_floor"] <= 1.1
        changed_pages = max(1, -(-e["ss_orders_changed"] // 500))
        assert e["floor"]["shipstation"] == -(-e["sent"] // 100) + 3 + changed_pages + 1
        assert e["calls"]["shipstation"] >= e["floor"]["shipstation"]
    assert [e["ss_api"] for k in ("quiet", "resend", "lost_state") for e in results[k]] == [
        "v1",
        "v2",
    ] * 3
    for e in results[
        "quiet"
    ]:  # a day of labels read by the first cycle, then one page of each list
        assert e["ok"] and e["calls"]["shipstation"] <= 4 < e["day_cycle_calls"]["shipstation"]
    for e in results["resend"]:
        assert e["ok"] and e["updated"] == e["applied_in_shipstation"] == e["edited"] == 20
        puts = e["requests"].get("PUT /v2/shipments/{id}", 0)
        assert puts == (20 if e["ss_api"] == "v2" else 0)  # V2 has no batch update: one PUT each
        if e["ss_api"] == "v1":
            assert e["requests"]["POST /orders/createorders"] == 1  # 20 re-sends in one upsert
    for e in results["lost_state"]:
        assert e["ok"] and e["duplicates"] == 0 and e["adopted"] == e["held_in_shipstation"] > 0
        assert e["calls"]["shipstation"] <= 4 + 2  # pages, not a look-up per note
    v2 = results["throughput_v2"]
    assert v2["ss_api"] == "v2" and v2["import"]["last_order_s"] is not None
    assert v2["sandbox_violations"] == {"brightpearl": 0, "shipstation": 0}
    limited = results["resend_v2_limited"]  # under V2's limit (scaled window): every edit arrives
    assert limited["updated"] == limited["applied_in_shipstation"] == 20 and limited["errors"] == 0
    assert 0 < limited["real_s"] <= limited["wall_x_scale_s"]
    imp = results["throughput"]["import"]
    assert imp["last_order_s"] is not None and imp["imported"] > 0
    assert results["throughput"]["sandbox_violations"] == {"brightpearl": 0, "shipstation": 0}
    assert all(c["cpu_s"] > 0 and c["imported"] > 0 for c in results["engine"]["cycles"])
    dash = results["dashboard"]
    assert dash["first_frame_s"]["max"] > 0 and dash["queue"]["presses"] == 25
    hist = results["history"]["after"]
    assert hist["notes"] == 2_000 and hist["first_frame_s"] > 0 and hist["search_s"] is not None
    assert hist["keys_during_sync_ms"]["n"] > 0 and hist["sync"]["confirmed"] > 0
    assert hist["sync"]["removed"] == 200  # the oldest tenth, exactly
    assert hist["retention"]["duration_s"] >= 0 and hist["bytes_per_100k"] > 0
