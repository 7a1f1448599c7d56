"""Bindings shared by every screen: switching screens, help and quit.

Every binding has a stable ``id`` (for ``App.set_keymap``) and a visible description. The
F-keys are priority bindings, so they work while a text input has focus. F2-F4 are shown in
the navigation bar at the top rather than the footer, which keeps the footer within 80 columns.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

NAV_BINDINGS: list[BindingType] = [
    Binding(
        "f1",
        "help",
        "Help",
        id="app.help",
        priority=True,
        key_display="F1",
        tooltip="Every key of this screen",
    ),
    Binding(
        "question_mark",
        "help",
        "Help",
        id="app.help_key",
        key_display="?",
        tooltip="Every key of this screen (outside text inputs)",
    ),
    Binding(
        "f2",
        "switch_mode('queue')",
        "Queue",
        id="nav.queue",
        priority=True,
        show=False,
        key_display="F2",
        tooltip="The order queue: one row per goods-out note",
    ),
    Binding(
        "f3",
        "switch_mode('setup')",
        "Setup",
        id="nav.setup",
        priority=True,
        show=False,
        key_display="F3",
        tooltip="Connection setup: Brightpearl, ShipStation, store settings, sync",
    ),
    Binding(
        "f4",
        "switch_mode('troubleshoot')",
        "Troubleshoot",
        id="nav.troubleshoot",
        priority=True,
        show=False,
        key_display="F4",
        tooltip="Checks, known problems, diagnose one order, support bundle",
    ),
    Binding(
        "q", "quit", "Quit", id="app.quit", tooltip="Quit (outside text inputs); ctrl+q anywhere"
    ),
    Binding(
        "ctrl+q",
        "quit",
        "Quit",
        id="app.quit_anywhere",
        priority=True,
        show=False,
        key_display="^q",
        tooltip="Quit from anywhere",
    ),
]

MODE_TITLES = {"queue": "Queue", "setup": "Setup", "troubleshoot": "Troubleshoot"}
MODE_KEYS = {"queue": "F2", "setup": "F3", "troubleshoot": "F4"}
