"""``[shipstation] api_version``: "v1" when absent (existing files keep working), "v2" for one V2
key on api.shipstation.com; anything else is refused with the key named."""

from __future__ import annotations

import tomllib

import pytest

from bp_tui.config import config_from_dict, load_config, save_config
from bp_tui.errors import ConfigError

BP = {
    "account_code": "acme",
    "username": "ops@acme.example",
    "password": "pw",
    "staff_contact_id": 4,
}


def test_a_file_without_api_version_means_v1_at_the_v1_address(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        '[brightpearl]\naccount_code = "acme"\n[shipstation]\napi_key = "k"\napi_secret = "s"\n'
    )
    config = load_config(path, env={})
    assert config.shipstation.api_version == "v1"
    assert config.shipstation.api_base == "https://ssapi.shipstation.com"


def test_v2_with_the_default_base_url_talks_to_the_v2_address():
    config = config_from_dict(
        {"brightpearl": BP, "shipstation": {"api_version": "v2", "api_key": "k"}}
    )
    assert config.shipstation.api_base == "https://api.shipstation.com"
    config.shipstation.base_url = "https://ssapi.shipstation.com/"
    assert config.shipstation.api_base == "https://api.shipstation.com"


def test_v2_keeps_a_base_url_that_was_set_on_purpose():
    config = config_from_dict(
        {
            "brightpearl": BP,
            "shipstation": {
                "api_version": "v2",
                "api_key": "k",
                "base_url": "http://127.0.0.1:8787/shipstation/",
            },
        }
    )
    assert config.shipstation.api_base == "http://127.0.0.1:8787/shipstation"


def test_an_unknown_api_version_is_refused_naming_the_key():
    with pytest.raises(ConfigError) as info:
        config_from_dict({"brightpearl": BP, "shipstation": {"api_version": "v3"}}, source="cfg")
    assert 'cfg: shipstation.api_version: "v3" is not one of v1, v2' in str(info.value)


def test_a_v2_setup_needs_no_secret_but_a_v1_setup_does():
    v2 = config_from_dict({"brightpearl": BP, "shipstation": {"api_version": "v2", "api_key": "k"}})
    assert not [m for m in v2.missing_for_sync() if m.startswith("shipstation.")]
    v1 = config_from_dict({"brightpearl": BP, "shipstation": {"api_key": "k"}})
    assert [m for m in v1.missing_for_sync() if m.startswith("shipstation.")] == [
        'shipstation.api_secret: required with api_version = "v1" '
        "(or set BP_TUI_SHIPSTATION_API_SECRET)"
    ]
    assert [
        m
        for m in config_from_dict({"brightpearl": BP}).missing_for_sync()
        if m.startswith("shipstation.")
    ] == [
        "shipstation.api_key: required (or set BP_TUI_SHIPSTATION_API_KEY)",
        'shipstation.api_secret: required with api_version = "v1" '
        "(or set BP_TUI_SHIPSTATION_API_SECRET)",
    ]


def test_api_version_is_saved_and_read_back(tmp_path):
    path = tmp_path / "config.toml"
    config = config_from_dict(
        {"brightpearl": BP, "shipstation": {"api_version": "v2", "api_key": "k"}}
    )
    save_config(config, path)
    assert tomllib.loads(path.read_text())["shipstation"]["api_version"] == "v2"
    assert load_config(path, env={}).shipstation.api_version == "v2"
