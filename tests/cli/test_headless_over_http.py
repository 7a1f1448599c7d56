"""The headless commands against `bp-tui sandbox serve` over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


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
            "40",
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
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("store_id"):
                break
        text = "".join(lines)
        assert "[brightpearl]" in text, (
            text,
            proc.stderr.read() if proc.poll() is not None else "",
        )
        yield tomllib.loads(text)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_config(tmp_path: Path, keys: dict) -> Path:
    path = tmp_path / "config.toml"
    import tomli_w

    path.write_text(tomli_w.dumps(keys))
    return path


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, BP_TUI_STATE=str(tmp_path / "state.sqlite3"))
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=env, timeout=120)


def test_serve_answers_with_real_envelopes_and_auth_errors(served):
    bp_base = served["brightpearl"]["integration_url"]
    ss = served["shipstation"]
    denied = httpx.get(f"{bp_base}/warehouse-service/warehouse/")
    assert denied.status_code == 401 and "response" in denied.json()
    assert "brightpearl-requests-remaining" in denied.headers
    origin = bp_base.split("/public-api/")[0]
    token = httpx.post(
        f"{origin}/demo/authorise",
        json={
            "apiAccountCredentials": {
                "emailAddress": served["brightpearl"]["username"],
                "password": served["brightpearl"]["password"],
            }
        },
    ).json()
    ok = httpx.get(
        f"{bp_base}/warehouse-service/warehouse/", headers={"brightpearl-auth": token["response"]}
    )
    assert ok.status_code == 200 and isinstance(ok.json()["response"], list)
    bad = httpx.get(f"{ss['base_url']}/stores", auth=("nope", "nope"))
    assert bad.status_code == 401
    stores = httpx.get(f"{ss['base_url']}/stores", auth=(ss["api_key"], ss["api_secret"]))
    assert stores.status_code == 200 and "x-rate-limit-remaining" in stores.headers


def test_sync_doctor_diagnose_over_http(served, tmp_path):
    config = write_config(tmp_path, served)
    doctor = run(["--config", str(config), "doctor", "--json"], tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["ok"] is True
    first = run(["--config", str(config), "sync", "--once", "--json"], tmp_path)
    assert first.returncode == 1, first.stderr  # the seeded bad records fail, each with a reason
    summary = json.loads(first.stdout)
    assert summary["imported"] > 10 and summary["failed"] == len(summary["errors"]) > 0
    assert set(summary["api_calls"]) == {"brightpearl", "shipstation"}
    second = json.loads(run(["--config", str(config), "sync", "--once", "--json"], tmp_path).stdout)
    assert second["imported"] == 0 and second["updated"] == 0
    gon_id = int(summary["errors"][0].split()[1].rstrip(":"))
    diag = run(["--config", str(config), "diagnose", str(gon_id)], tmp_path)
    assert f"GON {gon_id}" in diag.stdout and "fix:" in diag.stdout
    assert diag.returncode == 1  # a failed note


def test_sync_with_bad_config_exits_2_naming_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[brightpearl]\naccount_code = "x"\nimport_when = "shipped"\n')
    result = run(["--config", str(path), "sync", "--once"], tmp_path)
    assert result.returncode == 2 and "brightpearl.import_when" in result.stderr


def test_sync_unreachable_exits_3(tmp_path):
    keys = {
        "brightpearl": {
            "account_code": "x",
            "integration_url": "http://127.0.0.1:9/public-api/x",
            "username": "u",
            "password": "p-secret-value",
            "staff_contact_id": 1,
        },
        "shipstation": {
            "api_key": "k",
            "api_secret": "s-secret-value",
            "base_url": "http://127.0.0.1:9",
        },
    }
    config = write_config(tmp_path, keys)
    result = subprocess.run(
        [EXE, "--config", str(config), "sync", "--once"],
        capture_output=True,
        text=True,
        env=dict(os.environ, BP_TUI_STATE=str(tmp_path / "s.sqlite3")),
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    assert "p-secret-value" not in result.stderr + result.stdout


def test_bundle_command_writes_a_secret_free_0600_file(served, tmp_path):
    config = write_config(tmp_path, served)
    run(["--config", str(config), "sync", "--once"], tmp_path)
    (tmp_path / "out").mkdir()
    result = run(["--config", str(config), "bundle", str(tmp_path / "out")], tmp_path)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())  # a folder gets a dated file inside it
    assert path.parent == tmp_path / "out" and path.name.startswith("bp-tui-support-")
    assert (path.stat().st_mode & 0o777) == 0o600
    text = path.read_text()
    for secret in (
        served["brightpearl"]["password"],
        served["shipstation"]["api_key"],
        served["shipstation"]["api_secret"],
    ):
        assert secret not in text
    assert json.loads(text)["stages"]
