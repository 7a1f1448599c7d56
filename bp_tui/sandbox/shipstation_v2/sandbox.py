"""A ShipStation account served by its V2 app (``app``); ``v1_app`` serves the same account
through V1, as one real account answers both APIs on plans that include V1."""

from __future__ import annotations

from typing import Any

from bp_tui.sandbox.shipstation.account import ShipStationAccount
from bp_tui.sandbox.shipstation.app import build_app
from bp_tui.sandbox.shipstation_v2.app import build_v2_app
from bp_tui.sandbox.shipstation_v2.face import DEFAULT_KEY, V2_RATE_LIMIT, V2Face


class ShipStationV2Sandbox(ShipStationAccount):
    # What the real-world heartbeat does on this account (chosen): V2 shows no merge links (the
    # reference's merged-order fields are V1's ``mergedIds``), so a merge made in the UI can only
    # be seen through V1; ``merge_orders`` stays callable for tests of what V2 then shows.
    real_world_events = ("split", "return_label", "late_void")

    def __init__(self, *, v2_key: str = DEFAULT_KEY, rate_limit: int = V2_RATE_LIMIT, window_s: float = 60.0,
                 **options: Any) -> None:
        super().__init__(rate_limit=rate_limit, window_s=window_s, **options)
        self.v2 = V2Face(self, api_key=v2_key, rate_limit=rate_limit, window_s=window_s)
        self.app = build_v2_app(self.v2)
        self.v1_app = build_app(self)

    def settings(self, base_url: str = "https://shipstation.sandbox") -> dict:
        """The ``[shipstation]`` config keys that point at this sandbox's V2 API."""
        return self.v2.settings(base_url)
