"""Secrets shorter than four characters are scrubbed like any other (issue 12): from API error
messages of both vendors and from the support bundle."""

from __future__ import annotations

from bp_tui.brightpearl.apierrors import api_error
from bp_tui.errors import scrub_secrets
from bp_tui.shipstation.api_errors import error_for
from bp_tui.troubleshoot.bundle import REDACTED, redact


def test_brightpearl_errors_scrub_a_short_secret():
    err = api_error(
        400, {"errors": [{"code": "X-1", "message": "bad password Zq9 for user"}]}, secrets=("Zq9",)
    )
    assert "Zq9" not in str(err) and "***" in str(err)


def test_shipstation_errors_scrub_a_short_secret():
    err = error_for(
        400, {"message": "api key k7 is not valid"}, path="GET /stores", secrets=("k7", "")
    )
    assert "k7" not in str(err) and "***" in str(err)


def test_the_longest_secret_goes_first_so_none_is_left_half_shown():
    text = scrub_secrets("token abcdef and ab", ["ab", "abcdef"])
    assert text == "token *** and ***"


def test_the_bundle_redacts_a_short_secret_everywhere_and_overlapping_ones_whole():
    data = redact({"a": ["pw=x1", {"b": "x1 again"}], "n": 3}, ["x1"])
    assert data == {"a": [f"pw={REDACTED}", {"b": f"{REDACTED} again"}], "n": 3}
    assert redact(["key abcdef"], ["ab", "abcdef"]) == [f"key {REDACTED}"]
