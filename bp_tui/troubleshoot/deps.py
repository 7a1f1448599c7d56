"""What troubleshooting reads: passed in by the service, so this package never reaches into
the connector (and never imports it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bp_tui.brightpearl.port import BrightpearlPort
from bp_tui.config.model import Config
from bp_tui.shipstation.port import ShipStationPort
from bp_tui.state.store import StateStore


@dataclass
class Sources:
    config: Config
    bp: BrightpearlPort
    ss: ShipStationPort
    store: StateStore
    warehouse_name: Callable[[int | None], str] = lambda _id: ""
