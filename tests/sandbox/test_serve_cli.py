"""`bp-tui sandbox serve` switches the opt-in behaviours on by flag; without them it is as before."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


@contextmanager
def serve(*extra: str, orders: int = 6) -> Iterator[tuple[str, dict, list[str]]]:
    """The served base URL, the printed TOML keys and the printed comment lines."""
    proc = subprocess.Popen(
        [EXE, "sandbox", "serve", "--port", "0", "--orders", str(orders), "--bp-limit", "100000",
         "--ss-limit", "100000", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("store_id"):
                break
        text = "".join(lines)
        assert "[brightpearl]" in text, (text, proc.stderr.read() if proc.poll() is not None else "")
        base = text.split(" on ", 1)[1].split(" ", 1)[0]
        yield base, tomllib.loads(text), [line for line in lines if line.startswith("#")]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def ss_get(keys: dict, path: str) -> httpx.Response:
    ss = keys["shipstation"]
    return httpx.get(ss["base_url"] + path, auth=(ss["api_key"], ss["api_secret"]), follow_redirects=False)


def test_gateway_fault_kinds_are_selected_by_name_and_counted():
    with serve("--faults", "1", "--fault-kinds", "html,redirect") as (base, keys, comments):
        answers = [ss_get(keys, "/carriers") for _ in range(12)]
        counts = httpx.get(base + "/_sandbox/tally").json()["faults"]["shipstation"]
    assert {a.status_code for a in answers} == {200, 302}
    assert all(a.headers["content-type"].startswith("text/html") for a in answers if a.status_code == 200)
    assert all(a.headers["location"].startswith("https://") for a in answers if a.status_code == 302)
    assert set(counts) == {"html", "redirect"} and sum(counts.values()) == 12
    assert any(line.startswith("# faults:") for line in comments)


def test_an_unknown_fault_kind_is_a_usage_error():
    done = subprocess.run([EXE, "sandbox", "serve", "--port", "0", "--orders", "0", "--faults", "0.5",
                           "--fault-kinds", "html,gremlins"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "gremlins" in done.stderr and "wrong_shape" in done.stderr
