"""One profile as the dashboard holds it: where its files are, its settings and its connector."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from bp_tui.config import Config
from bp_tui.service.profiles import Profile

if TYPE_CHECKING:
    from bp_tui.service.connector import Connector

OVERVIEW_BINDING = Binding(
    "f5",
    "overview",
    "Profiles",
    id="nav.overview",
    priority=True,
    show=False,
    key_display="F5",
    tooltip="Every profile, one line each (with several profiles)",
)


@dataclass
class ProfileSession:
    profile: Profile
    config: Config | None
    connector: Connector | None = None
    connector_factory: Callable[[Config], Connector] | None = None
    demo: Any = None  # the profile's sandbox environment, in the demo
    problem: str = ""  # why it cannot be opened (a config that does not load)
