""" "Cancel the held ShipStation orders?": the person's confirmation the deletion guard asks for
(keyboard: y confirms, n or Esc leaves them held). The screen only answers; the queue screen
starts the confirming sync."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static


class ConfirmCancelScreen(ModalScreen[bool]):
    HELP_TITLE = "Confirm held cancellations"

    BINDINGS = [
        Binding(
            "y",
            "answer(True)",
            "Cancel them",
            id="confirm_cancel.yes",
            tooltip="Sync now, cancelling the held orders of notes still deleted in Brightpearl",
        ),
        Binding(
            "n",
            "answer(False)",
            "Keep them",
            id="confirm_cancel.no",
            tooltip="Back to the queue; nothing is cancelled",
        ),
        Binding(
            "escape",
            "answer(False)",
            "Keep them",
            id="confirm_cancel.esc",
            show=False,
            tooltip="Back to the queue; nothing is cancelled",
        ),
    ]

    def __init__(self, held: int) -> None:
        super().__init__()
        self.held = held

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-cancel-dialog"):
            yield Static(f"Cancel {self.held} held ShipStation orders?", id="confirm-cancel-title")
            yield Static(
                "Their goods-out notes were read twice as deleted in Brightpearl. A sync starts "
                "now: each note is read once more, and only those still deleted are cancelled."
            )
            with Horizontal(id="confirm-cancel-buttons"):
                yield Button("Cancel them (y)", id="confirm-cancel-yes", variant="error")
                yield Button("Keep them (n)", id="confirm-cancel-no", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel-no", Button).focus()  # the safe answer has the focus

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-cancel-yes")
