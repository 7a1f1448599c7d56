"""V2 error answers turned into the same exceptions (and queue reasons) as V1's.

V2 answers errors with one envelope (ShipEngine's): ``{"request_id": "...", "errors": [{
"error_source", "error_type", "error_code", "message"}]}``, sometimes with ``field_name`` and
``field_value``; live bodies say ``error_source: "shipengine"`` where the spec lists
``carrier | order_source | ShipStation``. Items of a batch answer carry ``errors`` as strings
(the spec) or as objects (seen in client code): both are read. The request id goes into the
hint (ShipStation support asks for it); the key is never quoted.
"""

from __future__ import annotations

import json
from typing import Any

from bp_tui.errors import ApiAuthError, ApiError, ApiProblem, ApiUnavailable, scrub_secrets
from bp_tui.shipstation.api_errors import SERVICE

AUTH_MESSAGE = "ShipStation refused the V2 API key"
AUTH_HINT = (
    "check [shipstation] api_key: a V2 key is made under Settings > Account > API Settings with "
    '"V2 API" chosen; V1 keys do not work on V2 (or set api_version = "v1" for a V1 key and secret)'
)
NO_ACCESS_MESSAGE = "this ShipStation account may not use this V2 endpoint"
NO_ACCESS_HINT = (
    "V2's shipping endpoints need a plan with shipping functionality (or the Shipping API add-on "
    "under Settings > Add-Ons); ask the account owner"
)
CONFLICT_CODES = frozenset({"identifier_conflict", "duplicate_external_shipment_id"})


def _entries(body: Any) -> list[Any]:
    if isinstance(body, dict):
        errors = body.get("errors")
        return errors if isinstance(errors, list) else []
    return []


def entry_text(entry: Any, *, with_field: bool = False) -> str:
    """One error (a string or an object) as text."""
    if isinstance(entry, dict):
        message = str(
            entry.get("message") or entry.get("error_message") or entry.get("error_code") or ""
        ).strip()
        field = entry.get("field_name")
        if with_field and field and str(field) not in message:
            message = f"{message} ({field})" if message else str(field)
        return message or json.dumps(entry)[:200]
    return str(entry).strip()


def entry_code(entry: Any) -> str | None:
    return str(entry["error_code"]) if isinstance(entry, dict) and entry.get("error_code") else None


def item_errors(errors: Any) -> str:
    """The ``errors`` of one item of a batch answer (strings or objects) as one sentence."""
    if isinstance(errors, str):
        return errors.strip()
    if not isinstance(errors, list):
        return ""
    return "; ".join(text for text in (entry_text(e) for e in errors if e) if text)


def is_conflict(errors: Any) -> bool:
    """An item refused because its ``external_shipment_id`` is already taken."""
    entries = errors if isinstance(errors, list) else [errors]
    for entry in entries:
        if entry_code(entry) in CONFLICT_CODES:
            return True
        if "already exists" in entry_text(entry).lower():
            return True
    return False


def describe_body(body: Any) -> tuple[str, str | None, str | None]:
    """(sentence, first error_code, request_id) of an error answer, whatever its shape."""
    entries = _entries(body)
    request_id = (
        str(body["request_id"]) if isinstance(body, dict) and body.get("request_id") else None
    )
    if entries:
        text = "; ".join(t for t in (entry_text(e, with_field=True) for e in entries) if t)
        return text, next((c for c in map(entry_code, entries) if c), None), request_id
    if isinstance(body, dict):
        message = body.get("message") or body.get("Message")
        return (str(message) if message else json.dumps(body)[:300]), None, request_id
    if isinstance(body, list):
        return json.dumps(body)[:300], None, request_id
    return (str(body)[:300] if body else ""), None, request_id


def is_throttled(status: int, body: Any) -> bool:
    return status == 429 or any(entry_code(e) == "rate_limit_exceeded" for e in _entries(body))


def error_for(status: int, body: Any, *, path: str, secrets: tuple[str, ...] = ()) -> ApiProblem:
    """The exception for a non-2xx V2 answer to ``path`` (the key is never quoted)."""
    text, code, request_id = describe_body(body)
    detail = scrub_secrets(text, secrets)
    where = f"request to {path}" + (f"; request id {request_id}" if request_id else "")
    if status == 401:
        return ApiAuthError(SERVICE, 401, AUTH_MESSAGE, code=code, hint=AUTH_HINT)
    if status == 403:
        message = NO_ACCESS_MESSAGE if not detail else f"{NO_ACCESS_MESSAGE} ({detail})"
        return ApiAuthError(SERVICE, 403, message, code=code, hint=NO_ACCESS_HINT)
    if status == 404:
        return ApiError(
            SERVICE,
            404,
            f"{path} not found" + (f": {detail}" if detail else ""),
            code=code,
            hint=f"request id {request_id}" if request_id else None,
        )
    if status >= 500:
        return ApiUnavailable(
            SERVICE, status, detail or "ShipStation has encountered an error", code=code, hint=where
        )
    if status == 400:
        return ApiError(SERVICE, 400, detail or "the request is invalid", code=code, hint=where)
    return ApiError(
        SERVICE, status, detail or f"unexpected answer to {path}", code=code, hint=where
    )
