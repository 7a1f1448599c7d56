import os
import subprocess
import sys

import pytest

from bp_tui import __version__
from bp_tui.cli import main

CONFIG = """
[brightpearl]
account_code = "acme"
username = "ops@acme.example"
password = "pw-very-secret-1"

[shipstation]
api_key = "key-very-secret-2"
api_secret = "secret-very-secret-3"
"""


def test_config_path_honours_option_and_env(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BP_TUI_CONFIG", str(tmp_path / "env.toml"))
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "env.toml")
    assert main(["--config", str(tmp_path / "opt.toml"), "config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "opt.toml")


def test_config_path_default_is_platformdirs(capsys, monkeypatch):
    monkeypatch.delenv("BP_TUI_CONFIG")
    import platformdirs

    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(
        platformdirs.user_config_path("bp-tui") / "config.toml"
    )


def test_config_show_masks_secrets(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG)
    assert main(["--config", str(path), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "acme" in out
    for secret in ("pw-very-secret-1", "key-very-secret-2", "secret-very-secret-3"):
        assert secret not in out


@pytest.mark.parametrize(
    "extra, key",
    [
        ("chanel_ids = [1]", "brightpearl.chanel_ids"),
        ('channel_ids = "1"', "brightpearl.channel_ids"),
        ('import_when = "shipped"', "brightpearl.import_when"),
    ],
)
def test_config_show_bad_file_exits_2_naming_key(tmp_path, capsys, extra, key):
    path = tmp_path / "c.toml"
    path.write_text(CONFIG.replace('account_code = "acme"', f'account_code = "acme"\n{extra}'))
    assert main(["--config", str(path), "config", "show"]) == 2
    err = capsys.readouterr().err
    assert key in err
    assert "pw-very-secret-1" not in err


def test_version_and_help_via_entry_point():
    exe = os.path.join(os.path.dirname(sys.executable), "bp-tui")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"bp-tui {__version__}"
    help_text = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True).stdout
    assert "config" in help_text and "--state" in help_text
