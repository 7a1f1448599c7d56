"""`bp-tui auth login|status|logout` as real processes against `bp-tui sandbox serve --auth oauth`
(issue 15): the login by paste-back and in two steps, a state mismatch, a wrong client secret, a
revoked grant (exit 3 and the message), two processes refreshing at once (one refresh), a process
killed while its refresh is in flight, and no token in any output, the config or the bundle."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import tomli_w

from tests.reliability.served import Served

REVOKED = "Brightpearl access was revoked: run bp-tui auth login (or Setup -> Connect)"


@pytest.fixture
def served(tmp_path):
    server = Served(tmp_path, orders=6, extra=["--auth", "oauth"])
    try:
        yield server
    finally:
        server.close()


def token_file(served: Served) -> Path:
    return Path(f"{served.state}.bp-oauth.json")


def browser(url: str) -> str:
    """Where the operator's browser lands after approving (the sandbox approves at once)."""
    answer = httpx.get(url, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def login(served: Served) -> subprocess.CompletedProcess:
    """`auth login`, pasting the address the browser was sent to into its standard input."""
    proc = subprocess.Popen(
        served.args("auth", "login"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    out, err = proc.communicate(browser(url) + "\n", timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, url + "\n" + out, err)


def make_due(served: Served) -> bytes:
    """Edit the stored pair so the access token is due (as if a week went by); the new content."""
    path = token_file(served)
    data = json.loads(path.read_text())
    data["expires_at"] = time.time() + 5
    path.write_text(json.dumps(data))
    return path.read_bytes()


def oauth_tally(served: Served) -> dict:
    return served.control("GET", "/oauth")


def secrets_seen(served: Served, seen: set[str]) -> set[str]:
    if token_file(served).exists():
        data = json.loads(token_file(served).read_text())
        seen |= {data["access_token"], data["refresh_token"]}
    return seen


def assert_no_secret(texts: list[str], secrets: set[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, "a token or code reached an output"


def test_login_by_paste_back_then_sync_and_no_token_anywhere_but_its_file(served, tmp_path):
    config_before = served.config.read_bytes()
    done = login(served)
    assert done.returncode == 0, done.stderr
    assert "Connected to Brightpearl account demo" in done.stdout and "Traceback" not in done.stderr
    assert stat.S_IMODE(token_file(served).stat().st_mode) == 0o600
    assert served.config.read_bytes() == config_before  # tokens never go into config.toml
    seen = secrets_seen(served, set())
    outputs = [done.stdout + done.stderr]
    for command in (
        ["auth", "status"],
        ["sync", "--once"],
        ["sync", "--once", "--json"],
        ["doctor"],
        ["doctor", "--json"],
        ["config", "show"],
        ["bundle", str(tmp_path)],
    ):
        if command == ["doctor"]:
            make_due(served)  # doctor refreshes a token only when it is due (issue 23)
        result = served.run(*command)
        assert result.returncode in (0, 1), (command, result.stdout, result.stderr)
        outputs.append(result.stdout + result.stderr)
        seen = secrets_seen(served, seen)
    assert "imported" in outputs[2] and "Brightpearl OAuth token stored" in outputs[4]
    bundles = list(tmp_path.glob("bp-tui-support-*.json"))
    assert len(bundles) == 1
    outputs.append(bundles[0].read_text())
    assert len(seen) >= 4  # the doctor's refresh of the due token gave a second pair
    assert_no_secret(outputs, seen | {"sandbox-client-secret"})
    assert_no_secret([served.config.read_text()], seen)
    for path in served.state.parent.iterdir():
        if (
            path != token_file(served)
            and path.is_file()
            and not path.name.startswith(("state.sqlite3", "bp-tui"))
        ):
            assert_no_secret([path.read_bytes().decode("utf-8", "replace")], seen)


def test_a_script_logs_in_in_two_steps_and_the_state_is_checked(served):
    nothing = served.run("auth", "login", timeout=30)  # nothing on standard input
    assert nothing.returncode == 2 and "nothing was pasted" in nothing.stderr
    assert "bp-tui auth login --code" in nothing.stderr
    first = served.run("auth", "login", "--url-only", timeout=30)
    url = first.stdout.strip()
    assert first.returncode == 0 and url.startswith(served.base + "/oauth/authorize/demo?")
    assert "bp-tui auth login --code" in first.stderr
    pending = Path(f"{served.state}.bp-oauth-login.json")
    assert stat.S_IMODE(pending.stat().st_mode) == 0o600
    location = browser(url)
    state = parse_qs(urlsplit(location).query)["state"][0]
    forged = served.run(
        "auth", "login", "--code", location.replace(f"state={state}", "state=someone-elses")
    )
    assert forged.returncode == 2 and "does not match the login started here" in forged.stderr
    assert oauth_tally(served).get("exchanges", 0) == 0
    done = served.run("auth", "login", "--code", location)
    assert done.returncode == 0, done.stderr
    assert not pending.exists() and served.run("auth", "status").returncode == 0
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert_no_secret(
        [first.stdout, first.stderr, forged.stdout, forged.stderr, done.stdout, done.stderr],
        secrets_seen(served, {code}),
    )


def test_a_wrong_client_secret_is_exit_3_naming_the_key(served):
    doc = tomllib.loads(served.config.read_text())
    doc["brightpearl"]["client_secret"] = "wrong-client-5ecret"
    served.config.write_text(tomli_w.dumps(doc))
    done = login(served)
    assert (
        done.returncode == 3
        and "invalid_client" in done.stderr
        and "brightpearl.client_secret" in done.stderr
    )
    assert (
        "wrong-client-5ecret" not in done.stdout + done.stderr and not token_file(served).exists()
    )


def test_a_revoked_grant_is_exit_3_with_the_message_and_logout_forgets(served):
    assert login(served).returncode == 0
    assert served.run("auth", "status").returncode == 0
    served.control("POST", "/oauth/revoke")
    sync = served.run("sync", "--once")
    assert sync.returncode == 3 and REVOKED in sync.stderr and "Traceback" not in sync.stderr
    status = served.run("auth", "status")
    assert status.returncode == 3 and REVOKED in status.stdout
    doctor = served.run("doctor")
    assert doctor.returncode == 3 and "Brightpearl token refresh works" in doctor.stdout
    assert login(served).returncode == 0 and served.run("sync", "--once").returncode in (0, 1)
    logout = served.run("auth", "logout")
    assert logout.returncode == 0 and "Forgot the stored Brightpearl tokens" in logout.stdout
    after = served.run("auth", "status")
    assert (
        after.returncode == 3
        and "not connected" in after.stdout
        and not token_file(served).exists()
    )


def test_two_processes_due_at_once_refresh_once_and_both_end_with_working_tokens(served):
    assert login(served).returncode == 0
    make_due(served)
    served.control(
        "POST", "/oauth/hold?seconds=1.5"
    )  # the first refresh is in flight when the second starts
    both = [
        subprocess.Popen(
            served.args("auth", "status"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) + (p.returncode,) for p in both]
    served.control("POST", "/oauth/hold?seconds=0")
    assert [r[2] for r in results] == [0, 0], results
    assert oauth_tally(served)["refreshes"] == 1
    assert (
        results[0][0].split("valid until ")[1][:25] == results[1][0].split("valid until ")[1][:25]
    )
    assert served.run("sync", "--once").returncode in (0, 1)


def test_a_process_killed_while_its_refresh_is_in_flight_leaves_the_account_usable(served):
    """The sandbox issues the new pair and holds the answer; the client is killed (SIGKILL) before
    the answer reaches it, so before anything is written: the file still holds the old pair, which
    the next run refreshes without a new login."""
    assert login(served).returncode == 0
    before = make_due(served)
    served.control("POST", "/oauth/hold?seconds=6")
    victim = subprocess.Popen(
        served.args("auth", "status"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 20
    while oauth_tally(served).get("refreshes", 0) < 1:
        assert time.monotonic() < deadline and victim.poll() is None
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    served.control("POST", "/oauth/hold?seconds=0")
    assert token_file(served).read_bytes() == before
    status = served.run("auth", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert oauth_tally(served)["refreshes"] == 2 and token_file(served).read_bytes() != before
    assert served.run("sync", "--once").returncode in (0, 1)


def test_a_bare_code_needs_no_state_check_and_code_dash_reads_standard_input(served):
    """Issue 23: a bare code is refused (the address is asked for) unless --no-state-check, and
    --code - reads the address from standard input, keeping it out of ps and the history."""
    url = served.run("auth", "login", "--url-only", timeout=30).stdout.strip()
    location = browser(url)
    code = parse_qs(urlsplit(location).query)["code"][0]
    bare = served.run("auth", "login", "--code", code)
    assert bare.returncode == 2 and "paste the whole address" in bare.stderr
    assert "--no-state-check" in bare.stderr
    assert oauth_tally(served).get("exchanges", 0) == 0 and code not in bare.stdout + bare.stderr
    empty = subprocess.run(
        served.args("auth", "login", "--code", "-"),
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert empty.returncode == 2 and "nothing on standard input" in empty.stderr
    piped = subprocess.run(
        served.args("auth", "login", "--code", "-"),
        input=location + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.returncode == 0, piped.stderr
    assert code not in " ".join(piped.args) and served.run("auth", "status").returncode == 0
    # a new login's bare code, accepted only when asked for
    second = browser(served.run("auth", "login", "--url-only").stdout.strip())
    code2 = parse_qs(urlsplit(second).query)["code"][0]
    forced = served.run("auth", "login", "--code", code2, "--no-state-check")
    assert forced.returncode == 0, forced.stderr
