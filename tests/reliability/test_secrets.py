"""No secret in any output, log or file bp-tui writes; config files at 0600."""

from __future__ import annotations

import logging
import stat

import tomli_w

from bp_tui.config import load_config

from .helpers import chaos_env, cycle
from .served import Served

SECRETS = (
    "sandbox-password",
    "sandbox-key",
    "sandbox-secret",
    "wrong-pass-5ecret",
    "wrong-ss-5ecret",
)


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} found in {where}"


def scan_files(root, skip=()) -> int:
    seen = 0
    for path in root.rglob("*"):
        if path.is_file() and path not in skip:
            assert_clean(path.read_bytes().decode("utf-8", "replace"), str(path))
            seen += 1
    return seen


def test_cli_outputs_and_files_hold_no_secret(tmp_path):
    served = Served(tmp_path, orders=8)
    try:
        assert stat.S_IMODE(served.config.stat().st_mode) == 0o600
        outputs = [
            served.run("sync", "--once"),
            served.run("sync", "--once", "--json"),
            served.run("doctor"),
            served.run("doctor", "--json"),
            served.run("config", "show"),
            served.run("config", "path"),
        ]
        served.label(3)
        outputs.append(served.run("sync", "--once"))
        gon = served.tally()["eligible"][0]
        outputs += [served.run("diagnose", str(gon)), served.run("diagnose", str(gon), "--json")]
        # a failing authentication, both APIs
        keys = load_config(served.config, env={})
        bad = tmp_path / "bad" / "config.toml"
        bad.parent.mkdir()
        doc = {
            "brightpearl": {
                "account_code": keys.brightpearl.account_code,
                "integration_url": keys.brightpearl.integration_url,
                "username": "ops@demo.example",
                "password": "wrong-pass-5ecret",
                "staff_contact_id": 203,
            },
            "shipstation": {
                "api_key": "sandbox-key",
                "api_secret": "wrong-ss-5ecret",
                "base_url": keys.shipstation.base_url,
            },
        }
        bad.write_text(tomli_w.dumps(doc))
        for command in (["sync", "--once"], ["doctor"], ["config", "show"]):
            result = served.run("--config", str(bad), *command)
            outputs.append(result)
        assert outputs[-3].returncode == 3 and outputs[-2].returncode != 0
        for result in outputs:
            assert "Traceback" not in result.stderr, result.stderr
            assert_clean(result.stdout + result.stderr, " ".join(result.args[3:]))
        assert scan_files(tmp_path, skip=(served.config, bad)) >= 2  # state, lock, WAL...
    finally:
        served.close()


async def test_in_process_logs_bundle_and_reprs_hold_no_secret(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    ce = chaos_env(tmp_path, orders=10, seed=31, rate=0.2)
    conn = ce.connector()
    try:
        for _ in range(3):
            ce.env.label(3)
            await cycle(ce, conn)
        checks = await conn.doctor()
        bundle = conn.export_support_bundle(tmp_path / "bundle")
        ce.env.bp.password = (
            "rotated"  # the saved password no longer works: a failing authentication
        )
        ce.env.bp.expire_tokens()
        failing = ce.connector()
        try:
            assert not await cycle(ce, failing)
        finally:
            await failing.aclose()
        texts = [
            repr(conn.bp),
            repr(conn.ss),
            repr(conn.config),
            repr(ce.env.config),
            caplog.text,
            "\n".join(ce.errors),
            "\n".join(f"{c}" for c in checks),
        ]
        for text in texts:
            assert_clean(text, "in-process output")
        assert ce.errors and "Brightpearl" in ce.errors[-1]
        assert scan_files(tmp_path, skip=(ce.env.config_path,)) >= 2
        assert bundle.exists() and stat.S_IMODE(bundle.stat().st_mode) == 0o600
        assert stat.S_IMODE(ce.env.config_path.stat().st_mode) == 0o600
    finally:
        await conn.aclose()
