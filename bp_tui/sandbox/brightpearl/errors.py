"""Error answers of the Brightpearl sandbox, in the API's two body forms."""

from __future__ import annotations

from typing import Any

NOT_AUTHENTICATED = "Not authenticated. You must provide a valid authentication token."
TOO_MANY = "You have sent too many requests. Please wait before sending another request"


class BpError(Exception):
    """An answer with ``{"errors":[{code,message}]}`` (or ``{"response": text}`` when code is
    None)."""

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        if self.code is None:
            return {"response": self.message}
        return {"errors": [{"code": self.code, "message": self.message}]}


def not_found(message: str) -> BpError:
    return BpError(404, "CMNC-404", message)


def bad_request(code: str, message: str) -> BpError:
    return BpError(400, code, message)


def bad_filter(name: str, value: str, data_type: str) -> BpError:
    # Real Brightpearl answers a bad search filter with HTTP 500 CMNC-018 (recorded).
    return BpError(500, "CMNC-018", f"The filter {name}={value} cannot be parsed as: {data_type}")
