"""The sandbox's OAuth server: the authorization-code grant as reference/brightpearl-auth.md §2
describes Brightpearl's, with the unknowns settled one plausible way (each marked "chosen").

* ``GET {base}/oauth/authorize/{account}``: a valid query (response_type=code, client_id = the
  app reference, redirect_uri = the registered one) is approved at once, as if a staff member
  logged in and clicked Approve, and answered 302 to ``redirect_uri?code=...&state=...``. With
  ``approve`` off the 302 carries ``error=access_denied``. A bad query is answered 400 and never
  redirected (chosen: standard OAuth; Brightpearl's error page was not captured).
* ``POST {base}/oauth/token/{account}`` (form-encoded): ``authorization_code`` and
  ``refresh_token`` grants. ``400 {"error":"invalid_client"}`` for a wrong client id or secret,
  ``400 {"error":"invalid_grant", ...}`` for a used, unknown or expired code, a redirect URI that
  differs from the authorize one (the recorded wordings), and a revoked or replaced refresh token.
* Access tokens live ``access_ttl_s`` (real: 604800). An expired one is answered ``401
  {"response":"Authorization token expired"}``; an unknown or revoked one ``401 {"response":
  "Invalid instance token: <token>"}`` (both recorded).
* Rotation (``rotate``, on by default; chosen, as Brightpearl's is unknown): every refresh gives a
  new pair. The previous pair stays valid until the new one is first used (its access token on
  the API, or its refresh token); then the previous one is retired. A refresh token used again
  before that gets yet another pair and the unused one is discarded. A client that stores the new
  pair before using it therefore never loses the grant, even when killed in between.
* ``revoke()``: the merchant turned the app off; every token of the account is refused.
"""

from __future__ import annotations

import base64
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

DEFAULT_REDIRECT_URI = (
    "http://localhost/bp-tui/oauth-callback"  # what the sandbox app registered (chosen)
)
REAL_ACCESS_TTL_S = 604_800  # 7 days, as recorded
CODE_TTL_S = 300.0  # how long an authorization code may be exchanged (chosen; unknown)
EXPIRED = "Authorization token expired"
BAD_CODE = "The auth token has either expired or does not exist"
BAD_REDIRECT = "Redirect uri does not match that used to request auth token"
BAD_REFRESH = (
    "The refresh token is invalid, revoked or already replaced"  # chosen wording (not captured)
)
BAD_REFS = (
    "Missing or invalid brightpearl-app-ref or brightpearl-dev-ref"  # chosen wording (not captured)
)


def _token() -> str:
    """Like Brightpearl's: base64 text with ``+``, ``/`` and ``=`` (which must be URL-encoded)."""
    return base64.b64encode(os.urandom(31)).decode("ascii")


@dataclass
class Pair:
    access: str
    refresh: str
    expires_at: float


@dataclass
class Grant:
    instance_id: str
    current: Pair
    pending: Pair | None = None  # from a refresh, not used yet: the current pair still works
    revoked: bool = False

    def confirm(self) -> None:
        """The pending pair was used: it becomes the pair in effect; the previous one is retired."""
        if self.pending is not None:
            self.current, self.pending = self.pending, None


@dataclass
class Code:
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class OAuthServer:
    account_code: str
    app_ref: str
    dev_ref: str = "sandboxdev"
    client_secret: str = "sandbox-client-secret"  # "" = a public client, no secret checked
    redirect_uri: str = DEFAULT_REDIRECT_URI
    api_domain: str = "euw1.brightpearlconnect.com"
    access_ttl_s: float = REAL_ACCESS_TTL_S
    rotate: bool = True
    approve: bool = True  # False: the staff member clicks Deny
    hold_s: float = (
        0.0  # the token endpoint answers this late (after issuing): a window to kill a client in
    )
    clock: Callable[[], float] = time.monotonic
    grants: list[Grant] = field(default_factory=list)
    codes: dict[str, Code] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    # ------------------------------------------------------------------ the endpoints
    def authorize(self, account: str, query: Mapping[str, str]) -> tuple[int, dict[str, str]]:
        """(302, {"location": ...}) or (4xx, an error body)."""
        if account != self.account_code:
            return 404, {"error": "not_found", "error_description": f"No account {account}"}
        if query.get("client_id") != self.app_ref:
            return 400, {"error": "invalid_client", "error_description": "Unknown client_id"}
        if query.get("redirect_uri") != self.redirect_uri:
            return 400, {
                "error": "invalid_request",
                "error_description": "redirect_uri is not the one registered on the app",
            }
        if query.get("response_type") != "code":
            return 400, {
                "error": "unsupported_response_type",
                "error_description": "response_type must be code",
            }
        back = {"state": query["state"]} if query.get("state") else {}
        if not self.approve:
            self.counts["denied"] += 1
            return 302, {"location": self._to_redirect({"error": "access_denied", **back})}
        code = _token()
        self.codes[code] = Code(
            redirect_uri=self.redirect_uri, expires_at=self.clock() + CODE_TTL_S
        )
        self.counts["codes"] += 1
        return 302, {"location": self._to_redirect({"code": code, **back})}

    def token(self, account: str, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if account != self.account_code:
            return 404, {"error": "not_found", "error_description": f"No account {account}"}
        if form.get("client_id") != self.app_ref or (
            self.client_secret and form.get("client_secret") != self.client_secret
        ):
            self.counts["invalid_client"] += 1
            return 400, {"error": "invalid_client"}
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        return 400, {"error": "unsupported_grant_type"}

    def check_access(self, token: str) -> str | None:
        """None when ``token`` may call the API; else the 401 answer's text."""
        now = self.clock()
        for grant in self.grants:
            if grant.pending is not None and token == grant.pending.access and not grant.revoked:
                grant.confirm()
            if token == grant.current.access and not grant.revoked:
                return EXPIRED if now >= grant.current.expires_at else None
        return f"Invalid instance token: {token}"

    # ------------------------------------------------------------------ controls
    def revoke(self) -> int:
        """The merchant turned the app off (or removed the approving user): every grant is gone."""
        live = [g for g in self.grants if not g.revoked]
        for grant in live:
            grant.revoked = True
        return len(live)

    def expire_access(self) -> int:
        """Every live access token expires now."""
        now = self.clock()
        for grant in self.grants:
            for pair in (grant.current, grant.pending):
                if pair is not None:
                    pair.expires_at = min(pair.expires_at, now)
        return len(self.grants)

    def tally(self) -> dict[str, Any]:
        return {
            "grants": len(self.grants),
            "live": sum(1 for g in self.grants if not g.revoked),
            "access_ttl_s": self.access_ttl_s,
            "rotate": self.rotate,
            **dict(self.counts),
        }

    # ------------------------------------------------------------------ grants
    def _exchange(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        code = self.codes.get(form.get("code", ""))
        if code is None or code.used or self.clock() >= code.expires_at:
            self.counts["invalid_grant"] += 1
            return 400, {"error": "invalid_grant", "error_description": BAD_CODE}
        if form.get("redirect_uri") != code.redirect_uri:
            self.counts["invalid_grant"] += 1
            return 400, {"error": "invalid_grant", "error_description": BAD_REDIRECT}
        code.used = True
        grant = Grant(instance_id=str(len(self.grants) + 13), current=self._pair())
        self.grants.append(grant)
        self.counts["exchanges"] += 1
        return 200, {**self._answer(grant.current), "installation_instance_id": grant.instance_id}

    def _refresh(self, refresh_token: str) -> tuple[int, dict[str, Any]]:
        for grant in self.grants:
            if grant.revoked:
                continue
            if grant.pending is not None and refresh_token == grant.pending.refresh:
                grant.confirm()
            if refresh_token != grant.current.refresh:
                continue
            self.counts["refreshes"] += 1
            if self.rotate:
                grant.pending = self._pair()  # replaces an earlier one that was never used
                return 200, self._answer(grant.pending)
            grant.current = Pair(_token(), grant.current.refresh, self.clock() + self.access_ttl_s)
            return 200, self._answer(grant.current)
        self.counts["invalid_grant"] += 1
        return 400, {"error": "invalid_grant", "error_description": BAD_REFRESH}

    def _pair(self) -> Pair:
        return Pair(_token(), _token(), self.clock() + self.access_ttl_s)

    def _answer(self, pair: Pair) -> dict[str, Any]:
        return {
            "access_token": pair.access,
            "refresh_token": pair.refresh,
            "api_domain": self.api_domain,
            "token_type": "Bearer",
            "expires_in": max(1, round(self.access_ttl_s)),
        }

    def _to_redirect(self, params: dict[str, str]) -> str:
        joiner = "&" if "?" in self.redirect_uri else "?"
        return f"{self.redirect_uri}{joiner}{urlencode(params)}"
