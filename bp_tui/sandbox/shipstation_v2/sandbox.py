"""A ShipStation account served by its V2 app (``app``); ``v1_app`` serves the same account
through V1, as one real account answers both APIs on plans that include V1."""

from __future__ import annotations

from typing import Any

from bp_tui.sandbox.shipstation import shapes as v1shapes
from bp_tui.sandbox.shipstation.account import SANDBOX_USER, ShipStationAccount
from bp_tui.sandbox.shipstation.app import build_app
from bp_tui.sandbox.shipstation_v2.app import build_v2_app
from bp_tui.sandbox.shipstation_v2.face import DEFAULT_KEY, V2_RATE_LIMIT, V2Face


class ShipStationV2Sandbox(ShipStationAccount):
    # What the real-world heartbeat does on this account (chosen): V2 shows no merge links (the
    # reference's merged-order fields are V1's ``mergedIds``), so a merge made in the UI can only
    # be seen through V1; ``merge_orders`` stays callable for tests of what V2 then shows.
    real_world_events = ("split", "return_label", "late_void")

    def __init__(
        self,
        *,
        v2_key: str = DEFAULT_KEY,
        rate_limit: int = V2_RATE_LIMIT,
        window_s: float = 60.0,
        **options: Any,
    ) -> None:
        super().__init__(rate_limit=rate_limit, window_s=window_s, **options)
        self.v2 = V2Face(self, api_key=v2_key, rate_limit=rate_limit, window_s=window_s)
        self.app = build_v2_app(self.v2)
        self.v1_app = build_app(self)

    def create_unfinished_label(self, order_id: int, status: str = "processing") -> dict:
        """A V2 label that is not a shipment yet: ``processing`` (being made; ``complete_label``
        finishes it) or ``error`` (could not be made). The order stays open, and V1 lists
        neither (it has no such notion); the label has no tracking number."""
        if status not in ("processing", "error"):
            raise ValueError(f"status must be processing or error, not {status!r}")
        order = self.orders[order_id]
        record = v1shapes.shipment_record(
            order,
            shipment_id=next(self._shipment_ids),
            tracking_number="",
            carrier_code="ups",
            service_code="ups_ground",
            when=self.now(),
            user_id=SANDBOX_USER,
        )
        record["trackingNumber"], record["v2_status"] = None, status
        self.v2.unfinished[record["shipmentId"]] = record
        return record

    def complete_label(self, shipment_id: int) -> dict:
        """A ``processing`` label completed: the same label id, now with a tracking number, a live
        label of its order (which becomes shipped, as with ``create_label``)."""
        record = self.v2.unfinished.pop(shipment_id)
        if record.get("v2_status") != "processing":
            self.v2.unfinished[shipment_id] = record
            raise ValueError(
                f"label {shipment_id} is {record.get('v2_status')}: "
                "only a processing label completes"
            )
        del record["v2_status"]
        order, when = self.orders[record["orderId"]], self.now()
        record["trackingNumber"] = f"1Z999AA1{next(self._tracking):010d}"
        self.shipments[shipment_id] = record
        self._set_status(order, "shipped", when)
        order["shipDate"] = record["shipDate"]
        order["carrierCode"], order["serviceCode"] = record["carrierCode"], record["serviceCode"]
        return record

    def settings(self, base_url: str = "https://shipstation.sandbox") -> dict:
        """The ``[shipstation]`` config keys that point at this sandbox's V2 API."""
        return self.v2.settings(base_url)
