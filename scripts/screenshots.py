"""Write an SVG of every dashboard screen into screenshots/ (for the README).

Runs headless against the in-process sandbox (nothing leaves the machine):

    python scripts/screenshots.py [--out screenshots] [--size 100x30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.pilot import Pilot  # noqa: E402

from bp_tui.cli.dashboard_cmd import demo_connector_factory  # noqa: E402
from bp_tui.sandbox.environment import build_environment  # noqa: E402
from bp_tui.ui import BpApp  # noqa: E402

Step = Callable[[Pilot], Awaitable[None]]


async def _settle(pilot: Pilot) -> None:
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    pilot.app.clear_notifications()
    await pilot.pause()


async def _sync(pilot: Pilot) -> None:
    await pilot.press("s")
    await _settle(pilot)


async def queue(pilot: Pilot) -> None:
    await _sync(pilot)
    pilot.app.demo.label(4)  # packers print a few labels in ShipStation...
    await pilot.press("c")  # ...and confirm-only writes them back
    await _settle(pilot)


async def queue_detail(pilot: Pilot) -> None:
    await queue(pilot)
    while pilot.app.screen.stage_filter != "confirmed":
        await pilot.press("f")
    await pilot.press("enter")
    await pilot.pause()


async def help_overlay(pilot: Pilot) -> None:
    await _sync(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


async def diagnose(pilot: Pilot) -> None:
    await _sync(pilot)
    await pilot.press("d")
    await _settle(pilot)


async def setup(pilot: Pilot) -> None:
    await pilot.press("f3")
    await pilot.pause()
    await pilot.press("ctrl+t")
    await _settle(pilot)
    pilot.app.screen.query_one("#setup-form").scroll_home(animate=False)
    await pilot.pause()


async def troubleshoot(pilot: Pilot) -> None:
    await _sync(pilot)
    await pilot.press("f4")
    await pilot.pause()
    await pilot.press("t")
    await _settle(pilot)


async def known_problems(pilot: Pilot) -> None:
    await pilot.press("f4", "k")
    await pilot.pause()


async def why_not_importing(pilot: Pilot) -> None:
    await pilot.press("f4", "w", *"50003", "enter")
    await _settle(pilot)


SHOTS: dict[str, Step] = {
    "queue": queue,
    "queue-detail": queue_detail,
    "help": help_overlay,
    "diagnose": diagnose,
    "setup": setup,
    "troubleshoot": troubleshoot,
    "known-problems": known_problems,
    "why-not-importing": why_not_importing,
}


async def shoot(name: str, step: Step, out: Path, size: tuple[int, int]) -> Path:
    with tempfile.TemporaryDirectory(prefix="bp-tui-shots-") as tmp:
        env = build_environment(Path(tmp), orders=24, seed=1)
        app = BpApp(
            config=env.config,
            config_path=Path("~/.config/bp-tui/config.toml"),
            state_path=env.state_path,
            connector=env.connector,
            connector_factory=demo_connector_factory(env),
            demo=env,
            auto_sync=False,
            demo_tick_seconds=0,
            progress_linger_seconds=0,
        )
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await step(pilot)
            path = Path(app.save_screenshot(filename=f"{name}.svg", path=str(out)))
        await env.aclose()
    return path


async def main(out: Path, size: tuple[int, int]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, step in SHOTS.items():
        print(await shoot(name, step, out, size))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "screenshots"
    )
    parser.add_argument(
        "--size", default="100x30", help="terminal size WIDTHxHEIGHT (default 100x30)"
    )
    ns = parser.parse_args()
    width, height = (int(v) for v in ns.size.lower().split("x"))
    asyncio.run(main(ns.out, (width, height)))
