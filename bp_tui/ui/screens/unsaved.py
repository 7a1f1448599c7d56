"""Quitting with unsaved changes in setup: "Save, discard or stay?" (keyboard: s, d, Esc; or Tab
to a button and Enter). The screen only answers; the app does what was chosen."""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

Choice = Literal["save", "discard", "stay"]


class UnsavedChangesScreen(ModalScreen[Choice]):
    HELP_TITLE = "Unsaved changes"

    BINDINGS = [
        Binding(
            "s",
            "choose('save')",
            "Save and quit",
            id="unsaved.save",
            tooltip="Write the setup form to the config file (mode 0600), then quit",
        ),
        Binding(
            "d",
            "choose('discard')",
            "Discard and quit",
            id="unsaved.discard",
            tooltip="Quit without saving the setup form",
        ),
        Binding(
            "escape",
            "choose('stay')",
            "Stay",
            id="unsaved.stay",
            tooltip="Back to the dashboard; nothing is saved or lost",
        ),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="unsaved-dialog"):
            yield Static("Setup has unsaved changes.", id="unsaved-title")
            yield Static("Save, discard or stay?")
            with Horizontal(id="unsaved-buttons"):
                yield Button("Save (s)", id="unsaved-save", variant="primary")
                yield Button("Discard (d)", id="unsaved-discard", variant="error")
                yield Button("Stay (Esc)", id="unsaved-stay")
        yield Footer()  # this dialog's keys, not setup's behind it

    def on_mount(self) -> None:
        self.query_one("#unsaved-save", Button).focus()

    def action_choose(self, choice: Choice) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choice = (event.button.id or "").removeprefix("unsaved-")
        if choice in ("save", "discard", "stay"):
            self.dismiss(choice)  # type: ignore[arg-type]
