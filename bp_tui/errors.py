"""Exceptions shared by the core packages.

Every error a person may see carries a sentence that says what is wrong and, where we
know it, what to do. Secrets never appear in these messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# C0 controls but newline and tab, DEL, C1 controls (which include the 8-bit CSI and OSC),
# the bidirectional overrides and isolates (text that displays in another order than it reads),
# and lone surrogates (which cannot even be encoded for the terminal).
TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str) -> str:
    """``text`` from outside (an API answer, a file) made safe to print on a terminal.

    Every character that a terminal would act on instead of showing is written as an escape
    (``\\x1b``, ``\\x9b``, ``\\u202e``), so an escape sequence in a customer name or an error
    message shows up as text and never moves the cursor, retitles the window or hides a line.
    Newlines and tabs are kept.
    """
    return TERMINAL_UNSAFE.sub(_escape, text)


REDACTED_SECRET = "***"


def scrub_secrets(text: str, secrets: Iterable[str], mask: str = REDACTED_SECRET) -> str:
    """``text`` with every occurrence of every non-empty secret replaced by ``mask``.

    Secrets of any length are scrubbed (a short password is still a password), the longest
    first, so that one secret inside another never leaves the longer one half shown.
    """
    for secret in sorted({str(s) for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, mask)
    return text


class BpTuiError(Exception):
    """Base class of every error bp-tui raises on purpose."""


class ConfigError(BpTuiError):
    """The config file is missing, unreadable or invalid.

    ``problems`` holds one ``file: key: reason`` line per problem found.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ConfigWriteError(ConfigError):
    """The config file could not be written (``cause`` says why); the file on disk is unchanged."""

    def __init__(self, problems: list[str], cause: OSError):
        self.cause = cause
        super().__init__(problems)


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
