"""Top line: which screen is open (marked with ▸ and brackets, not colour alone), and with
several profiles, which profile the screen shows."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from bp_tui.ui.keys import MODE_KEYS, MODE_TITLES

PROFILE_SHOWN = 12  # at most this many characters of a profile's name, so the tabs fit 80 columns


class NavBar(Static):
    def __init__(self, current: str, *, id: str | None = "navbar") -> None:  # noqa: A002
        super().__init__(id=id)
        self.current = current

    def on_mount(self) -> None:
        self.update(self.render_bar())

    def render_bar(self) -> Text:
        text = Text()
        profile = getattr(self.app, "profile_name", None)
        overview = getattr(self.app, "has_overview", False)
        if profile and self.current != "overview":
            shown = profile if len(profile) <= PROFILE_SHOWN else profile[: PROFILE_SHOWN - 1] + "…"
            text.append(f" profile {shown} ", style="bold reverse")
        else:
            text.append(" bp-tui ", style="bold reverse")
        titles = ({"overview": "Profiles"} if overview else {}) | MODE_TITLES
        keys = {"overview": "F5", **MODE_KEYS}
        for mode, title in titles.items():
            if mode == self.current:
                text.append(f" ▸[{title} {keys[mode]}] ", style="bold")
            else:
                text.append(f"  {title} {keys[mode]}  ", style="dim")
        sub = self.app.sub_title
        if sub:
            text.append(f" │ {sub}", style="italic")
        return text
