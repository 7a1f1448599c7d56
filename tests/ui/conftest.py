"""Dashboard test helpers: a frozen clock, no cursor blink, apps over the in-process sandboxes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Input

from bp_tui.config import Config
from bp_tui.sandbox.environment import SandboxEnvironment, build_environment
from bp_tui.ui import BpApp

# Before every real timestamp the sandbox makes, so ages read "0s" and snapshots stay stable.
FROZEN = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def frozen_clock() -> datetime:
    return FROZEN


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[SandboxEnvironment]:
    environment = build_environment(tmp_path / "env", orders=12, seed=1)
    yield environment


def make_app(
    env: SandboxEnvironment | None = None,
    *,
    config: Config | None = None,
    config_path: Path | None = None,
    state_path: Path | None = None,
    **kwargs: object,
) -> BpApp:
    """The dashboard over ``env``'s real Connector (or config-only, for setup tests)."""
    if env is not None:
        return BpApp(
            config=env.config,
            config_path=env.config_path,
            state_path=env.state_path,
            connector=env.connector,
            clock=frozen_clock,
            auto_sync=False,
            progress_linger_seconds=0,
            **kwargs,
        )  # type: ignore[arg-type]
    assert config_path is not None
    return BpApp(
        config=config,
        config_path=config_path,
        state_path=state_path or config_path.parent / "state.db",
        clock=frozen_clock,
        auto_sync=False,
        progress_linger_seconds=0,
        **kwargs,
    )  # type: ignore[arg-type]


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for every worker and the messages they posted."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def plain(widget) -> str:  # type: ignore[no-untyped-def]
    """The text a Static shows (strings, Rich Text or tables), without styles."""
    import io

    from rich.console import Console

    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=160, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()
