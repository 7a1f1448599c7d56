"""Text from the APIs (and the files) is inert in everything the CLI prints: control characters
and escape sequences show as escapes, never act on the terminal (issue 12)."""

from __future__ import annotations

import json
import sys

import pytest

from bp_tui.cli import main, sync_cmd, troubleshoot_cmd
from bp_tui.cli.common import dumps_json, inert, say
from bp_tui.config import Config
from bp_tui.core.types import CheckResult, CycleSummary, Diagnosis, Progress
from bp_tui.errors import ApiError, ApiUnavailable
from tests.hostile_chars import HARMLESS, HOSTILE

# a window-title OSC, a clear-screen CSI, an 8-bit CSI, a right-to-left override, a lone
# surrogate (what json.loads makes of "\ud800"), a carriage return and a bell
EVIL = "Acme\x1b]0;pwned\x07 \x1b[2J\x9b31m\u202eevil\ud800\r end"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\ud800", "\r")


def assert_inert(text: str) -> None:
    for char in RAW:
        assert char not in text, (char, text)


def test_inert_escapes_what_a_terminal_acts_on_and_keeps_the_rest():
    assert inert(EVIL) == "Acme\\x1b]0;pwned\\x07 \\x1b[2J\\x9b31m\\u202eevil\\ud800\\x0d end"
    kept = "line 1\n\tcafé ✓ 日本 «quoted» — ok"
    assert inert(kept) == kept
    assert inert("\x00\x7f\x85\u2066") == "\\x00\\x7f\\x85\\u2066"


def test_dumps_json_is_inert_and_parses_back_to_the_same_value():
    value = {"name": EVIL, "city": "Zürich"}
    text = dumps_json(value)
    assert_inert(text)
    assert "Zürich" in text  # readable, not \u-escaped
    assert json.loads(text) == value


class Stub:
    """Stands in for the Connector: answers with text that an API could have sent."""

    def __init__(
        self, *, summary: CycleSummary | None = None, error: Exception | None = None
    ) -> None:
        self.config = Config()
        self.stop_requested = False
        self.summary = summary
        self.error = error

    async def run_cycle(self, **kwargs) -> CycleSummary:
        if self.error:
            raise self.error
        assert self.summary is not None
        return self.summary

    async def doctor(self, on_check=None) -> list[CheckResult]:
        checks = [
            CheckResult("bp_reach", "Brightpearl", True, EVIL),
            CheckResult("ss_auth", "ShipStation", False, EVIL, EVIL),
        ]
        for check in checks:
            if on_check:
                on_check(check)
        return checks

    async def diagnose(self, ident: int) -> list[Diagnosis]:
        if self.error:
            raise self.error
        return [
            Diagnosis(
                subject=f"GON {ident}",
                verdict=f"GON {ident}: {EVIL}",
                fix=EVIL,
                gon_id=ident,
                stage="failed",
                facts=[("customer", EVIL)],
            )
        ]

    async def aclose(self) -> None:
        pass


def use(monkeypatch, module, stub: Stub) -> None:
    monkeypatch.setattr(module, "open_connector", lambda args, **kwargs: stub)


def test_sync_text_output_is_inert(monkeypatch, capsys):
    summary = CycleSummary(failed=1, skipped={EVIL: 2}, errors=[f"GON 7: ShipStation said {EVIL}"])
    use(monkeypatch, sync_cmd, Stub(summary=summary))
    assert main(["sync", "--once"]) == 1
    out = capsys.readouterr().out
    assert_inert(out)
    assert "failed: GON 7: ShipStation said Acme\\x1b]0;pwned\\x07" in out


def test_sync_json_output_is_inert_and_exact(monkeypatch, capsys):
    summary = CycleSummary(failed=1, skipped={EVIL: 2}, errors=[EVIL])
    use(monkeypatch, sync_cmd, Stub(summary=summary))
    assert main(["sync", "--once", "--json"]) == 1
    out = capsys.readouterr().out
    assert_inert(out)
    data = json.loads(out)
    assert data["errors"] == [EVIL] and data["skipped"] == {EVIL: 2}


def test_dry_run_lines_are_inert(monkeypatch, capsys):
    summary = CycleSummary(dry_run=True, would_write=[f"ShipStation order for {EVIL}"])
    use(monkeypatch, sync_cmd, Stub(summary=summary))
    assert main(["sync", "--once", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert_inert(out)
    assert "would write: ShipStation order for Acme\\x1b" in out


@pytest.mark.parametrize(
    "error, code",
    [(ApiError("shipstation", 400, EVIL), 1), (ApiUnavailable("brightpearl", 503, EVIL), 3)],
)
def test_sync_api_errors_are_inert(monkeypatch, capsys, error, code):
    use(monkeypatch, sync_cmd, Stub(error=error))
    assert main(["sync", "--once"]) == code
    err = capsys.readouterr().err
    assert_inert(err)
    assert "error: " in err and "\\x1b[2J" in err


def test_sync_progress_lines_are_inert(capsys):
    printer = sync_cmd.ProgressPrinter(enabled=True)
    printer(Progress("import", 1, 1, gon_id=3, message=EVIL))
    err = capsys.readouterr().err
    assert_inert(err)
    assert "\\x1b]0;pwned" in err


def test_doctor_text_and_json_are_inert(monkeypatch, capsys):
    use(monkeypatch, troubleshoot_cmd, Stub())
    assert main(["doctor"]) == 3
    out = capsys.readouterr().out
    assert_inert(out)
    assert "fix: Acme\\x1b]0;pwned" in out
    assert main(["doctor", "--json"]) == 3
    out = capsys.readouterr().out
    assert_inert(out)
    assert json.loads(out)["checks"][1]["fix"] == EVIL


def test_diagnose_text_and_json_are_inert(monkeypatch, capsys):
    use(monkeypatch, troubleshoot_cmd, Stub())
    assert main(["diagnose", "42"]) == 1
    out = capsys.readouterr().out
    assert_inert(out)
    assert "GON 42: Acme\\x1b]0;pwned\\x07" in out
    assert main(["diagnose", "42", "--json"]) == 1
    out = capsys.readouterr().out
    assert_inert(out)
    (verdict,) = json.loads(out)
    assert verdict["fix"] == EVIL and verdict["facts"] == [["customer", EVIL]]


def test_diagnose_api_error_is_inert(monkeypatch, capsys):
    use(monkeypatch, troubleshoot_cmd, Stub(error=ApiError("brightpearl", 500, EVIL)))
    assert main(["diagnose", "42"]) == 1
    err = capsys.readouterr().err
    assert_inert(err)
    assert "\\x9b31m" in err


def test_config_show_is_inert(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(
        '[brightpearl]\naccount_code = "acme"\nusername = "ops\\u001b[31m\\u009b@acme.example"\n'
        '[shipstation]\napi_key = "k"\n'
    )
    path.chmod(0o600)
    assert main(["--config", str(path), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert_inert(out)
    assert "\x9b" not in out and "username" in out and "\\x9b" in out


def test_config_errors_quote_values_inertly(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(
        '[brightpearl]\naccount_code = "acme"\nimport_when = "\\u001b]0;pwned\\u0007"\n'
    )
    assert main(["--config", str(path), "config", "show"]) == 2
    err = capsys.readouterr().err
    assert_inert(err)
    assert "brightpearl.import_when" in err and "\\x1b]0;pwned\\x07" in err


# Issue 23: vendor text with line breaks cannot forge lines of plain output.
FORGED = "real\n✓ ok   Brightpearl: forged\r\u2028\u2029\x85\x0b\x0cnext\ttab"


def test_inert_line_escapes_every_line_break_and_keeps_tabs():
    from bp_tui.errors import inert_line

    escaped = "real\\n✓ ok   Brightpearl: forged\\x0d\\u2028\\u2029\\x85\\x0b\\x0cnext\ttab"
    assert inert_line(FORGED) == escaped
    assert inert("a\u2028b") == "a\\u2028b"  # not a line break on any screen either


@pytest.mark.parametrize("command", [["doctor"], ["diagnose", "42"], ["sync", "--once"]])
def test_vendor_line_breaks_cannot_forge_lines_of_plain_output(monkeypatch, capsys, command):
    stub = Stub(summary=CycleSummary(failed=1, errors=[f"GON 7: ShipStation said {FORGED}"]))
    monkeypatch.setattr(sys.modules[__name__], "EVIL", FORGED)
    use(monkeypatch, sync_cmd if command[0] == "sync" else troubleshoot_cmd, stub)
    main(command)
    captured = capsys.readouterr()
    for text in (captured.out, captured.err):
        assert not any(
            line.startswith("✓ ok   Brightpearl: forged") for line in text.splitlines()
        ), text
        for char in "\r\u2028\u2029\x85\x0b\x0c":
            assert char not in text
    assert "real\\n✓ ok" in captured.out + captured.err


def test_an_api_error_with_line_breaks_is_one_line(monkeypatch, capsys):
    use(monkeypatch, sync_cmd, Stub(error=ApiError("shipstation", 400, FORGED)))
    main(["sync", "--once"])
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if line.strip()]) == 1 and "real\\n✓ ok" in err


@pytest.mark.parametrize("char,what,escaped", HOSTILE, ids=[what for _, what, _ in HOSTILE])
def test_every_hostile_character_of_the_shared_list_is_escaped_in_cli_output(
    char, what, escaped, capsys
):
    assert inert(f"a{char}b") == f"a{escaped}b"
    say(f"name {char} end")
    say(f"reason {char} end", line=True)
    out = capsys.readouterr().out
    assert char not in out and f"name {escaped} end" in out and f"reason {escaped} end" in out
    assert char not in dumps_json({"name": char})


def test_cli_output_keeps_harmless_text():
    assert inert(HARMLESS) == HARMLESS
