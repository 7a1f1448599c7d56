"""Secrets are held in a str whose repr is a mask, however they are set (issue 12)."""

from __future__ import annotations

import dataclasses
import sys
import traceback

import tomli_w

from bp_tui.config import Secret, config_from_dict, load_config, save_config, secret_values
from bp_tui.config.model import BrightpearlSettings, ShipStationSettings
from bp_tui.config.schema import SECRET_KEYS

# ---- the Secret type -----------------------------------------------------------------


def test_secret_is_a_str_whose_repr_is_masked():
    secret = Secret("hunter2")
    assert isinstance(secret, str) and secret == "hunter2" and f"{secret}" == "hunter2"
    assert secret + "!" == "hunter2!" and secret.encode() == b"hunter2" and str(secret) == "hunter2"
    percent = "%r" % (secret,)  # noqa: UP031 (%-formatting is what is tested)
    assert (
        "hunter2" not in repr(secret)
        and "hunter2" not in f"{secret!r}"
        and "hunter2" not in percent
    )
    assert repr(Secret("")) == "''"


def test_every_secret_key_is_held_as_a_secret_however_it_is_set(tmp_path):
    assert {
        k.name for k in SECRET_KEYS if k.section == "brightpearl"
    } == BrightpearlSettings.SECRET_FIELDS
    assert {
        k.name for k in SECRET_KEYS if k.section == "shipstation"
    } == ShipStationSettings.SECRET_FIELDS
    path = tmp_path / "config.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "brightpearl": {
                    "account_code": "acme",
                    "password": "pw-from-file",
                    "token": "tok-from-file",
                },
                "shipstation": {"api_key": "key-from-file"},
            }
        )
    )
    config = load_config(path, env={"BP_TUI_SHIPSTATION_API_SECRET": "secret-from-env"})
    for key in SECRET_KEYS:
        assert type(config.get(key.dotted)) is Secret, key.dotted
    config.brightpearl.password = "typed-in-setup"  # as the setup screen does
    config.set("shipstation.api_key", "set-by-key")
    assert (
        type(config.brightpearl.password) is Secret and type(config.shipstation.api_key) is Secret
    )
    assert type(ShipStationSettings(api_key="k").api_key) is Secret
    shown = (
        repr(config)
        + repr(dataclasses.asdict(config))
        + repr(secret_values(config))
        + repr(config.env_overridden)
    )
    for value in (
        "pw-from-file",
        "tok-from-file",
        "key-from-file",
        "secret-from-env",
        "typed-in-setup",
        "set-by-key",
    ):
        assert value not in shown


def test_secrets_round_trip_through_the_file_unmasked(tmp_path):
    config = config_from_dict(
        {
            "brightpearl": {"account_code": "acme", "password": "pw-123"},
            "shipstation": {"api_key": "key-123", "api_secret": "sec-123"},
        }
    )
    path = tmp_path / "config.toml"
    save_config(config, path)
    text = path.read_text()
    assert 'password = "pw-123"' in text and 'api_key = "key-123"' in text
    assert load_config(path, env={}).shipstation.api_secret == "sec-123"


def _leaky(settings: BrightpearlSettings) -> None:
    password = settings.password  # noqa: F841 - a local that a traceback with locals shows
    raise RuntimeError("boom")


def test_a_traceback_with_locals_shows_no_secret():
    settings = BrightpearlSettings(
        account_code="acme", password="pw-in-a-traceback", token="tok-in-a-traceback"
    )
    try:
        _leaky(settings)
    except RuntimeError:
        text = "".join(traceback.TracebackException(*sys.exc_info(), capture_locals=True).format())
    assert "password = " in text
    assert "pw-in-a-traceback" not in text and "tok-in-a-traceback" not in text
