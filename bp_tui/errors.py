"""Exceptions shared by the core packages, and the sanitizer and redactor for their text.

Every error a person may see carries a sentence that says what is wrong and, where we
know it, what to do. Secrets never appear in these messages.

The errors form a tree by what the caller must do. Stop the cycle (``CycleStop``), fail this
one note (``ApiError``) and ask again later (``ApiThrottled``) are siblings, so an ``except`` of
one never catches another:

- ``BpTuiError``: every error bp-tui raises on purpose.
  - ``ConfigError``: the config file is missing or invalid: fix it (``ConfigWriteError``: not
    written, the file on disk is unchanged).
  - ``CycleStop``: stop the sync cycle now; nothing more can be done this run, and the next run
    goes on from where this one stopped.
    - ``ApiAuthError``: credentials refused, or the account has no API access.
    - ``ApiUnavailable``: no usable answer (network, timeouts, repeated 5xx, a lost answer).
    - ``StopRequested``: a person asked to stop (SIGINT, SIGTERM, the dashboard).
  - ``ApiError``: the API refused this one request: that note (or order) fails or waits, and the
    cycle goes on with the others (``brightpearl.apierrors.GonConflict``,
    ``shipstation.v2.client.V1OnlyError``).
  - ``ApiThrottled``: ask again later: still throttled after waiting as told.
  - ``StateError``: the state file cannot be used (corrupt, foreign, newer): nothing runs.
  - ``SyncLocked``: another sync holds this state's lock: wait for it, or stop.
  - ``ProfileError``: a bad profile name, a missing or existing profile, one in use.

``ApiAuthError``, ``ApiUnavailable``, ``ApiError`` and ``ApiThrottled`` are also ``ApiProblem``,
which carries what the API said (service, status, code, message, hint, ``describe()``). Catch
``ApiProblem`` where every API failure gets the same answer (a CLI message, a doctor row); catch
a branch where the answer differs.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

# The one list of hostile characters, for the CLI and the dashboard alike: C0 controls but newline
# and tab, DEL, C1 controls (which include the 8-bit CSI and OSC), the bidirectional marks,
# overrides and isolates (text that displays in another order than it reads), the Unicode line and
# paragraph separators, and lone surrogates (which cannot even be encoded for the terminal).
HOSTILE_CHARACTERS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\ud800-\udfff"
)
TERMINAL_UNSAFE = re.compile(f"[{HOSTILE_CHARACTERS}]")
# The same, and newline and tab too: for text shown on one line of a table or a field.
TERMINAL_UNSAFE_ONE_LINE = re.compile(f"[\t\n{HOSTILE_CHARACTERS}]")
# Every line break there is: newline, and what inert already escapes (\r, \v, \f, \x1c-\x1e, \x85,
# \u2028, \u2029). Text from outside shown on one line of plain output has them all escaped.
LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str, *, keep_layout: bool = True) -> str:
    """``text`` from outside (an API answer, a file) made safe to print on a terminal.

    Every character that a terminal would act on instead of showing is written as an escape
    (``\\x1b``, ``\\x9b``, ``\\u202e``), so an escape sequence in a customer name or an error
    message shows up as text and never moves the cursor, retitles the window or hides a line.
    Newlines and tabs are kept, unless ``keep_layout`` is false (then ``\\x0a``, ``\\x09``).
    """
    return (TERMINAL_UNSAFE if keep_layout else TERMINAL_UNSAFE_ONE_LINE).sub(_escape, text)


def inert_line(text: str) -> str:
    """:func:`inert`, and newlines escaped too (``\\n``): text from outside (a vendor's message, a
    name) that is shown as one line, so that it cannot forge further lines of the output."""
    return LINE_BREAK.sub(_escape_break, inert(text))


def _escape_break(match: re.Match[str]) -> str:
    return "\\n" if match.group() == "\n" else match.group()


REDACTED_SECRET = "***"

# A run of this many characters of a long secret (or of one of its encodings) is masked where it
# appears, so a token cut short by a truncated message, split across lines or quoted in part is
# still hidden: a 44-character token shown 38 characters long is masked. Chosen: 8 characters of a
# random token (48 bits) are too specific to match ordinary text by chance, and the at most 7 left
# visible of each piece leave far too many unknown characters to guess the rest.
PARTIAL_RUN = 8
# Secrets (and encodings) shorter than this are masked whole only: their parts are ordinary words.
PARTIAL_FROM = 12


def _b64_forms(raw: bytes) -> set[str]:
    """base64 of ``raw`` (standard and URL-safe, with and without padding), and the characters
    that ``raw`` alone determines when it is inside a longer encoded value (``key:secret``), at
    each of the three byte alignments."""
    forms: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + raw).decode("ascii")
        first = -(-8 * shift // 6)  # the first character whose bits all come from ``raw``
        last = 8 * (shift + len(raw)) // 6  # one past the last such character
        if shift == 0:
            forms |= {encoded, encoded.rstrip("=")}
        forms.add(encoded[first:last])
    return forms | {f.replace("+", "-").replace("/", "_") for f in forms}


def secret_forms(secrets: Iterable[str]) -> set[str]:
    """Every form in which ``secrets`` can come back: as given, URL-encoded (``quote`` and
    ``quote_plus``), JSON-escaped, in base64 alone or inside a longer value, and each pair as the
    ``Basic`` credential ``base64(key:secret)``."""
    plain = sorted({str(s) for s in secrets if s})
    forms: set[str] = set()
    for secret in plain:
        forms |= {
            secret,
            quote(secret, safe=""),
            quote(secret),
            quote_plus(secret),
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            json.dumps(secret)[1:-1].replace("/", "\\/"),
        }
        forms |= _b64_forms(secret.encode("utf-8"))
    for first in plain:
        for second in plain:
            if first != second:
                forms |= _b64_forms(f"{first}:{second}".encode())
    return {f for f in forms if f}


@functools.lru_cache(maxsize=32)
def _patterns(secrets: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The forms masked whole, and the runs of long forms (worked out once per set of secrets)."""
    whole: list[str] = []
    grams: set[str] = set()
    # A URL (an alert URL) is masked whole in every form, never by runs: its scheme and host are
    # shown on purpose; the config gives its secret parts as secrets of their own.
    urls = tuple(s for s in secrets if "://" in s)
    whole.extend(secret_forms(urls) if urls else ())
    for form in secret_forms(tuple(s for s in secrets if "://" not in s)):
        if len(form) >= PARTIAL_FROM:
            grams.update(form[i : i + PARTIAL_RUN] for i in range(len(form) - PARTIAL_RUN + 1))
        else:
            whole.append(form)
    return tuple(whole), frozenset(grams)


def scrub_secrets(text: str, secrets: Iterable[str], mask: str = REDACTED_SECRET) -> str:
    """``text`` with every secret, in every form of :func:`secret_forms`, replaced by ``mask``.

    Short secrets are masked wherever they appear whole (a short password is still a password);
    long ones also wherever a run of :data:`PARTIAL_RUN` of their characters appears. This is the
    one redactor of bp-tui: error text, the audit log, the bundle and the screens use it.
    """
    text = str(text)
    whole, grams = _patterns(tuple(sorted({str(s) for s in secrets if s})))
    if not text or not (whole or grams):
        return text
    hidden = bytearray(len(text))
    for form in whole:
        start = text.find(form)
        while start != -1:
            hidden[start : start + len(form)] = b"\x01" * len(form)
            start = text.find(form, start + 1)
    if grams:
        for i in range(len(text) - PARTIAL_RUN + 1):
            if text[i : i + PARTIAL_RUN] in grams:
                hidden[i : i + PARTIAL_RUN] = b"\x01" * PARTIAL_RUN
    if not any(hidden):
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        if hidden[i]:
            while i < len(text) and hidden[i]:
                i += 1
            out.append(mask)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


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


class StateError(BpTuiError):
    """The state file cannot be used (corrupt, foreign, or from a newer bp-tui)."""


class SyncLocked(BpTuiError):
    """Another sync holds the state's lock (``pid`` and ``since`` as its lock file says)."""

    def __init__(self, pid: int | None, since: str | None):
        self.pid = pid
        self.since = since
        who = f"pid {pid}" if pid else "pid unknown"
        when = f" since {since}" if since else ""
        super().__init__(f"another sync is running ({who}{when}); use --wait to wait for it")


class ProfileError(BpTuiError):
    """A bad profile name, a missing or existing profile, a link, or a profile in use."""


class CycleStop(BpTuiError):
    """The sync cycle must stop now: nothing more can be done this run."""


class ApiProblem(BpTuiError):
    """An API call went wrong: what the API said, and what it means.

    ``service`` is "brightpearl" or "shipstation"; ``status`` the HTTP status (0 when no
    answer came); ``code`` the vendor's error code when it gave one; ``message`` the
    vendor's text; ``hint`` a human sentence about what it means and what to do.
    Raised only as one of its kinds: ApiError, ApiThrottled, ApiAuthError, ApiUnavailable.
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
        name = {"brightpearl": "Brightpearl", "shipstation": "ShipStation"}.get(
            self.service, self.service
        )
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


class ApiError(ApiProblem):
    """The API refused this one request (a 4xx, an answer it cannot serve): the note or order
    it was for fails or waits; the cycle goes on. Retrying the same request will not help."""


class ApiThrottled(ApiProblem):
    """Still throttled after waiting as told and retrying: ask again later."""


class ApiAuthError(ApiProblem, CycleStop):
    """Credentials refused, or the account has no API access. Retrying will not help."""


class ApiUnavailable(ApiProblem, CycleStop):
    """No usable answer after the retries: network down, timeouts, repeated 5xx."""


class StopRequested(CycleStop):
    """SIGINT/SIGTERM arrived: the sync cycle stopped between two writes."""
