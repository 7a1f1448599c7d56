"""A ShipStation V1 account served by its ASGI app: what tests, the demo and ``sandbox serve`` use.

The account (``account.py``) and its HTTP side (``app.py``) do not know each other's
construction; this module puts them together, so neither imports the other in a circle.
"""

from __future__ import annotations

from typing import Any

from bp_tui.sandbox.shipstation.account import ShipStationAccount
from bp_tui.sandbox.shipstation.app import build_app


class ShipStationSandbox(ShipStationAccount):
    """A :class:`ShipStationAccount` with ``app``, the Starlette app serving it (mountable under a
    prefix)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.app = build_app(self)
