"""A proxy echoes every request header back, in 2xx, 4xx and 5xx answers, on both APIs and in
every auth mode (issue 23): no secret, in any encoding, reaches the state (any table), the
support bundle, the logs, error messages or the terminal output of the CLI."""

from __future__ import annotations

import base64
import json
import logging
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from bp_tui.config import secret_values
from bp_tui.errors import ApiError
from bp_tui.sandbox.faults import ECHO_KINDS

from .helpers import ChaosEnv, chaos_env, cycle
from .served import Served

CREDENTIAL_HEADERS = (
    "authorization",
    "api-key",
    "brightpearl-auth",
    "brightpearl-staff-token",
    "brightpearl-account-token",
)
RUN = 12  # characters: a leak of this many consecutive characters of a secret counts
TOKEN_MODES = {
    "staff_token": {
        "auth": "staff_token",
        "token": "sandbox-staff-token",
        "username": "",
        "password": "",
    },
    "account_token": {
        "auth": "account_token",
        "token": "sandbox-account-token",
        "username": "",
        "password": "",
    },
}


def b64(raw: str) -> list[str]:
    std = base64.b64encode(raw.encode()).decode()
    url = base64.urlsafe_b64encode(raw.encode()).decode()
    return [std, std.rstrip("="), url, url.rstrip("=")]


def forms(secret: str) -> list[str]:
    """The test's own list (not the redactor's) of how a secret can come back."""
    return [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        *b64(secret),
    ]


def credentials(echoed: list[dict[str, str]]) -> set[str]:
    """Every credential the echoes quoted: header values, Bearer/Basic payloads and the key and
    secret inside a Basic pair."""
    found: set[str] = set()
    for headers in echoed:
        for name in CREDENTIAL_HEADERS:
            value = headers.get(name)
            if not value:
                continue
            found.add(value)
            scheme, _, rest = value.partition(" ")
            if scheme.lower() in ("bearer", "basic") and rest:
                found.add(rest)
                if scheme.lower() == "basic":
                    found.update(base64.b64decode(rest).decode().split(":", 1))
    return found


def leaks(text: str, secrets: set[str]) -> list[str]:
    found = []
    for secret in secrets:
        candidates = forms(secret)
        if len(secret) > RUN:  # a long secret also leaks in part: any RUN characters of it
            candidates += [secret[i : i + RUN] for i in range(len(secret) - RUN + 1)]
        found += [f"{c[:4]}... (a form of {secret[:3]}...)" for c in candidates if c and c in text]
    return found


def state_text(state_path: Path) -> str:
    db = sqlite3.connect(state_path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(repr(row) for t in tables for row in db.execute(f'SELECT * FROM "{t}"'))
    finally:
        db.close()


def files_text(root: Path, skip: set[Path]) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in root.rglob("*")
        if p.is_file() and p not in skip and not p.name.endswith(".bp-oauth.json")
    )


async def run_echoes(
    tmp_path: Path, *, seed: int, ss_api: str, bp_auth: str
) -> tuple[ChaosEnv, set[str], str]:
    overrides = {"brightpearl": TOKEN_MODES[bp_auth]} if bp_auth in TOKEN_MODES else None
    ce = chaos_env(
        tmp_path,
        orders=10,
        seed=seed,
        rate=0.35,
        kinds=ECHO_KINDS,
        ss_api=ss_api,
        bp_auth="oauth" if bp_auth == "oauth" else "password",
        config_overrides=overrides,
        oauth_ttl_s=90.0 if bp_auth == "oauth" else None,
    )
    if bp_auth == "oauth":
        ce.faults(False)
        await ce.env.oauth_login()
        ce.faults(True)
    conn = ce.connector()
    texts = []
    try:
        for _ in range(6):
            ce.env.label(2)
            await cycle(ce, conn)
        texts += [f"{c}" for c in await conn.doctor()]
        for gon in list(ce.env.bp.gons)[:3]:
            try:
                texts += [repr(d) for d in await conn.diagnose(gon)]
            except ApiError as exc:  # an echo answered instead: its message is searched too
                texts.append(str(exc))
        bundle = conn.export_support_bundle(tmp_path / "bundle")
        texts.append(bundle.read_text())
        stored = conn.tokens.load()
        secrets = set(secret_values(conn.config))
        if stored is not None:
            secrets |= {stored.access_token, stored.refresh_token}
    finally:
        await conn.aclose()
    secrets |= credentials(ce.bp_chaos.echoed + ce.ss_chaos.echoed)
    texts += ce.errors
    texts.append(state_text(ce.env.state_path))
    texts.append(files_text(tmp_path, {ce.env.config_path}))
    return ce, {s for s in secrets if s}, "\n".join(texts)


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
@pytest.mark.parametrize("bp_auth", ["password", "oauth", "staff_token", "account_token"])
@pytest.mark.parametrize("seed", range(3))
async def test_echoed_headers_leave_no_secret_anywhere(tmp_path, caplog, seed, ss_api, bp_auth):
    caplog.set_level(logging.DEBUG)
    ce, secrets, text = await run_echoes(tmp_path, seed=seed, ss_api=ss_api, bp_auth=bp_auth)
    injected = ce.bp_chaos.injected + ce.ss_chaos.injected
    assert sum(injected[k] for k in ECHO_KINDS) >= 3, injected
    echoed_names = {n for h in ce.bp_chaos.echoed + ce.ss_chaos.echoed for n in h}
    assert {"authorization" if ss_api == "v1" else "api-key"} <= echoed_names
    assert len(secrets) >= 2
    assert any("***" in e for e in ce.errors), ce.errors  # echoes reached the messages, masked
    assert leaks(text + caplog.text, secrets) == []


@pytest.mark.parametrize("ss_api", ["v1", "v2"])
def test_the_cli_prints_no_echoed_credential(tmp_path, ss_api):
    served = Served(
        tmp_path,
        orders=6,
        extra=[
            "--ss-api",
            ss_api,
            "--faults",
            "0.4",
            "--fault-seed",
            "3",
            "--fault-kinds",
            ",".join(ECHO_KINDS),
        ],
    )
    try:
        outputs = []
        for _ in range(2):
            served.label(1)
            outputs += [served.run("sync", "--once"), served.run("sync", "--once", "--json")]
        outputs += [served.run("doctor"), served.run("doctor", "--json")]
        from bp_tui.config import load_config

        config = load_config(served.config, env={})
        secrets = {s for s in secret_values(config) if s}
    finally:
        served.close()
    text = "\n".join(r.stdout + r.stderr for r in outputs)
    assert "Traceback" not in text
    assert "***" in text  # an echo reached the output, masked
    assert leaks(text, secrets) == []
    # whatever the sandbox issued (a Brightpearl session token) is masked too: every credential
    # header quoted in the output shows the mask, never a value
    quoted = re.findall(
        r"(?i)\b(authorization|api-key|brightpearl-auth|brightpearl-[a-z]+-token)"
        r"\\?\"?\s*[:=]\s*\\?\"?\s*(?:(?:basic|bearer)\s+)?([^\s\"\\;,}]+)",
        text,
    )
    assert quoted and all(value.startswith("***") for _name, value in quoted), quoted
