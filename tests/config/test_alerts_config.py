"""[alerts]: defaults, validation that never repeats a URL, secrets from the environment, masked
in every display."""

from __future__ import annotations

import pytest
import tomli_w

from bp_tui.config import MASK, config_from_dict, load_config, masked_toml, split_alert_urls
from bp_tui.config.model import AlertSettings, Secret
from bp_tui.errors import ConfigError

SLACK = "slack://T0AAAA/B0BBBB/SeCrEtToKeN123"


def test_defaults_are_sensible():
    alerts = config_from_dict({"brightpearl": {"account_code": "a"}}).alerts
    assert (alerts.urls, alerts.heartbeat_url) == ("", "")
    assert (
        alerts.stuck_minutes,
        alerts.connection_minutes,
        alerts.state_size_percent,
        alerts.max_per_hour,
    ) == (60, 15, 90, 10)


def test_urls_are_secrets_masked_everywhere(tmp_path):
    config = config_from_dict(
        {
            "brightpearl": {"account_code": "a"},
            "alerts": {"urls": f"{SLACK}, mailtos://user:pw@example.com"},
        }
    )
    assert type(config.alerts.urls) is Secret
    assert split_alert_urls(config.alerts.urls) == [SLACK, "mailtos://user:pw@example.com"]
    shown = masked_toml(config) + repr(config) + repr(AlertSettings(urls=SLACK))
    assert "SeCrEtToKeN123" not in shown and "pw@" not in shown and f'urls = "{MASK}"' in shown


def test_a_bad_url_is_named_by_position_never_shown():
    with pytest.raises(ConfigError) as info:
        config_from_dict(
            {"brightpearl": {"account_code": "a"}, "alerts": {"urls": f"{SLACK} not-a-url-SeCrEt"}}
        )
    assert "alerts.urls: URL 2 is not an Apprise URL" in str(info.value)
    assert "SeCrEt" not in str(info.value)
    with pytest.raises(ConfigError, match="max_per_hour: must be at least 1"):
        config_from_dict({"brightpearl": {"account_code": "a"}, "alerts": {"max_per_hour": 0}})
    with pytest.raises(ConfigError, match="heartbeat_url") as info:
        config_from_dict(
            {
                "brightpearl": {"account_code": "a"},
                "alerts": {"heartbeat_url": "http://hc-ping.example.com/uuid-SeCrEt"},
            }
        )
    assert "SeCrEt" not in str(info.value)


def test_secrets_come_from_the_environment_and_are_not_written_back(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps({"brightpearl": {"account_code": "a"}}))
    config = load_config(
        path,
        env={
            "BP_TUI_ALERTS_URLS": SLACK,
            "BP_TUI_ALERTS_HEARTBEAT_URL": "https://hc-ping.com/abc-123",
        },
    )
    assert (
        config.alerts.urls == SLACK and config.alerts.heartbeat_url == "https://hc-ping.com/abc-123"
    )
    assert "# from BP_TUI_ALERTS_URLS" in masked_toml(config) and "SeCrEt" not in masked_toml(
        config
    )
