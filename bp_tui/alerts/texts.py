"""Safe text for alerts: no secret, no terminal control, API text cut short; and URLs shown
masked (an Apprise URL carries its service's token)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from bp_tui.errors import inert, scrub_secrets

MAX_API_TEXT = 200  # characters of a vendor's text in a message
MAX_BODY = 3000


def safe(text: str, secrets: Iterable[str], limit: int = MAX_API_TEXT) -> str:
    """Text from outside (a vendor's error, a note's reason): secrets masked, control characters
    escaped, one line, at most ``limit`` characters."""
    text = inert(scrub_secrets(str(text), secrets)).replace("\n", " ").replace("\t", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def url_tokens(url: str) -> list[str]:
    """Every part of ``url`` that may be a secret (user, password, path segments, query values),
    for scrubbing: all but the scheme and the host name."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return [url]
    pieces = re.split(r"[/:@?&=#,;]+", url)
    return [url] + [
        p for p in pieces if len(p) >= 3 and p.lower() not in (host, parts.scheme.lower())
    ]


def mask_url(url: str) -> str:
    """``slack://…`` → ``slack://hooks.slack.com/****``: the scheme and host only."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        host, port = "", ""
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return inert(f"{scheme}://{host}{port}/****" if host else f"{scheme}://****")


def url_id(url: str) -> str:
    """A URL's name in the state: a hash, never the URL (it holds a token)."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def clip(body: str) -> str:
    return body if len(body) <= MAX_BODY else body[: MAX_BODY - 1] + "…"
