"""Turn ShipStation V1 error answers into exceptions with a readable sentence.

V1 error bodies are ASP.NET Web API shaped (``Message``, ``ModelState``, ``ExceptionMessage``)
or a lower-case ``{"message": ...}``; 401/404 bodies are undocumented and may be empty or HTML.
"""

from __future__ import annotations

import json
from typing import Any

from bp_tui.errors import ApiAuthError, ApiError, ApiProblem, ApiUnavailable, scrub_secrets

SERVICE = "shipstation"

AUTH_MESSAGE = "ShipStation refused the API key/secret"
AUTH_HINT = (
    "check [shipstation] api_key and api_secret; V1 keys expire, a new pair can be made "
    "under Settings > API in ShipStation"
)
NO_ACCESS_MESSAGE = "this ShipStation account has no API access"
NO_ACCESS_HINT = (
    "the V1 API needs a plan that includes it (Gold/Accelerate or higher); ask the account owner"
)


def _field_name(key: str) -> str:
    # ModelState keys look like "apiOrder[3].shipTo.country" or "request.testlabel".
    head, _, rest = key.partition(".")
    return rest if rest and head in {"apiOrder", "request", "order", "apiStore", "store"} else key


def describe_body(body: Any) -> str:
    """One sentence from an error body, whatever its shape."""
    if isinstance(body, dict):
        model_state = body.get("ModelState") or body.get("modelState")
        if isinstance(model_state, dict) and model_state:
            parts = []
            for key, reasons in model_state.items():
                if isinstance(reasons, list):
                    reason = "; ".join(str(r) for r in reasons)
                else:
                    reason = str(reasons)
                parts.append(f"invalid field {_field_name(str(key))}: {reason}")
            return "; ".join(parts)
        exception = body.get("ExceptionMessage") or body.get("exceptionMessage")
        message = body.get("Message") or body.get("message")
        if exception and message:
            return f"{message} {exception}"
        if exception or message:
            return str(exception or message)
        return json.dumps(body)[:300]
    if isinstance(body, list):
        return json.dumps(body)[:300]
    if body:
        return str(body)[:300]
    return ""


def is_throttled(status: int, body: Any) -> bool:
    """429, or the documented ``{"message": "Too Many Requests"}`` body under another status."""
    if status == 429:
        return True
    return (
        isinstance(body, dict)
        and str(body.get("message", "")).strip().lower() == "too many requests"
    )


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret that an answer may echo back with ``***`` (whatever its length)."""
    return scrub_secrets(text, secrets)


def error_for(status: int, body: Any, *, path: str, secrets: tuple[str, ...] = ()) -> ApiProblem:
    """The exception for a non-2xx answer to ``path`` (the secrets are never quoted)."""
    detail = scrub(describe_body(body), secrets)
    if status == 401:
        return ApiAuthError(SERVICE, 401, AUTH_MESSAGE, hint=AUTH_HINT)
    if status == 403:
        text = NO_ACCESS_MESSAGE if not detail else f"{NO_ACCESS_MESSAGE} ({detail})"
        return ApiAuthError(SERVICE, 403, text, hint=NO_ACCESS_HINT)
    if status == 404:
        return ApiError(SERVICE, 404, f"{path} not found" + (f": {detail}" if detail else ""))
    if status == 400:
        return ApiError(SERVICE, 400, detail or "the request is invalid", hint=f"request to {path}")
    if status >= 500:
        return ApiUnavailable(
            SERVICE,
            status,
            detail or "ShipStation has encountered an error",
            hint=f"request to {path}",
        )
    return ApiError(SERVICE, status, detail or f"unexpected answer to {path}")
