"""The config file on disk (issue 12): a warning when the group or others can read or write it,
and a ConfigError naming the file and the cause, never a traceback, when the disk fails a save."""

from __future__ import annotations

import errno
import os
import stat

import pytest
import tomli_w

from bp_tui.config import Config, config_from_dict, permission_warning, save_config
from bp_tui.errors import ConfigError

BASE = {"brightpearl": {"account_code": "acme"}}


# ---- the file's mode -----------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, who",
    [
        (0o644, "group and others"),
        (0o640, "group"),
        (0o606, "others"),
        (0o620, "group"),
        (0o666, "group and others"),
    ],
)
def test_a_config_open_to_group_or_others_gets_a_warning(tmp_path, mode, who):
    path = tmp_path / "my config.toml"
    path.write_text(tomli_w.dumps(BASE))
    os.chmod(path, mode)
    warning = permission_warning(path)
    assert warning is not None
    assert str(path) in warning and f"readable or writable by {who}" in warning
    assert f"chmod 600 '{path}'" in warning


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_a_private_config_gets_no_warning(tmp_path, mode):
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(BASE))
    os.chmod(path, mode)
    assert permission_warning(path) is None
    assert permission_warning(tmp_path / "absent.toml") is None


# ---- a failing disk ------------------------------------------------------------------


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("where", ["fsync", "replace", "mkstemp"])
def test_a_full_disk_while_saving_is_a_config_error_and_the_old_file_stays(
    tmp_path, monkeypatch, where
):
    path = tmp_path / "config.toml"
    save_config(config_from_dict(BASE), path)
    before = path.read_bytes()
    config = config_from_dict(BASE)
    config.sync.interval_seconds = 600
    if where == "mkstemp":
        import tempfile

        monkeypatch.setattr(tempfile, "mkstemp", _no_space)
    else:
        monkeypatch.setattr(os, where, _no_space)
    with pytest.raises(ConfigError) as info:
        save_config(config, path)
    monkeypatch.undo()
    (message,) = info.value.problems
    assert message.startswith(f"{path}: cannot write: No space left on device")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]  # no temp file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_folder_that_cannot_be_created_is_a_config_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot write"):
        save_config(config_from_dict(BASE), tmp_path / "file" / "config.toml")


def test_a_config_file_that_cannot_be_read_while_saving_is_a_config_error(tmp_path):
    path = tmp_path / "config.toml"
    path.mkdir()
    with pytest.raises(ConfigError, match=f"{path}: cannot read"):
        save_config(Config(), path)
