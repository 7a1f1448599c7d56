import os
import stat
import tomllib

import pytest

from bp_tui.config import Config, config_from_dict, load_config, masked_toml, save_config
from bp_tui.errors import ConfigError

GOOD = """
[brightpearl]
datacenter = "use1"
account_code = "acme"
auth = "password"
username = "ops@acme.example"
password = "hunter2-bp-secret"
channel_ids = [1, 3]
import_when = "picked"
shipped_action = "mark_shipped_and_set_status"
shipped_status_id = 7
staff_contact_id = 4

[shipstation]
api_key = "ss-key-0123456789"
api_secret = "ss-secret-abcdef"
store_id = 518236

[sync]
interval_seconds = 60
"""


def write(tmp_path, text, name="config.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_values_and_defaults(tmp_path):
    cfg = load_config(write(tmp_path, GOOD), env={})
    assert cfg.brightpearl.account_code == "acme"
    assert cfg.brightpearl.channel_ids == [1, 3]
    assert cfg.brightpearl.import_when == "picked"
    assert cfg.shipstation.store_id == 518236
    assert cfg.products.weight_unit == "grams"  # default
    assert cfg.sync.lookback_days == 30  # default
    assert cfg.sync.keep_days == 90  # default
    assert cfg.missing_for_sync() == []


def test_keep_days_is_read_and_must_be_at_least_one(tmp_path):
    cfg = load_config(write(tmp_path, GOOD + "keep_days = 400\n"), env={})
    assert cfg.sync.keep_days == 400
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, GOOD + "keep_days = 0\n"), env={})
    assert "sync.keep_days" in str(info.value) and "at least 1" in str(info.value)


def test_max_cancels_defaults_to_3_and_is_bounded(tmp_path):
    assert load_config(write(tmp_path, GOOD), env={}).sync.max_cancels == 3
    assert load_config(write(tmp_path, GOOD + "max_cancels = 0\n"), env={}).sync.max_cancels == 0
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, GOOD + "max_cancels = -1\n"), env={})
    assert "sync.max_cancels" in str(info.value) and "at least 0" in str(info.value)


def test_integration_url_derived_when_empty(tmp_path):
    cfg = load_config(write(tmp_path, GOOD), env={})
    assert cfg.brightpearl.api_base == "https://use1.brightpearlconnect.com/public-api/acme"
    assert cfg.brightpearl.origin == "https://use1.brightpearlconnect.com"
    cfg.brightpearl.integration_url = "http://127.0.0.1:9000/public-api/acme/"
    assert cfg.brightpearl.api_base == "http://127.0.0.1:9000/public-api/acme"
    assert cfg.brightpearl.origin == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    "text, key, words",
    [
        (
            '[brightpearl]\naccount_code="a"\nchanel_ids=[1]\n',
            "brightpearl.chanel_ids",
            "did you mean channel_ids",
        ),
        ('[brightpearl]\naccount_code="a"\nchannel_ids="1,2"\n', "brightpearl.channel_ids", "list"),
        (
            '[brightpearl]\naccount_code="a"\nimport_when="shipped"\n',
            "brightpearl.import_when",
            "printed, picked, packed",
        ),
        (
            '[brightpearl]\naccount_code="a"\nstaff_contact_id="4"\n',
            "brightpearl.staff_contact_id",
            "whole number",
        ),
        (
            '[brightpearl]\naccount_code="a"\nadd_order_note=1\n',
            "brightpearl.add_order_note",
            "true or false",
        ),
        ('[brightpearl]\nusername="x"\n', "brightpearl.account_code", "missing required value"),
        ('[brightpearl]\naccount_code="a"\n[shipping]\nx=1\n', "shipping", "unknown section"),
        (
            '[brightpearl]\naccount_code="a"\n[sync]\ninterval_seconds=0\n',
            "sync.interval_seconds",
            "at least",
        ),
        (
            '[brightpearl]\naccount_code="a"\nchannel_ids=[1, -2]\n',
            "brightpearl.channel_ids",
            "positive",
        ),
        (
            '[brightpearl]\naccount_code="a"\nintegration_url="ftp://x"\n',
            "brightpearl.integration_url",
            "URL",
        ),
        ("brightpearl = 3\n", "brightpearl", "table"),
    ],
)
def test_bad_values_are_refused_naming_the_key(tmp_path, text, key, words):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert f"{path}: {key}:" in message
    assert words in message


def test_syntax_error_names_file(tmp_path):
    path = write(tmp_path, "[brightpearl\naccount_code = 'a'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(path) in str(info.value) and "TOML syntax" in str(info.value)


def test_save_is_0600_and_round_trips(tmp_path):
    cfg = load_config(write(tmp_path, GOOD), env={})
    out = tmp_path / "new" / "config.toml"
    save_config(cfg, out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    again = load_config(out, env={})
    assert again.as_dict() == cfg.as_dict()
    save_config(again, out)
    assert load_config(out, env={}).as_dict() == cfg.as_dict()
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_save_refuses_to_overwrite_a_broken_file(tmp_path):
    broken = write(tmp_path, "[brightpearl]\naccount_code = 'a'\nchanel_ids = [1]\n")
    before = broken.read_bytes()
    cfg = Config()
    cfg.brightpearl.account_code = "acme"
    with pytest.raises(ConfigError) as info:
        save_config(cfg, broken)
    assert "refusing to overwrite" in str(info.value)
    assert broken.read_bytes() == before


def test_env_secrets_override_and_are_not_saved(tmp_path):
    path = write(tmp_path, GOOD)
    cfg = load_config(path, env={"BP_TUI_SHIPSTATION_API_SECRET": "from-env-secret"})
    assert cfg.shipstation.api_secret == "from-env-secret"
    save_config(cfg, path)
    written = tomllib.loads(path.read_text())
    assert written["shipstation"]["api_secret"] == "ss-secret-abcdef"
    assert "from-env-secret" not in path.read_text()


def test_masked_toml_hides_every_secret(tmp_path):
    cfg = load_config(write(tmp_path, GOOD), env={"BP_TUI_BRIGHTPEARL_TOKEN": "tok-from-env-999"})
    text = masked_toml(cfg)
    for secret in (
        "hunter2-bp-secret",
        "ss-key-0123456789",
        "ss-secret-abcdef",
        "tok-from-env-999",
    ):
        assert secret not in text
    assert "********" in text
    assert "# from BP_TUI_BRIGHTPEARL_TOKEN" in text
    assert tomllib.loads(text)["brightpearl"]["account_code"] == "acme"


def test_missing_for_sync_names_keys():
    cfg = config_from_dict(
        {"brightpearl": {"account_code": "acme", "shipped_action": "set_status"}}
    )
    missing = "\n".join(cfg.missing_for_sync())
    assert "brightpearl.username" in missing
    assert "brightpearl.shipped_status_id" in missing
    assert "shipstation.api_key" in missing


@pytest.mark.parametrize(
    "text, key",
    [
        (
            '[brightpearl]\naccount_code="a"\npassword=["hunter2-in-a-list"]\n',
            "brightpearl.password",
        ),
        (
            '[brightpearl]\naccount_code="a"\n[shipstation]\napi_secret=12345678987\n',
            "shipstation.api_secret",
        ),
    ],
)
def test_error_about_a_secret_never_repeats_it(tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env={})
    message = str(info.value)
    assert key in message and "(value hidden)" in message
    assert "hunter2-in-a-list" not in message and "12345678987" not in message


@pytest.mark.parametrize(
    "text, key",
    [
        (
            '[brightpearl]\naccount_code="a"\nstaff_contact_id=99999999999999999999\n',
            "brightpearl.staff_contact_id",
        ),
        (
            '[brightpearl]\naccount_code="a"\nchannel_ids=[1, 3000000000]\n',
            "brightpearl.channel_ids",
        ),
        ('[brightpearl]\naccount_code="a"\n[sync]\nlookback_days=5000\n', "sync.lookback_days"),
    ],
)
def test_numbers_out_of_range_are_refused(tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env={})
    assert key in str(info.value)
