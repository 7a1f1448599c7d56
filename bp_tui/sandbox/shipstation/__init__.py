"""A faithful in-process emulation of the ShipStation V1 API (see ``ShipStationSandbox``)."""

from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox

__all__ = ["ShipStationSandbox"]
