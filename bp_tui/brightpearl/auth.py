"""Brightpearl authentication headers for the three modes of SPEC.md.

``password``: a legacy token from ``POST {origin}/{account}/authorise``, sent as
``brightpearl-auth``. ``staff_token`` / ``account_token``: ``brightpearl-app-ref`` plus
the token header of that kind. The token value is never put in a repr or message.
"""

from __future__ import annotations

from bp_tui.config.model import BrightpearlSettings

AUTH_MODES = ("password", "staff_token", "account_token")


class Credentials:
    def __init__(self, settings: BrightpearlSettings) -> None:
        if settings.auth not in AUTH_MODES:
            raise ValueError(f"brightpearl.auth must be one of {', '.join(AUTH_MODES)}, not {settings.auth!r}")
        self._settings = settings
        self._token: str | None = None  # the legacy session token (password mode)

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
        return tuple(s for s in (self._settings.password, self._settings.token, self._token or "") if s)

    def headers(self) -> dict[str, str]:
        s = self._settings
        if self.mode == "password":
            return {"brightpearl-auth": self._token} if self._token else {}
        header = "brightpearl-staff-token" if self.mode == "staff_token" else "brightpearl-account-token"
        return {"brightpearl-app-ref": s.app_ref, header: s.token}
