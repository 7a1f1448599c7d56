"""Shared fixtures: every test runs with its own config/state paths and no secrets in env."""

from __future__ import annotations

import pytest

SECRET_ENV = (
    "BP_TUI_BRIGHTPEARL_PASSWORD",
    "BP_TUI_BRIGHTPEARL_TOKEN",
    "BP_TUI_BRIGHTPEARL_CLIENT_SECRET",
    "BP_TUI_SHIPSTATION_API_KEY",
    "BP_TUI_SHIPSTATION_API_SECRET",
    "BP_TUI_ALERTS_URLS",
    "BP_TUI_ALERTS_HEARTBEAT_URL",
)


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("BP_TUI_CONFIG", str(tmp_path / "cfg" / "config.toml"))
    monkeypatch.setenv("BP_TUI_STATE", str(tmp_path / "state" / "state.sqlite3"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("BP_TUI_PROFILE", raising=False)
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _shipstation_v2_contract(request, monkeypatch):
    """Every V2 sandbox app a test builds is wrapped in the contract check; a request the V2
    client sent, or an answer the sandbox gave, outside ShipStation's published contract fails
    the test at teardown. ``@pytest.mark.off_contract_requests``: the test sends requests
    outside it on purpose (only the sandbox's answers are held to it then)."""
    from bp_tui.sandbox.shipstation_v2 import app as v2app

    checks: list = []
    requests = request.node.get_closest_marker("off_contract_requests") is None

    def wrap(app):
        from tests.contract.shipstation_v2.check import ContractCheck

        check = ContractCheck(app, requests=requests)
        checks.append(check)
        return check

    monkeypatch.setattr(v2app, "APP_WRAPPERS", [wrap])
    yield checks
    found = [v for check in checks for v in check.violations]
    if found:
        shown = "\n".join(found[:20]) + (
            f"\n... and {len(found) - 20} more" if len(found) > 20 else ""
        )
        pytest.fail(
            f"{len(found)} request(s)/answer(s) outside ShipStation V2's contract:\n{shown}",
            pytrace=False,
        )
