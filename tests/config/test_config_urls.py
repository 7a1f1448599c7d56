"""What the config refuses before anything goes on the wire (issue 12): URLs that are not https
(but for loopback), carry user info, whitespace or control characters; values sent in HTTP
headers that are not printable ASCII. Each refusal is `file: key: reason`, never repeating a
password."""

from __future__ import annotations

import pytest
import tomli_w

from bp_tui.config import config_from_dict, load_config, save_config, url_problem
from bp_tui.errors import ConfigError

BASE = {"brightpearl": {"account_code": "acme"}}


def doc(section: str, **values: object) -> dict:
    out = {"brightpearl": {"account_code": "acme"}}
    out.setdefault(section, {}).update(values)
    return out


def refused(tmp_path, section: str, **values: object) -> str:
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(doc(section, **values)))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    return str(info.value)


# ---- URLs ---------------------------------------------------------------------------

ACCEPTED = [
    "https://euw1.brightpearlconnect.com/public-api/acme",
    "https://ssapi.shipstation.com",
    "https://api.example.com:8443/base/",
    "http://127.0.0.1:8787/public-api/demo",  # what `bp-tui sandbox serve` prints
    "http://127.9.9.9",
    "http://localhost:9000",
    "http://LOCALHOST",
    "http://[::1]:8787/x",
]


@pytest.mark.parametrize("url", ACCEPTED)
@pytest.mark.parametrize(
    "section, key", [("brightpearl", "integration_url"), ("shipstation", "base_url")]
)
def test_https_and_loopback_http_urls_are_accepted(section, key, url):
    config = config_from_dict(doc(section, **{key: url}))
    assert config.get(f"{section}.{key}") == url
    assert url_problem(url) is None


REFUSED = [
    ("http://ssapi.shipstation.com", "must use https"),
    ("http://10.0.0.5:8080", "must use https"),
    ("http://0.0.0.0:8787", "must use https"),
    ("http://localhost.evil.example", "must use https"),
    ("http://127.0.0.1.evil.example", "must use https"),
    ("http://[::ffff:8.8.8.8]", "must use https"),
    ("https://host.example/pub\nlic-api", "whitespace or a control character"),
    ("https://host.example/\r\nX-Injected: 1", "whitespace or a control character"),
    ("https://host.example/a b", "whitespace or a control character"),
    ("https://host.example\t/", "whitespace or a control character"),
    ("https://host.example/\x1b[31m", "whitespace or a control character"),
    ("https://host.example/\u200b", "whitespace or a control character"),
    ("https://host.example/\u00a0", "whitespace or a control character"),
    ("https://host.example:99999/", "not a valid URL"),
    ("https://[::1/", "not a valid URL"),
    ("https:///path-only", "has no host name"),
    ("ftp://host.example", "not an http(s) URL"),
    ("host.example", "not an http(s) URL"),
]


@pytest.mark.parametrize("url, words", REFUSED, ids=[repr(u) for u, _ in REFUSED])
@pytest.mark.parametrize(
    "section, key", [("brightpearl", "integration_url"), ("shipstation", "base_url")]
)
def test_bad_urls_are_refused_as_file_key_reason(tmp_path, section, key, url, words):
    message = refused(tmp_path, section, **{key: url})
    assert message.startswith(f"{tmp_path / 'config.toml'}: {section}.{key}: "), message
    assert words in message
    assert "\n" not in message and "\r" not in message and "\x1b" not in message  # one inert line


USER_INFO = [
    "http://ops:hunter2pw@127.0.0.1:8787/public-api/demo",
    "https://ops:hunter2pw@euw1.brightpearlconnect.com/public-api/acme",
    "https://hunter2pw@ssapi.shipstation.com",
    "https://ops:hunter2pw@[::1]/",
    "ops:hunter2pw@ssapi.shipstation.com",  # no scheme: still never repeated
    "https://ops:hunter2pw@host.example:notaport/",
]


@pytest.mark.parametrize("url", USER_INFO)
@pytest.mark.parametrize(
    "section, key", [("brightpearl", "integration_url"), ("shipstation", "base_url")]
)
def test_user_info_is_refused_and_the_password_never_repeated(tmp_path, section, key, url):
    message = refused(tmp_path, section, **{key: url})
    assert f"{section}.{key}: " in message
    assert "hunter2pw" not in message and "ops:" not in message


def test_user_info_reason_says_what_is_wrong():
    assert "user name or password" in url_problem("https://ops:pw@ssapi.shipstation.com")


def test_no_name_but_loopback_passes_over_http():
    # the in-process sandbox is addressed over https (its transport never leaves the process)
    assert url_problem("https://brightpearl.sandbox") is None
    assert url_problem("https://shipstation.sandbox") is None
    assert "must use https" in url_problem("http://brightpearl.sandbox")
    assert "must use https" in url_problem("http://shipstation.sandbox")
    assert "must use https" in url_problem("http://other.sandbox")
    assert "must use https" in url_problem("http://brightpearl.sandbox.evil.example")


def test_the_sandbox_served_config_loads(tmp_path):
    """`bp-tui sandbox serve` prints http://127.0.0.1 keys: they must load as they are."""
    from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
    from bp_tui.sandbox.server import connection_toml
    from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox

    path = tmp_path / "config.toml"
    path.write_text(
        connection_toml(BrightpearlSandbox(), ShipStationSandbox(), "http://127.0.0.1:8787")
    )
    config = load_config(path, env={})
    assert config.brightpearl.integration_url.startswith("http://127.0.0.1:8787/")
    assert config.shipstation.base_url.startswith("http://127.0.0.1:8787")


def test_saving_refuses_a_plain_http_url(tmp_path):
    config = config_from_dict(BASE)
    config.shipstation.base_url = "http://ssapi.shipstation.com"
    with pytest.raises(ConfigError, match="shipstation.base_url: must use https"):
        save_config(config, tmp_path / "config.toml")
    assert not (tmp_path / "config.toml").exists()


# ---- values sent in HTTP headers ------------------------------------------------------


@pytest.mark.parametrize(
    "section, key, value",
    [
        ("brightpearl", "token", "tökén-123"),
        ("brightpearl", "token", "abc\ndef"),
        ("brightpearl", "token", "abc def"),
        ("brightpearl", "token", "abc\u00a0"),
        ("brightpearl", "app_ref", "acme_app\u2019"),
        ("shipstation", "api_key", "key\u00e9"),
        ("shipstation", "api_secret", "s3cr3t-v4lue\r\n"),
    ],
)
def test_values_sent_in_headers_must_be_visible_ascii(tmp_path, section, key, value):
    message = refused(tmp_path, section, **{key: value})
    assert f"{section}.{key}: must be printable ASCII" in message and "HTTP header" in message
    assert value.strip() not in message  # a secret's value is never repeated


def test_a_non_ascii_token_from_the_environment_is_refused_naming_the_variable(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(BASE))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={"BP_TUI_BRIGHTPEARL_TOKEN": "jéton-secret"})
    message = str(info.value)
    assert message.startswith(
        "BP_TUI_BRIGHTPEARL_TOKEN (environment): brightpearl.token: must be printable ASCII"
    )
    assert "jéton" not in message


def test_ordinary_header_values_and_non_ascii_elsewhere_still_load(tmp_path):
    config = config_from_dict(
        {
            "brightpearl": {
                "account_code": "acme",
                "auth": "staff_token",
                "app_ref": "acme_app",
                "token": "4f7c-11e9_AB.cd~",
                "username": "opé@acme.example",
                "password": "pässwörd 1",
            },
            "shipstation": {"api_key": "0123456789abcdef", "api_secret": "fedcba9876543210"},
        }
    )
    assert config.brightpearl.token == "4f7c-11e9_AB.cd~"
    assert config.brightpearl.password == "pässwörd 1"  # sent in a JSON body, not a header
