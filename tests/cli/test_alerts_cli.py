"""`bp-tui alerts test` says which URL took the message, never showing a URL's token;
`bp-tui service unit` prints hardened systemd units."""

from __future__ import annotations

import socket

import tomli_w

import bp_tui.alerts.deliver as deliver
from bp_tui.cli import main
from bp_tui.paths import resolve_config_path
from tests.alerts.receiver import Receiver


def write_config(**alerts: object) -> None:
    path = resolve_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps({"brightpearl": {"account_code": "acme"}, "alerts": alerts}))
    path.chmod(0o600)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_alerts_test_sends_one_message_per_url_and_says_which_worked(capsys, monkeypatch):
    monkeypatch.setattr(deliver, "CONNECT_TIMEOUT_S", 1.0)
    monkeypatch.setattr(deliver, "READ_TIMEOUT_S", 1.0)
    receiver = Receiver()
    try:
        write_config(
            urls=f"{receiver.url('T0KEN-ok')}, json://127.0.0.1:{closed_port()}/T0KEN-down"
        )
        code = main(["alerts", "test"])
        out = capsys.readouterr().out
        assert code == 1 and "1 of 2 URLs took the test message" in out
        assert (
            f"✓ json://127.0.0.1:{receiver.port}/****: sent" in out and "✗ json://127.0.0.1:" in out
        )
        assert "T0KEN" not in out
        assert receiver.titles() == ["bp-tui acme: test message"]
    finally:
        receiver.close()


def test_alerts_test_without_urls_says_what_to_set(capsys):
    write_config()
    assert main(["alerts", "test"]) == 2
    assert "alerts.urls is empty" in capsys.readouterr().err


def test_service_unit_is_hardened_and_restarts_on_failure(capsys, tmp_path):
    state = tmp_path / "my data" / "state.sqlite3"
    assert main(["--state", str(state), "service", "unit", "--user"]) == 0
    unit = capsys.readouterr().out
    for line in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "Restart=on-failure",
        f'ReadWritePaths="{state.parent}"',
        "WantedBy=default.target",
    ):
        assert line in unit, line
    assert "EnvironmentFile=-" in unit and " sync --watch" in unit and "User=" not in unit
    assert (
        main(
            [
                "--state",
                str(state),
                "service",
                "unit",
                "--part",
                "status",
                "--prometheus",
                str(tmp_path / "prom" / "bp_tui.prom"),
            ]
        )
        == 0
    )
    status = capsys.readouterr().out
    assert (
        "status --prometheus" in status
        and "SuccessExitStatus=1 2 3" in status
        and "User=" in status
    )
    assert main(["service", "unit", "--part", "timer"]) == 0
    assert "OnUnitActiveSec=1min" in capsys.readouterr().out
