"""`bp-tui sandbox serve` and OAuth (issue 15): the OAuth keys are printed beside the password
ones (still the default), `--auth oauth` switches the printed mode, `--oauth-ttl` makes access
tokens short-lived, and the /_sandbox/oauth controls work over HTTP."""

from __future__ import annotations

import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.sandbox.test_serve_cli import EXE, serve


def test_the_oauth_keys_are_printed_and_password_stays_the_default():
    with serve() as (base, keys, comments):
        bp = keys["brightpearl"]
        assert bp["auth"] == "password" and bp["username"] and bp["password"]
        assert bp["oauth_url"] == base + "/oauth" and bp["redirect_uri"].startswith(
            "http://localhost/"
        )
        assert (
            bp["dev_ref"]
            and bp["client_secret"]
            and bp["integration_url"] == base + "/public-api/demo"
        )
        assert not any(line.startswith("# oauth") for line in comments)


def test_short_lived_tokens_over_http_and_the_controls():
    with serve("--auth", "oauth", "--oauth-ttl", "1.5") as (base, keys, comments):
        bp = keys["brightpearl"]
        assert bp["auth"] == "oauth" and "password" not in bp and "username" not in bp
        assert any("access tokens live 1.5 s" in line for line in comments)
        query = {
            "response_type": "code",
            "client_id": bp["app_ref"],
            "redirect_uri": bp["redirect_uri"],
            "state": "s",
        }
        location = httpx.get(f"{bp['oauth_url']}/authorize/demo", params=query).headers["location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        tokens = httpx.post(
            f"{bp['oauth_url']}/token/demo",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": bp["app_ref"],
                "client_secret": bp["client_secret"],
                "redirect_uri": bp["redirect_uri"],
            },
        ).json()
        headers = {
            "Authorization": f"Bearer {tokens['access_token']}",
            "brightpearl-app-ref": bp["app_ref"],
            "brightpearl-dev-ref": bp["dev_ref"],
        }
        url = bp["integration_url"] + "/warehouse-service/warehouse"
        assert httpx.get(url, headers=headers).status_code == 200
        time.sleep(1.6)
        expired = httpx.get(url, headers=headers)
        assert expired.status_code == 401 and expired.json() == {
            "response": "Authorization token expired"
        }
        assert httpx.post(base + "/_sandbox/oauth/hold?seconds=0.5").json() == {"hold_s": 0.5}
        assert httpx.post(base + "/_sandbox/oauth/revoke").json() == {"revoked": 1}
        tally = httpx.get(base + "/_sandbox/oauth").json()
        assert tally["exchanges"] == 1 and tally["live"] == 0 and tally["access_ttl_s"] == 1.5


def test_a_ttl_that_is_not_positive_is_a_usage_error():
    done = subprocess.run(
        [EXE, "sandbox", "serve", "--port", "0", "--orders", "0", "--oauth-ttl", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--oauth-ttl" in done.stderr
