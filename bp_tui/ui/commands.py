"""Command palette: one entry for every action of the current screen and of the app."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


def palette_entries(screen: DOMNode) -> Iterator[tuple[str, str, DOMNode, Binding]]:
    """(title, help, namespace, binding) for every described binding, screen first."""
    seen: set[tuple[str, str]] = set()
    for node in (screen, screen.app):
        group = getattr(node, "PALETTE_GROUP", "App")
        for _key, binding in _described(node):
            ident = (binding.action, binding.description)
            if ident in seen:
                continue
            seen.add(ident)
            title = f"{group}: {binding.description}"
            help_text = f"{binding.key_display or binding.key}  {binding.tooltip}".strip()
            yield title, help_text, node, binding


def _described(node: DOMNode) -> Iterator[tuple[str, Binding]]:
    for key, bindings in node._bindings.key_to_bindings.items():  # noqa: SLF001
        for binding in bindings:
            if binding.description:
                yield key, binding


class ActionsProvider(Provider):
    """Every key action of the screen the palette was opened over."""

    def _entries(self) -> list[tuple[str, str, DOMNode, Binding]]:
        return list(palette_entries(self.screen))

    async def discover(self) -> Hits:
        for title, help_text, node, binding in self._entries():
            yield DiscoveryHit(
                title, partial(self.app.run_action, binding.action, node), help=help_text
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, node, binding in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, binding.action, node),
                    help=help_text,
                )
