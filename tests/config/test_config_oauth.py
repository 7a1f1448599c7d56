"""The OAuth keys of [brightpearl] (issue 15): auth = "oauth", dev_ref, client_secret (a secret,
also from the environment), oauth_url and redirect_uri (checked like every URL); a file without
``auth`` still means password."""

from __future__ import annotations

import pytest
import tomli_w

from bp_tui.config import Secret, config_from_dict, load_config, masked_toml, save_config
from bp_tui.errors import ConfigError

OAUTH = {
    "account_code": "acme",
    "auth": "oauth",
    "app_ref": "acme_bptui",
    "dev_ref": "acmedev",
    "client_secret": "cs-0123456789abcdef",
    "redirect_uri": "https://ops.acme.example/bp-callback",
}


def write(tmp_path, brightpearl: dict) -> object:
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps({"brightpearl": brightpearl}))
    return path


def test_an_oauth_config_loads_with_the_default_oauth_url(tmp_path):
    config = load_config(write(tmp_path, OAUTH), env={})
    bp = config.brightpearl
    assert (bp.auth, bp.app_ref, bp.dev_ref, bp.redirect_uri) == (
        "oauth",
        "acme_bptui",
        "acmedev",
        "https://ops.acme.example/bp-callback",
    )
    assert bp.oauth_url == "https://oauth.brightpearl.com"
    assert type(bp.client_secret) is Secret and "cs-0123456789abcdef" not in repr(config)
    assert bp.missing_for_oauth() == []
    assert not [
        m for m in config.missing_for_sync() if m.startswith("brightpearl.") and "oauth" in m
    ]


def test_a_config_without_auth_still_means_password(tmp_path):
    config = load_config(write(tmp_path, {"account_code": "acme"}), env={})
    assert config.brightpearl.auth == "password"


def test_the_client_secret_can_come_from_the_environment_and_is_never_written_or_shown(tmp_path):
    path = write(tmp_path, {**OAUTH, "client_secret": ""})
    config = load_config(path, env={"BP_TUI_BRIGHTPEARL_CLIENT_SECRET": "cs-from-env-42"})
    assert config.brightpearl.client_secret == "cs-from-env-42"
    shown = masked_toml(config)
    assert "cs-from-env-42" not in shown and "# from BP_TUI_BRIGHTPEARL_CLIENT_SECRET" in shown
    save_config(config, path)
    assert "cs-from-env-42" not in path.read_text()


def test_missing_oauth_keys_are_named_with_the_reason():
    config = config_from_dict({"brightpearl": {"account_code": "acme", "auth": "oauth"}})
    missing = "\n".join(config.missing_for_sync())
    for key in ("brightpearl.app_ref", "brightpearl.dev_ref", "brightpearl.redirect_uri"):
        assert f'{key}: required when auth = "oauth"' in missing
    assert "brightpearl.token" not in missing and "brightpearl.password" not in missing
    assert "brightpearl.client_secret" not in missing  # a public OAuth client has none


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("redirect_uri", "http://ops.acme.example/cb", "must use https"),
        ("redirect_uri", "https://user:pw@ops.acme.example/cb", "must not hold a user name"),
        ("oauth_url", "http://oauth.brightpearl.com", "must use https"),
        ("oauth_url", "oauth.brightpearl.com", "is not an http(s) URL"),
        ("auth", "bearer", "is not one of oauth, staff_token, password, account_token"),
        ("dev_ref", "acme dev", "printable ASCII without spaces"),
    ],
)
def test_bad_oauth_values_are_refused_naming_the_key(tmp_path, key, value, words):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, {**OAUTH, key: value}), env={})
    assert f"brightpearl.{key}: " in str(info.value) and words in str(info.value)


def test_a_loopback_http_redirect_uri_is_accepted():
    config = config_from_dict(
        {"brightpearl": {**OAUTH, "redirect_uri": "http://127.0.0.1:8976/callback"}}
    )
    assert config.brightpearl.redirect_uri == "http://127.0.0.1:8976/callback"
