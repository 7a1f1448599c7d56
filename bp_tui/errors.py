"""Exceptions shared by the core packages.

Every error a person may see carries a sentence that says what is wrong and, where we
know it, what to do. Secrets never appear in these messages.
"""

from __future__ import annotations


class BpTuiError(Exception):
    """Base class of every error bp-tui raises on purpose."""


class ConfigError(BpTuiError):
    """The config file is missing, unreadable or invalid.

    ``problems`` holds one ``file: key: reason`` line per problem found.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ApiError(BpTuiError):
    """An API answered with an error.

    ``service`` is "brightpearl" or "shipstation"; ``status`` the HTTP status (0 when no
    answer came); ``code`` the vendor's error code when it gave one; ``message`` the
    vendor's text; ``hint`` a human sentence about what it means and what to do.
    """

    def __init__(
        self,
        service: str,
        status: int,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
    ):
        self.service = service
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        name = {"brightpearl": "Brightpearl", "shipstation": "ShipStation"}.get(self.service, self.service)
        parts = [f"{name}"]
        if self.status:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        text = f"{head}: {self.message}" if self.message else head
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class ApiAuthError(ApiError):
    """Credentials refused, or the account has no API access. Retrying will not help."""


class ApiUnavailable(ApiError):
    """No usable answer after the retries: network down, timeouts, repeated 5xx."""


class ApiThrottled(ApiError):
    """Still throttled after waiting as told and retrying."""


class StopRequested(BpTuiError):
    """SIGINT/SIGTERM arrived: the sync cycle stopped between two writes."""
