"""Config files broken in more ways than tests/config covers: each refused naming file, key and
reason, and never replaced."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bp_tui.config import load_config
from bp_tui.errors import ConfigError

H = '[brightpearl]\naccount_code="a"\n'
EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")

CASES = [
    ("empty file", "", "brightpearl.account_code", "missing required value"),
    ("duplicate key", H + 'account_code="b"\n', "TOML syntax", "Cannot overwrite a value"),
    ("negative store", H + "[shipstation]\nstore_id=-1\n", "shipstation.store_id", "at least 0"),
    (
        "base_url not a URL",
        H + '[shipstation]\nbase_url="not a url"\n',
        "shipstation.base_url",
        "http(s) URL",
    ),
    (
        "unknown auth",
        H + 'auth="bearer"\n',
        "brightpearl.auth",
        "oauth, staff_token, password, account_token",
    ),
    (
        "weight unit",
        H + '[products]\nweight_unit="kg"\n',
        "products.weight_unit",
        "grams, ounces, pounds",
    ),
    ("number as string", H + '[sync]\nlookback_days="30"\n', "sync.lookback_days", "whole number"),
    (
        "interval too short",
        H + "[sync]\ninterval_seconds=5\n",
        "sync.interval_seconds",
        "at least 10",
    ),
    (
        "float id",
        H + "warehouse_ids=[1.5]\n",
        "brightpearl.warehouse_ids",
        "positive whole-number ids",
    ),
    ("unknown action", H + 'shipped_action="ship"\n', "brightpearl.shipped_action", "mark_shipped"),
    (
        "typo in [sync]",
        H + "[sync]\nintervals=3\n",
        "sync.intervals",
        "did you mean interval_seconds",
    ),
    ("number for a string", H + "datacenter=7\n", "brightpearl.datacenter", "must be a string"),
    (
        "yes for a boolean",
        H + '[shipstation]\nnotify_customer="yes"\n',
        "shipstation.notify_customer",
        "true or false",
    ),
    ("array of tables", '[[brightpearl]]\naccount_code="a"\n', "brightpearl", "not a list"),
    (
        "boolean for an id",
        H + "shipped_status_id=true\n",
        "brightpearl.shipped_status_id",
        "whole number",
    ),
    ("NUL byte", H + 'username="a\x00b"\n', "TOML syntax", "Illegal character"),
    (
        "date for a number",
        H + "[sync]\ninterval_seconds=2024-01-01\n",
        "sync.interval_seconds",
        "whole number",
    ),
    ("key outside a section", 'account_code="a"\n' + H, "account_code", "unknown section"),
    ("lookback zero", H + "[sync]\nlookback_days=0\n", "sync.lookback_days", "at least 1"),
    ("byte-order mark", "\ufeff" + H, "TOML syntax", "line 1"),
]


@pytest.mark.parametrize("name, text, key, words", CASES, ids=[c[0] for c in CASES])
def test_broken_config_is_refused_naming_key_and_reason(tmp_path, name, text, key, words):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert f"{path}: {key}" in message and words in message
    assert path.read_text() == text  # never replaced


def test_not_utf8_and_a_directory_are_refused(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'[brightpearl]\naccount_code="caf\xe9"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path, env={})
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path, env={})


@pytest.mark.parametrize("command", [["sync", "--once"], ["doctor"], ["diagnose", "1"]])
def test_cli_exits_2_on_a_broken_file_and_leaves_it(tmp_path, command):
    path = tmp_path / "config.toml"
    text = H + '[shipstation]\nnotify_customer="yes"\n'
    path.write_text(text)
    result = subprocess.run(
        [EXE, "--config", str(path), *command],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, BP_TUI_STATE=str(tmp_path / "s.sqlite3")),
    )
    assert result.returncode == 2, result.stderr
    assert "shipstation.notify_customer" in result.stderr and "Traceback" not in result.stderr
    assert path.read_text() == text
