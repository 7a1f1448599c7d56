"""Turn Brightpearl error answers into ApiProblem exceptions with a human hint.

Bodies are either ``{"errors":[{"code","message"}, ...]}`` or ``{"response":"text"}``
(reference §7). The hint says what the common cases mean and what to do.
"""

from __future__ import annotations

from typing import Any

from bp_tui.errors import ApiAuthError, ApiError, ApiProblem, scrub_secrets

SERVICE = "brightpearl"

HINT_BAD_CREDENTIALS = (
    "Brightpearl refused the user name or password: check "
    "brightpearl.username and brightpearl.password"
)
HINT_NO_API_ACCESS = (
    "this Brightpearl account has no API access: ask Brightpearl support to enable it"
)
HINT_BAD_TOKEN = (
    "Brightpearl refused the credentials: check "
    "brightpearl.auth, brightpearl.app_ref and brightpearl.token"
)
HINT_OAUTH_REFUSED = (
    "Brightpearl refused the OAuth token or the app's references: check brightpearl.app_ref and "
    "brightpearl.dev_ref, or run bp-tui auth login (or Setup -> Connect)"
)
HINT_UNKNOWN_CHANNEL = "a channel id does not exist in Brightpearl: check brightpearl.channel_ids"
HINT_THROTTLED = (
    "Brightpearl's limit of 200 requests a minute, shared by "
    "every app on the account, was reached; "
    "bp-tui waits and retries"
)
HINT_ALREADY_SHIPPED = (
    "the goods-out note is already shipped in Brightpearl; nothing more can be written to it"
)


def error_parts(body: Any) -> tuple[str | None, str]:
    """(code, message) of an error body; several errors are joined with "; "."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            codes = [str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code")]
            messages = [str(e.get("message", "")) for e in errors if isinstance(e, dict)]
            return (codes[0] if codes else None), "; ".join(m for m in messages if m)
        response = body.get("response")
        if isinstance(response, str):
            return None, response
    if isinstance(body, str):
        return None, body.strip()[:300]
    return None, ""


def is_throttled_text(message: str) -> bool:
    low = message.lower()
    return "too many requests" in low or "please wait" in low


def is_auth_failure(status: int, code: str | None, message: str) -> bool:
    low = message.lower()
    return (
        status == 401
        or code in ("GWYB-006", "GWYB-003")
        or "not authenticated" in low
        or "unable to authenticate" in low
    )


def hint_for(
    status: int, code: str | None, message: str, *, auth_mode: str = "password"
) -> str | None:
    low = message.lower()
    if code == "GWYB-006" or "unable to authenticate" in low:
        return HINT_BAD_CREDENTIALS
    if code == "GWYB-003" or "does not have api access" in low:
        return HINT_NO_API_ACCESS
    if (
        status == 401
        or "not authenticated" in low
        or "token" in low
        and ("invalid" in low or "expired" in low)
    ):
        if auth_mode == "oauth":
            return HINT_OAUTH_REFUSED
        return HINT_BAD_CREDENTIALS if auth_mode == "password" else HINT_BAD_TOKEN
    if is_throttled_text(message) or status == 429:
        return HINT_THROTTLED
    if "channel" in low and (
        status == 404 or "not exist" in low or "cannot find" in low or "unknown" in low
    ):
        return HINT_UNKNOWN_CHANNEL
    if "already shipped" in low:
        return HINT_ALREADY_SHIPPED
    return None


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret that an answer may echo back with ``***`` (whatever its length)."""
    return scrub_secrets(text, secrets)


def api_error(
    status: int, body: Any, *, auth_mode: str = "password", secrets: tuple[str, ...] = ()
) -> ApiProblem:
    """The exception for an error answer: ApiAuthError for refused credentials."""
    code, message = error_parts(body)
    message = scrub(message, secrets)
    if not message:
        message = f"unexpected answer (HTTP {status})"
    hint = hint_for(status, code, message, auth_mode=auth_mode)
    cls = ApiAuthError if is_auth_failure(status, code, message) else ApiError
    return cls(SERVICE, status, message, code=code, hint=hint)


class GonConflict(ApiError):
    """409 on a goods-out note event: stale ``If-Match`` or already shipped."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, already_shipped: bool = False
    ):
        self.already_shipped = already_shipped
        super().__init__(
            SERVICE,
            status,
            message,
            code=code,
            hint=HINT_ALREADY_SHIPPED if already_shipped else None,
        )
