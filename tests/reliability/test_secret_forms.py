"""The one redactor knows every form in which a secret can come back."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

from bp_tui.errors import PARTIAL_RUN, scrub_secrets, secret_forms
from bp_tui.ui.format import redact

KEY, SECRET = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "f0e1d2c3b4a5968778695a4b3c2d1e0f"
TOKEN = "Zm9vYmFyYmF6cXV4LXRva2VuLXRoYXQtaXMtNDQtY2g="  # 44 characters, like Brightpearl's


def basic(a: str, b: str) -> str:
    return base64.b64encode(f"{a}:{b}".encode()).decode()


def test_every_encoding_is_masked():
    odd = 'p@ss w/rd+"q"&é=ok!'
    secrets = [KEY, SECRET, TOKEN, odd]
    samples = [
        KEY,
        SECRET,
        TOKEN,
        odd,
        basic(KEY, SECRET),
        basic(KEY, SECRET).rstrip("="),
        base64.urlsafe_b64encode(f"{KEY}:{SECRET}".encode()).decode(),
        base64.b64encode(TOKEN.encode()).decode(),
        base64.b64encode(odd.encode()).decode().rstrip("="),
        quote(odd, safe=""),
        quote_plus(odd),
        quote(TOKEN, safe=""),
        json.dumps(odd)[1:-1],
        json.dumps(odd, ensure_ascii=False)[1:-1],
        basic(TOKEN, "x"),
    ]
    for sample in samples:
        text = f"echo: Authorization: Basic {sample}\r\nnext"
        out = scrub_secrets(text, secrets)
        assert sample not in out and out.startswith("echo: Authorization: Basic ***"), (sample, out)
        assert out.endswith("\r\nnext")
    # a secret inside a value with something that is not one: the secret's part is masked
    out = scrub_secrets(basic("someone", SECRET), secrets)
    assert out.startswith(basic("someone", SECRET)[:8]) and "***" in out and len(out) < 20


def test_a_cut_token_is_masked_as_are_its_long_parts():
    shown = TOKEN[:38]  # the review saw 38 of the token's 44 characters printed
    assert scrub_secrets(f"Bearer {shown}", [TOKEN]) == "Bearer ***"
    for start in range(0, len(TOKEN) - PARTIAL_RUN + 1, 5):
        piece = TOKEN[start : start + PARTIAL_RUN]
        assert piece not in scrub_secrets(f"x{piece}y", [TOKEN])
    # the pieces left are shorter than the rule: a few characters, never enough to use
    assert scrub_secrets(TOKEN[: PARTIAL_RUN - 1], [TOKEN]) == TOKEN[: PARTIAL_RUN - 1]


def test_short_secrets_are_masked_whole_and_ordinary_text_is_left():
    assert scrub_secrets("password hunter2 hunter", ["hunter2"]) == "password *** hunter"
    assert scrub_secrets("nothing secret here", [KEY, TOKEN]) == "nothing secret here"
    assert scrub_secrets("anything", []) == "anything"


def test_the_screens_use_the_same_redactor():
    assert redact(f"Basic {basic(KEY, SECRET)}", [KEY, SECRET], "####") == "Basic ####"


def test_forms_include_the_basic_pair_both_ways():
    forms = secret_forms([KEY, SECRET])
    assert basic(KEY, SECRET) in forms and basic(SECRET, KEY) in forms


def test_an_alert_urls_secret_parts_are_masked_while_its_scheme_and_host_can_be_shown():
    from bp_tui.config import config_from_dict
    from bp_tui.config.store import secret_values

    config = config_from_dict(
        {
            "brightpearl": {"account_code": "acme"},
            "alerts": {
                "urls": "slack://T0AAA/B0BBB/xxxxXXXXxxxx1234, mailtos://alerts:app-pass-9876@example.com?to=ops@example.com"
            },
        },
        source="test",
    )
    secrets = secret_values(config)
    said = (
        "POST https://hooks.slack.com/services/T0AAA/B0BBB/xxxxXXXXxxxx1234 failed; "
        "login alerts / app-pass-9876 refused; token XXXXxxxx1234 echoed"
    )
    out = scrub_secrets(said, secrets)
    assert (
        "xxxxXXXXxxxx1234" not in out and "app-pass-9876" not in out and "XXXXxxxx1234" not in out
    )
    assert (
        scrub_secrets("slack://T0AAA/****: sent", secrets) == "slack://T0AAA/****: sent"
    )  # what displays show
