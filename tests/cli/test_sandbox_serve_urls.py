"""The keys `bp-tui sandbox serve` prints are accepted by the config's URL rules (issue 12)."""

from __future__ import annotations

from bp_tui.cli.sandbox_cmd import client_base
from bp_tui.config import url_problem


def test_a_loopback_listener_keeps_its_address():
    assert client_base("127.0.0.1", 8787) == "http://127.0.0.1:8787"
    assert url_problem(client_base("127.0.0.1", 8787) + "/public-api/demo") is None


def test_a_listener_on_every_interface_is_reached_on_loopback():
    base = client_base("0.0.0.0", 8787)
    assert base == "http://127.0.0.1:8787"
    assert url_problem(base + "/shipstation") is None
