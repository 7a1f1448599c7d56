"""doctor warns about settings that could bring finished notes back (issue 23): with
``shipped_action`` none or set_status, Brightpearl keeps listing confirmed notes as unshipped
for ``lookback_days``; a ``keep_days`` below that is a warning naming the setting to change."""

from __future__ import annotations

import pytest

from bp_tui.config import Config
from tests.sync.conftest import make_env


def settings(action: str, keep: int, lookback: int) -> Config:
    config = Config()
    config.brightpearl.shipped_action = action
    config.sync.keep_days, config.sync.lookback_days = keep, lookback
    return config


@pytest.mark.parametrize("action", ["none", "set_status"])
def test_keep_days_below_lookback_days_is_a_warning_naming_the_fix(action):
    text = settings(action, 7, 30).history_warning()
    assert text is not None
    assert "sync.keep_days (7) is below sync.lookback_days (30)" in text and f'"{action}"' in text
    assert "set sync.keep_days to at least 30" in text
    assert settings(action, 7, 30).sync.kept_days == 30  # what retention really keeps


@pytest.mark.parametrize(
    "action, keep, lookback",
    [
        ("none", 30, 30),
        ("set_status", 90, 30),
        ("mark_shipped", 7, 30),
        ("mark_shipped_and_set_status", 1, 365),
    ],
)
def test_safe_settings_are_not_warned_about(action, keep, lookback):
    config = settings(action, keep, lookback)
    assert config.history_warning() is None
    assert config.sync.kept_days == max(keep, lookback)


async def test_doctor_shows_the_warning_with_its_fix(tmp_path):
    env = make_env(
        tmp_path,
        orders=4,
        seed=2,
        config_overrides={
            "brightpearl": {"shipped_action": "none"},
            "sync": {"keep_days": 10, "lookback_days": 45},
        },
    )
    try:
        checks = {c.id: c for c in await env.connector.doctor()}
    finally:
        await env.aclose()
    history = checks["history"]
    assert history.ok and history.warning
    assert "sync.keep_days (10) is below sync.lookback_days (45)" in history.detail
    assert history.fix.startswith("set sync.keep_days to at least 45")
    safe = make_env(tmp_path / "safe", orders=4, seed=2)
    try:
        assert "history" not in {c.id for c in await safe.connector.doctor()}
    finally:
        await safe.aclose()
