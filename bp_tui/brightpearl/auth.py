"""Brightpearl authentication headers for the four `auth` modes (docs/config.md).

``oauth``: ``Authorization: Bearer`` from the ``OAuthSession`` (``oauth.py``), with
``brightpearl-app-ref`` and ``brightpearl-dev-ref``. ``password``: a legacy token from
``POST {origin}/{account}/authorise``, sent as ``brightpearl-auth``. ``staff_token`` /
``account_token``: ``brightpearl-app-ref`` plus the token header of that kind. The token value
is never put in a repr or message.
"""

from __future__ import annotations

from bp_tui.brightpearl.oauth import OAuthSession
from bp_tui.config.model import BrightpearlSettings
from bp_tui.config.schema import AUTH_MODES


class Credentials:
    def __init__(self, settings: BrightpearlSettings, oauth: OAuthSession | None = None) -> None:
        if settings.auth not in AUTH_MODES:
            raise ValueError(
                f"brightpearl.auth must be one of {', '.join(AUTH_MODES)}, not {settings.auth!r}"
            )
        if (settings.auth == "oauth") != (oauth is not None):
            raise ValueError('an OAuth session goes with auth = "oauth", and only with it')
        self._settings = settings
        self._token: str | None = None  # the legacy session token (password mode)
        self.oauth = oauth

    def __repr__(self) -> str:
        return f"Credentials(mode={self.mode!r}, authenticated={self.has_token})"

    @property
    def mode(self) -> str:
        return self._settings.auth

    @property
    def needs_login(self) -> bool:
        return self.mode == "password"

    @property
    def has_token(self) -> bool:
        return self._token is not None

    @property
    def authorise_url(self) -> str:
        return f"{self._settings.origin}/{self._settings.account_code}/authorise"

    def authorise_body(self) -> dict[str, dict[str, str]]:
        return {
            "apiAccountCredentials": {
                "emailAddress": self._settings.username,
                "password": self._settings.password,
            }
        }

    def set_token(self, token: str | None) -> None:
        self._token = token

    def secrets(self) -> tuple[str, ...]:
        own = (
            self._settings.password,
            self._settings.token,
            self._token or "",
            self._settings.client_secret,
        )
        return tuple(s for s in own if s) + (self.oauth.secrets() if self.oauth is not None else ())

    def headers(self) -> dict[str, str]:
        """The headers of the password and token modes (OAuth's come from ``oauth.headers()``)."""
        s = self._settings
        if self.mode == "password":
            return {"brightpearl-auth": self._token} if self._token else {}
        header = (
            "brightpearl-staff-token" if self.mode == "staff_token" else "brightpearl-account-token"
        )
        return {"brightpearl-app-ref": s.app_ref, header: s.token}
