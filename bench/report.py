"""The results as a plain-text table (also pasted into bench/README.md)."""

from __future__ import annotations

from typing import Any


def _row(name: str, value: str, target: str = "", ok: bool | None = None) -> str:
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    return f"| {name} | {value} | {target} | {mark} |"


def table(r: dict[str, Any]) -> str:
    out = ["| measure | result | target | |", "|---|---|---|---|"]
    for e in [*r.get("economy", []), *r.get("economy_v2", [])]:
        calls, floor, naive = e["calls"], e["floor"], e["naive"]
        api = " on ShipStation V2" if e.get("ss_api") == "v2" else ""
        out.append(
            _row(
                f"API calls, {e['eligible']:,} GONs (BP+SS){api}",
                f"{calls['brightpearl']}+{calls['shipstation']} vs floor "
                f"{floor['brightpearl']}+{floor['shipstation']} "
                f"= {e['ratio_floor']}x; naive "
                f"{naive['brightpearl']}+{naive['shipstation']} "
                f"({e['naive_method']}) "
                f"= {1 / e['ratio_naive']:.0f}x more",
                "<= 1.1x floor",
                e["ratio_floor"] <= 1.1,
            )
        )
    out += port_rows(r)
    for t in (r.get("throughput"), r.get("throughput_v2")):
        if not t:
            continue
        imp = t["import"]
        api = " V2" if t.get("ss_api") == "v2" else ""
        out.append(
            _row(
                f"{t['eligible']:,} printed GONs into ShipStation{api}, real limits, other app "
                f"{t['other_app_per_min']['brightpearl']}+{t['other_app_per_min']['shipstation']}/min",
                f"last order at {imp['last_order_s']} s (cycle {imp['cycle_s']} s, waited BP "
                f"{imp['bp_waited_s']} s / SS {imp['ss_waited_s']} s; "
                f"{imp['api_calls']['shipstation']} SS calls, "
                f"{t['sandbox_violations']['shipstation']} over the limit)",
                "<= 60 s",
                (imp["last_order_s"] or imp["cycle_s"]) <= 60,
            )
        )
        w = t["watch_latency_s"]
        out.append(
            _row(
                f"printed -> in ShipStation{api}, sync --watch every {t['interval_s']} s",
                f"average {w['average']} s, worst {w['worst']} s (steady "
                f"cycle {t['steady_cycle']['cycle_s']} s)",
            )
        )
    v = r.get("resend_v2_limited")
    if v:
        out.append(
            _row(
                f"re-send {v['edited']:,} edited GONs into ShipStation V2, its limit, other app "
                f"{v['other_app_per_min']['shipstation']}/min (window / {v['scale']:g})",
                f"{v['real_s'] / 60:.2f} min real (wall "
                f"{v['cycle_s']} s, of which the client waited "
                f"{v['ss_waited_s']} s, x {v['scale']:g}; wall x {v['scale']:g} = "
                f"{v['wall_x_scale_s'] / 60:.2f} min); {v['ss_calls']} SS calls, "
                f"{v['answered_429']} answered 429; "
                f"{v['applied_in_shipstation']:,} addresses changed",
            )
        )
    eng = r.get("engine")
    if eng:
        for c in eng["cycles"]:
            out.append(
                _row(
                    f"one cycle, {c['eligible']:,} GONs, limits off",
                    f"CPU {c['cpu_s']} s (engine {c['engine_cpu_s']} s, "
                    f"sandbox {c['sandbox_cpu_s']} s); "
                    f"peak RSS {c['peak_rss_mb']} MB (cycle added {c['cycle_rss_growth_mb']} MB)",
                    "<= 10 s CPU, <= 300 MB",
                    c["cpu_s"] <= 10 and c["cycle_rss_growth_mb"] <= 300,
                )
            )
        g = eng["growth"]
        out.append(
            _row(
                f"growth x{g['size_ratio']} GONs",
                f"CPU x{g['cpu_ratio']} (engine x{g['engine_cpu_ratio']})",
                "linear",
            )
        )
        for a in eng.get("alone", []):
            out.append(
                _row(
                    f"engine alone, {a['eligible']:,} GONs "
                    "(APIs in another process, loopback HTTP)",
                    f"CPU {a['engine_cpu_s']} s; whole-process peak RSS {a['peak_rss_mb']} MB; "
                    f"wall {a['wall_s']} s",
                    "<= 10 s CPU, <= 300 MB",
                    a["engine_cpu_s"] <= 10 and a["peak_rss_mb"] <= 300,
                )
            )
        tr = eng["traced"]
        out.append(
            _row(
                f"tracemalloc peak during the {tr['eligible']:,} cycle",
                f"{tr['traced_peak_mb']} MB (engine + in-process sandbox)",
            )
        )
    d = r.get("dashboard")
    if d:
        q = d["queue"]
        out.append(
            _row(
                "first frame of bp-tui demo (process start -> frame)",
                f"median {d['first_frame_s']['median']} s, max {d['first_frame_s']['max']} s",
                "<= 1.5 s",
                d["first_frame_s"]["max"] <= 1.5,
            )
        )
        k = q["key_latency_ms"]
        out.append(
            _row(
                f"key -> repaint, queue of {q['rows']:,} rows",
                f"median {k['median']} ms, p95 {k['p95']} ms, max {k['max']} ms "
                f"({q['presses_during_sync']}/{q['presses']} presses while the sync ran)",
                "<= 100 ms",
                k["p95"] <= 100,
            )
        )
        out.append(
            _row(
                f"dashboard memory with {q['rows']:,} rows",
                f"+{q['app_rows_mb']} MB RSS (process {q['rss_with_rows_mb']} MB incl. sandbox)",
            )
        )
    h = r.get("history")
    if h:
        out += history_rows(h)
    return "\n".join(out + measured_lines(r))


def measured_lines(r: dict[str, Any]) -> list[str]:
    """Which code each section's rows were measured on, and when (results.json's ``measured``)."""
    by_run: dict[tuple[str, str], list[str]] = {}
    for section, m in r.get("measured", {}).items():
        by_run.setdefault((m["commit"], m["at"][:10]), []).append(section)
    return [
        f"\nMeasured on {commit} ({day}): {', '.join(sections)}."
        for (commit, day), sections in sorted(by_run.items(), key=lambda kv: kv[0][1])
    ]


def _ss(e: dict[str, Any]) -> str:
    return "V2" if e["ss_api"] == "v2" else "V1"


def _requests(e: dict[str, Any]) -> str:
    return ", ".join(f"{n} {k}" for k, n in e["requests"].items())


def _vs_floor(e: dict[str, Any]) -> str:
    return (
        f"{e['calls']['shipstation']} SS calls vs floor "
        f"{e['floor_shipstation']} = {e['ratio_floor']}x"
    )


def port_rows(r: dict[str, Any]) -> list[str]:
    """The port's other cycles: quiet, re-sends, lost state file."""
    out = []
    for e in r.get("quiet", []):
        day = e["day_cycle_calls"]["shipstation"]
        out.append(
            _row(
                f"quiet cycle after a day of {e['labels_per_day']:,} labels "
                f"({e['imported']:,} GONs), ShipStation {_ss(e)}",
                f"{e['calls']['shipstation']} SS calls ({_requests(e)}); BP "
                f"{e['calls']['brightpearl']}; the first cycle, reading the day: {day} SS",
                f"<= {e['target']} SS calls",
                e["ok"],
            )
        )
    for e in r.get("resend", []):
        out.append(
            _row(
                f"re-send {e['edited']:,} edited GONs (of {e['notes']:,}), ShipStation {_ss(e)}",
                f"{_vs_floor(e)} ({_requests(e)}); {e['applied_in_shipstation']:,} addresses "
                f"changed in ShipStation; BP {e['calls']['brightpearl']}",
                "<= 1.1x floor",
                e["ok"],
            )
        )
    for e in r.get("lost_state", []):
        out.append(
            _row(
                f"lost state file, ShipStation {_ss(e)} "
                f"holding {e['held_in_shipstation']:,} orders",
                f"{e['duplicates']} duplicates; {e['adopted']:,} adopted; {_vs_floor(e)} "
                f"({_requests(e)}); BP {e['calls']['brightpearl']}",
                "0 duplicates, <= 1.1x floor",
                e["ok"],
            )
        )
    return out


def _keys(k: dict[str, Any] | None) -> str:
    return (
        "no key pressed"
        if not k
        else f"median {k['median']} ms, p95 {k['p95']} ms, max {k['max']} ms ({k['n']} keys)"
    )


def history_rows(h: dict[str, Any]) -> list[str]:
    """The history section: after (this code, N notes) and, when measured, before (DIR's code)."""
    out = []
    for when in ("before", "after"):
        m = h.get(when)
        if not m:
            continue
        tag = f"{when}, {m['notes']:,} notes"
        first, search, keys = m["first_frame_s"], m["search_s"], m["keys_during_sync_ms"]
        out.append(
            _row(
                f"history ({tag}): first frame of the queue (process start -> frame)",
                "never" if first is None else f"{first} s",
                "<= 2 s",
                first is not None and first <= 2,
            )
        )
        out.append(
            _row(
                f"history ({tag}): resident memory",
                f"{m['rss_after_first_frame_mb']} MB after the first "
                f"frame, peak {m['peak_rss_mb']} MB over the run",
                "<= 250 MB",
                m["peak_rss_mb"] <= 250,
            )
        )
        out.append(
            _row(
                f"history ({tag}): search one note by GON id (/, digits, Enter)",
                "not found"
                if search is None
                else f"{search} s (slowest key {m['search_slowest_key_s']} s)",
                "<= 1 s",
                search is not None and search <= 1,
            )
        )
        out.append(
            _row(
                f"history ({tag}): key -> repaint while a sync runs",
                _keys(keys)
                + (
                    f"; {m['keys_not_answered_in_30_s']} keys unanswered in 30 s"
                    if m["keys_not_answered_in_30_s"]
                    else ""
                ),
                "<= 100 ms",
                bool(keys) and keys["p95"] <= 100 and not m["keys_not_answered_in_30_s"],
            )
        )
        ret = m.get("retention")
        if ret:
            out.append(
                _row(
                    f"history ({tag}): retention of "
                    f"{m['sync']['removed']:,} expired notes at the end "
                    "of "
                    "the sync",
                    f"{ret['duration_s']} s; event loop held at most {ret['loop_held_max_ms']} ms; "
                    f"keys meanwhile: {_keys(ret['keys_ms'])}",
                    "<= 10 s, not blocking",
                    ret["duration_s"] <= 10 and ret["loop_held_max_ms"] <= 100,
                )
            )
        out.append(
            _row(
                f"history ({tag}): state file per 100,000 notes",
                f"{m['bytes_per_100k'] / 1e6:.0f} MB (built in "
                f"{m['build']['build_s']} s through the store)",
            )
        )
    return out
