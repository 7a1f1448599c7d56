"""`--profile`, `BP_TUI_PROFILE` and `bp-tui profiles list|add|rename|remove`; one profile's
commands reach only its files; `sync --all-profiles` over real HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bp_tui.cli import exitcodes, main
from bp_tui.paths import resolve_config_path, resolve_state_path
from bp_tui.state.profiles import Profiles

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


def test_add_list_rename_remove(capsys, monkeypatch):
    assert main(["profiles", "list"]) == 0
    assert "no profiles yet" in capsys.readouterr().out
    assert main(["profiles", "add", "acme"]) == 0
    assert main(["profiles", "add", "brand-2"]) == 0
    capsys.readouterr()
    assert main(["profiles", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in listed] == ["acme", "brand-2"]
    assert listed[0]["state"] == str(
        resolve_state_path().parent / "profiles" / "acme" / "state.sqlite3"
    )
    assert main(["profiles", "rename", "acme", "north"]) == 0
    capsys.readouterr()
    assert main(["profiles", "list", "--json"]) == 0
    assert [p["name"] for p in json.loads(capsys.readouterr().out)] == ["brand-2", "north"]
    # remove asks first: no terminal, no yes: nothing removed
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert main(["profiles", "remove", "north"]) == exitcodes.PARTIAL
    assert "not removed" in capsys.readouterr().err
    assert Profiles().get("north").exists()
    assert main(["profiles", "remove", "north", "--yes"]) == 0
    assert "its state stays" in capsys.readouterr().out
    assert not Profiles().get("north").exists() and Profiles().get("north").state_dir.is_dir()


def test_remove_asks_on_a_terminal(capsys, monkeypatch):
    Profiles().add("acme")
    Profiles().get("acme").state_path.write_bytes(b"x")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert main(["profiles", "remove", "acme", "--delete-state"]) == exitcodes.PARTIAL
    assert Profiles().get("acme").exists()
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert main(["profiles", "remove", "acme", "--delete-state"]) == 0
    assert "its config and its state?" in capsys.readouterr().out
    assert not Profiles().get("acme").state_dir.exists()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["profiles", "add", "Bad/Name"], "is not allowed"),
        (["profiles", "add", "default"], "cannot be added"),
        (["profiles", "rename", "nope", "x"], "no profile 'nope'"),
        (["profiles", "remove", "nope", "--yes"], "no profile 'nope'"),
        (["--profile", "nope", "config", "path"], "no profile 'nope'"),
        (["--profile", "../etc", "config", "path"], "is not allowed"),
        (["--profile", "acme", "profiles", "list"], "--profile does not apply"),
        (["--profile", "acme", "sync", "--once", "--all-profiles"], "--profile does not apply"),
    ],
)
def test_bad_profile_arguments_say_what_is_wrong(argv, words, capsys):
    Profiles().add("acme")
    assert main(argv) == exitcodes.USAGE
    assert words in capsys.readouterr().err


def test_profile_option_and_env_point_every_command_at_its_files(capsys, monkeypatch):
    acme = Profiles().add("acme")
    assert main(["--profile", "acme", "config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(acme.config_path)
    monkeypatch.setenv("BP_TUI_PROFILE", "acme")
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(acme.config_path)
    assert main(["--profile", "default", "config", "path"]) == 0  # the option beats the environment
    assert capsys.readouterr().out.strip() == str(resolve_config_path())
    assert main(["--config", "/tmp/x.toml", "config", "path"]) == exitcodes.USAGE
    assert "leave out --config" in capsys.readouterr().err


def test_single_profile_commands_are_unchanged(capsys):
    """No profile named and none added: the same files as before profiles existed."""
    assert main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(resolve_config_path())
    assert not (resolve_config_path().parent / "profiles").exists()


@pytest.fixture(scope="module")
def served():
    proc = subprocess.Popen(
        [
            EXE,
            "sandbox",
            "serve",
            "--port",
            "0",
            "--orders",
            "30",
            "--bp-limit",
            "100000",
            "--ss-limit",
            "100000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("store_id"):
                break
        yield tomllib.loads("".join(lines))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        BP_TUI_CONFIG=str(tmp_path / "cfg" / "config.toml"),
        BP_TUI_STATE=str(tmp_path / "data" / "state.sqlite3"),
    )
    env.pop("BP_TUI_PROFILE", None)
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=env, timeout=180)


def test_all_profiles_over_http_one_unreachable(served, tmp_path):
    import tomli_w

    assert run(["profiles", "add", "live"], tmp_path).returncode == 0
    assert run(["profiles", "add", "dead"], tmp_path).returncode == 0
    cfg = tmp_path / "cfg" / "profiles"
    (cfg / "live" / "config.toml").write_text(tomli_w.dumps(served))
    dead = json.loads(json.dumps(served))
    dead["brightpearl"]["integration_url"] = (
        "http://127.0.0.1:9/public-api/dead"  # discard port: refused
    )
    dead["shipstation"]["base_url"] = "http://127.0.0.1:9"
    (cfg / "dead" / "config.toml").write_text(tomli_w.dumps(dead))
    done = run(["sync", "--once", "--json", "--all-profiles"], tmp_path)
    assert done.returncode == exitcodes.UNREACHABLE, done.stderr  # the worst of the two
    docs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [d["profile"] for d in docs] == ["live"] and docs[0]["imported"] > 10
    assert "[dead] error:" in done.stderr
    assert (tmp_path / "data" / "profiles" / "live" / "state.sqlite3").exists()
    assert not (
        tmp_path / "data" / "state.sqlite3"
    ).exists()  # the default profile's file: untouched
    again = run(["--profile", "live", "sync", "--once", "--json"], tmp_path)
    assert (
        json.loads(again.stdout)["imported"] == 0
    )  # the profile's own state: all imported already


def test_a_profile_takes_secrets_only_from_its_own_variables(monkeypatch):
    import argparse

    from bp_tui.cli.common import load

    acme = Profiles().add("acme")
    acme.config_path.write_text(
        '[brightpearl]\naccount_code = "acme"\n[shipstation]\napi_key = "file-key"\n'
    )
    monkeypatch.setenv("BP_TUI_SHIPSTATION_API_KEY", "the-default-profiles-key")
    args = argparse.Namespace(config=str(acme.config_path), state=None, profile="acme")
    config, _ = load(args, require_complete=False)
    assert config.shipstation.api_key == "file-key"
    monkeypatch.setenv("BP_TUI_PROFILE_ACME_SHIPSTATION_API_KEY", "acme-key")
    config, _ = load(args, require_complete=False)
    assert config.shipstation.api_key == "acme-key"


def test_all_profiles_names_a_profile_it_cannot_load_and_opens_the_others(capsys, tmp_path):
    import argparse
    import asyncio

    from bp_tui.cli.all_profiles import open_all
    from bp_tui.sandbox.environment import build_environment

    bad, good = Profiles().add("bad"), Profiles().add("good")
    bad.config_path.write_text("[brightpearl\n")
    env = build_environment(tmp_path / "env", orders=0)
    good.config_path.write_text(env.config_path.read_text())  # complete: it can sync
    asyncio.run(env.aclose())
    connectors, code = open_all(argparse.Namespace(config=None, state=None))
    try:
        assert list(connectors) == ["good"] and code == exitcodes.USAGE
        assert connectors["good"].state_path == good.state_path
        err = capsys.readouterr().err
        assert "[bad] error:" in err and "TOML syntax" in err and "[good]" not in err
    finally:
        for conn in connectors.values():
            asyncio.run(conn.aclose())
