"""A checkbox whose state reads without colour: ✓ when on, a blank when off."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TextCheckbox(Checkbox):
    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "✓" if self.value else " "
        return super()._button
