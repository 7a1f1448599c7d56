"""Usage and environment errors are one clear line and exit code 2, never a traceback (issue 12):
ids out of range, URLs and tokens that cannot go on the wire, a state that cannot be opened,
a config file others can read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from bp_tui.cli import main

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, BP_TUI_STATE=str(tmp_path / "state.sqlite3"))
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=env, timeout=60)


def write(tmp_path: Path, doc: dict, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(doc))
    path.chmod(mode)
    return path


# loopback addresses on a port nothing listens on: a config that got through would fail with
# exit 3 after trying to connect, not with exit 2
UNREACHABLE_BP = "http://127.0.0.1:9/public-api/acme"
UNREACHABLE_SS = "http://127.0.0.1:9"


def token_config(**brightpearl: object) -> dict:
    bp = {
        "account_code": "acme",
        "integration_url": UNREACHABLE_BP,
        "auth": "staff_token",
        "app_ref": "acme_app",
        "token": "tok-0123456789",
        "staff_contact_id": 1,
    }
    bp.update(brightpearl)
    return {
        "brightpearl": bp,
        "shipstation": {"api_key": "k-0123", "api_secret": "s-0123", "base_url": UNREACHABLE_SS},
    }


@pytest.mark.parametrize("ident", ["99999999999999999999", "-5", "0", "2147483648", "12abc", "1e3"])
def test_diagnose_refuses_an_id_out_of_range_with_exit_2(capsys, ident):
    with pytest.raises(SystemExit) as info:
        main(["diagnose", ident])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument id: must be a whole number from 1 to 2147483647" in err and ident in err


def test_diagnose_out_of_range_in_a_real_process_is_not_a_traceback(tmp_path):
    config = write(tmp_path, token_config())
    for ident in ("99999999999999999999", "-5"):
        result = run(tmp_path, "--config", str(config), "diagnose", ident)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "must be a whole number" in result.stderr
    assert not (tmp_path / "state.sqlite3").exists()


@pytest.mark.parametrize(
    "command", [["sync", "--once"], ["doctor"], ["diagnose", "1"], ["config", "show"]]
)
@pytest.mark.parametrize(
    "change, key",
    [
        ({"integration_url": UNREACHABLE_BP + "\n"}, "brightpearl.integration_url"),
        (
            {"integration_url": "http://127.0.0.1:9/public-api/acme\r\nX-Evil: 1"},
            "brightpearl.integration_url",
        ),
        ({"token": "tökén-0123456789"}, "brightpearl.token"),
        (
            {"integration_url": "http://ops:pw-in-url-9@127.0.0.1:9/public-api/acme"},
            "brightpearl.integration_url",
        ),
        # not loopback, so refused over http; were it let through, it would still stay on this
        # machine
        ({"integration_url": "http://0.0.0.0:9/public-api/acme"}, "brightpearl.integration_url"),
    ],
)
def test_urls_and_tokens_that_cannot_go_on_the_wire_are_config_errors(
    tmp_path, command, change, key
):
    config = write(tmp_path, token_config(**change))
    result = run(tmp_path, "--config", str(config), *command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {config}: {key}: ")
    assert "tökén" not in line and "pw-in-url-9" not in line


def test_a_state_that_cannot_be_created_is_one_line_and_exit_2(tmp_path):
    config = write(tmp_path, token_config())
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    for command in (["sync", "--once"], ["doctor"], ["diagnose", "5"], ["bundle", str(tmp_path)]):
        result = subprocess.run(
            [EXE, "--config", str(config), "--state", str(blocker / "state.sqlite3"), *command],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert (
            line.startswith("error: ")
            and str(blocker) in line
            and "cannot open the state database" in line
        )


def test_a_full_disk_when_creating_the_state_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    import errno

    config = write(tmp_path, token_config())
    real_open = os.open

    def full(path, flags, *args, **kwargs):
        if str(path).endswith("state.sqlite3") and flags & os.O_CREAT:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full)
    state = tmp_path / "s" / "state.sqlite3"
    assert main(["--config", str(config), "--state", str(state), "diagnose", "5"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {state}: cannot open the state database: No space left on device\n"


@pytest.mark.parametrize("command", [["doctor"], ["config", "show"], ["bundle"]])
def test_a_config_others_can_read_gets_a_warning_with_the_fix(
    tmp_path, monkeypatch, capsys, command
):
    monkeypatch.chdir(tmp_path)
    config = write(tmp_path, token_config(), mode=0o644)
    import bp_tui.cli.troubleshoot_cmd as troubleshoot_cmd

    class Quiet:
        async def doctor(self, on_check=None):
            return []

        async def aclose(self):
            pass

    if command == ["doctor"]:
        from bp_tui.cli.common import load

        def opened(args, **kwargs):
            load(
                args, **kwargs
            )  # loads the config (and warns) as the real one does; then no network
            return Quiet()

        monkeypatch.setattr(troubleshoot_cmd, "open_connector", opened)
    main(["--config", str(config), *command])
    err = capsys.readouterr().err
    assert f"warning: {config}: readable or writable by group and others (mode 0644)" in err
    assert f"fix: chmod 600 {config}" in err
    config.chmod(0o600)
    main(["--config", str(config), *command])
    assert "warning" not in capsys.readouterr().err


def test_a_full_disk_during_a_sync_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    import sqlite3

    from bp_tui.state.meta import Meta

    config = write(tmp_path, token_config())

    def full(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Meta, "start_run", full)  # the runs are the store's meta
    state = tmp_path / "s" / "state.sqlite3"
    assert main(["--config", str(config), "--state", str(state), "sync", "--once"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith(
        f"error: {state}: the state could not be written"
    )
    assert "database or disk is full" in err
