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
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
