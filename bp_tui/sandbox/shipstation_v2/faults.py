"""How ShipStation V2 says "server error" and "throttled", for ``sandbox.faults`` (``Chaos``)."""

from __future__ import annotations

import math

from bp_tui.sandbox.faults import Dialect


def _list_key(method: str, path: str) -> str | None:
    if method != "GET":
        return None
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail in ("shipments", "labels", "fulfillments", "warehouses") else None


def _retry_after(seconds: float) -> dict[str, str]:
    # Whole seconds as HTTP says; milliseconds for the short waits of test bursts (chosen).
    value = str(math.ceil(seconds)) if seconds >= 1 else f"{seconds:.3f}"
    return {"Retry-After": value}


SHIPSTATION_V2 = Dialect(
    error_body=None,  # a 500 has no body (the published ServerError: an empty string)
    throttle_status=429,
    throttle_body={
        "request_id": "00000000-0000-4000-8000-00000000fa18",
        "errors": [
            {
                "error_source": "ShipStation",
                "error_type": "system",
                "error_code": "rate_limit_exceeded",
                "message": "You have exceeded the rate limit. Please retry later.",
            }
        ],
    },
    throttle_headers=_retry_after,
    list_key=_list_key,
    answer_kind=lambda method, path: "object",
    wait_headers=("Retry-After",),  # V2 sends no request counts
)
