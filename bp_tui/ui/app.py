"""The dashboard App: three modes (queue, setup, troubleshoot) over one Connector.

Long work (sync cycles, checks, diagnoses, pick lists) runs in App-level workers so it
survives screen switches and never blocks typing; engine events come back as Messages.

SIGTERM or SIGHUP (in a real terminal) stop a running sync at its next safe point, between
two writes, then the app exits the usual way: the terminal is restored and the process
exits 0, as ``bp-tui sync --watch`` does when stopped. The terminal going away (its hang-up,
or a write to it failing: ``ui/terminal.py``) does the same, whether or not SIGHUP comes with it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rich
from rich.segment import Segments
from textual import on, work
from textual.app import App
from textual.driver import Driver
from textual.message_pump import MessagePump
from textual.reactive import var
from textual.worker import Worker, WorkerState

from bp_tui.config import Config
from bp_tui.core.types import CheckResult, CycleSummary, Progress
from bp_tui.errors import BpTuiError
from bp_tui.paths import make_private_folder
from bp_tui.ui.commands import ActionsProvider
from bp_tui.ui.format import Clock, clean, system_clock
from bp_tui.ui.keys import NAV_BINDINGS
from bp_tui.ui.messages import (
    ApiVersionDetected,
    CheckReported,
    ChecksFinished,
    DiagnosisReady,
    LookupsLoaded,
    SyncFinished,
    SyncProgress,
    SyncStarted,
)
from bp_tui.ui.profile_session import OVERVIEW_BINDING, ProfileSession
from bp_tui.ui.screens.help import HelpScreen
from bp_tui.ui.screens.overview import OverviewScreen
from bp_tui.ui.screens.queue import QueueScreen
from bp_tui.ui.screens.setup import SetupScreen
from bp_tui.ui.screens.troubleshoot import TroubleshootScreen
from bp_tui.ui.screens.unsaved import Choice, UnsavedChangesScreen
from bp_tui.ui.status import SyncStatus

if TYPE_CHECKING:
    from bp_tui.service.connector import Connector
    from bp_tui.service.profiles import Profile

ConnectorFactory = Callable[[Config], "Connector"]

SYNC_KINDS = {
    "sync": {},
    "import only": {"import_only": True},
    "confirm only": {"confirm_only": True},
    # a person confirmed the cancellations the deletion guard held (x on the queue screen)
    "confirm cancels": {"confirm_cancel": True},
}
# How often, at most, the queue reloads from the state db while a cycle reports progress.
LIVE_REFRESH_SECONDS = 1.0
# Signals that stop the dashboard cleanly (a running sync first stops between two writes).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class BpApp(App[None]):
    """bp-tui's dashboard."""

    TITLE = "bp-tui"
    CSS_PATH = ["styles/app.tcss"]
    MODES = {"queue": QueueScreen, "setup": SetupScreen, "troubleshoot": TroubleshootScreen}
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = NAV_BINDINGS
    PROFILE_MODES = ("queue", "setup", "troubleshoot")  # rebuilt when another profile is opened

    status: var[SyncStatus] = var(SyncStatus, init=False)
    queue_version: var[int] = var(0, init=False)

    def __init__(
        self,
        *,
        config: Config | None,
        state_path: Path,
        config_path: Path | None = None,
        connector: Connector | None = None,
        connector_factory: ConnectorFactory | None = None,
        demo: Any = None,
        clock: Clock = system_clock,
        auto_sync: bool = True,
        demo_tick_seconds: float = 3.0,
        progress_linger_seconds: float = 1.5,
        profile_name: str | None = None,
        profiles: list[ProfileSession] | None = None,
    ) -> None:
        super().__init__()
        # Several profiles: the app opens on their overview, and shows one profile at a time.
        self.sessions: dict[str, ProfileSession] = {s.profile.name: s for s in profiles or []}
        self.profile_name = profile_name  # the profile on screen (None: the install's only one)
        if len(self.sessions) > 1:
            self.add_mode("overview", OverviewScreen)
            # F5 only here: with one profile, help and the palette stay as they were
            self._bindings.key_to_bindings.setdefault(OVERVIEW_BINDING.key, []).append(
                OVERVIEW_BINDING
            )
        self.config = config
        self.config_path = config_path
        self.state_path = state_path
        self.connector = connector
        self.connector_factory = connector_factory
        self.demo = demo
        self.clock = clock
        self.auto_sync = auto_sync
        self.demo_tick_seconds = demo_tick_seconds
        self.progress_linger_seconds = progress_linger_seconds
        self._last_live_refresh = 0.0
        self.stop_signal: int | None = None  # the signal that asked the app to stop
        self.terminal_lost = False  # the terminal went away (ui/terminal.py)
        self._signals: list[int] = []  # signal handlers this app installed
        self.status = SyncStatus(connected=connector is not None)
        if demo is not None:
            self.sub_title = "demo: in-process sandbox"

    # ----------------------------------------------------------------- lifecycle
    def on_mount(self) -> None:
        if self.has_overview:
            self.switch_mode("overview")
        else:
            if (
                self.connector is None
                and self.config is not None
                and self.connector_factory is not None
            ):
                self._open_connector(self.config)
            self._load_last_run()
            self.switch_mode("queue" if self.config is not None else "setup")
            if self.connector is not None:
                self.load_names()
        if self.auto_sync:
            self.status = self.status.but(next_sync_at=self.clock())
            self.set_interval(1.0, self._heartbeat, name="auto-sync")
            self._heartbeat()
        if self.demo is not None and self.demo_tick_seconds > 0:
            self.set_interval(self.demo_tick_seconds, self._demo_tick, name="demo-tick")
        if not self.is_headless:  # a real terminal; under run_test the loop is the test's
            self._install_signal_handlers()

    def _open_connector(self, config: Config) -> None:
        """Open the real connector, but only for a config complete enough to sync."""
        assert self.connector_factory is not None
        if config.missing_for_sync():
            return
        self.connector = self.connector_factory(config)
        self.status = self.status.but(connected=True)

    def _load_last_run(self) -> None:
        if self.connector is None:
            return
        last = self.connector.last_run()
        budget = self.connector.budget()
        if last is not None:
            self.status = self.status.but(last_run_at=last[0], last_summary=last[1], budget=budget)
        else:
            self.status = self.status.but(budget=budget)

    async def on_unmount(self) -> None:
        self._remove_signal_handlers()
        shown = self.connector
        await self.close_connector()
        for session in self.sessions.values():  # the profiles opened before the one on screen
            connector, session.connector = session.connector, None
            if connector is not None and connector is not shown:
                await connector.aclose()

    # ------------------------------------------------------------------ profiles
    @property
    def has_overview(self) -> bool:
        return len(self.sessions) > 1

    def profile_list(self) -> list[Profile]:
        return [session.profile for session in self.sessions.values()]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "overview":
            return self.has_overview
        return True

    def action_overview(self) -> None:
        """F5: back to the overview of every profile (the profile on screen keeps syncing)."""
        if not self.has_overview or self.current_mode == "overview":
            return
        setup = self._setup_screen()
        if setup is not None and setup.has_unsaved_changes():
            self.notify(
                "Save or undo the setup changes first (F3).", title="Profiles", severity="warning"
            )
            return
        self.switch_mode("overview")

    def open_profile(self, name: str) -> bool:
        """Show the profile ``name``: its queue (its setup while it has no connection); False,
        with a notice, while a sync of the profile on screen runs."""
        session = self.sessions.get(name)
        if session is None:
            return False
        if name == self.profile_name:
            self.switch_mode("queue" if self.config is not None else "setup")
            return True
        if self.status.running:
            self.notify(
                f"A sync of {self.profile_name} is running; open {name} when it ends.",
                title="Profiles",
                severity="warning",
                markup=False,
            )
            return False
        if session.problem:
            self.notify(
                session.problem, title=f"Profile {name}", severity="error", timeout=8, markup=False
            )
            return False
        if self.profile_name in self.sessions:  # keep the one on screen open, for coming back
            self.sessions[self.profile_name].connector = self.connector
            self.sessions[self.profile_name].config = self.config
        self.profile_name = name
        self.config, self.config_path, self.state_path = (
            session.config,
            session.profile.config_path,
            session.profile.state_path,
        )
        self.connector, self.connector_factory = session.connector, session.connector_factory
        if session.demo is not None:
            self.demo = session.demo
        self.status = SyncStatus(connected=self.connector is not None)
        if (
            self.current_mode in self.PROFILE_MODES
        ):  # a screen of the profile before cannot stay open
            self.switch_mode("overview")
        for (
            mode
        ) in self.PROFILE_MODES:  # the screens of the profile before: built again for this one
            if mode in self._screen_stacks:
                self.remove_mode(mode)
                self.add_mode(mode, self.MODES[mode])
        if (
            self.connector is None
            and self.config is not None
            and self.connector_factory is not None
        ):
            self._open_connector(self.config)
        self._load_last_run()
        if self.auto_sync:
            self.status = self.status.but(next_sync_at=self.clock())
        self.switch_mode("queue" if self.config is not None else "setup")
        if self.connector is not None:
            self.load_names()
        return True

    async def close_connector(self) -> None:
        connector, self.connector = self.connector, None
        if connector is not None:
            await connector.aclose()

    # ------------------------------------------------------------------- signals
    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            try:
                loop.add_signal_handler(signum, self.request_stop, signum)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # no such signals here (Windows), or not the main thread
            self._signals.append(signum)

    def _remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._signals:
            loop.remove_signal_handler(signum)
        self._signals.clear()

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this platform; on Linux and macOS the one that also ends the app
        when its terminal goes away (``ui/terminal.py``)."""
        driver = super().get_driver_class()
        if driver.__module__ == "textual.drivers.linux_driver" and driver.__name__ == "LinuxDriver":
            from bp_tui.ui.terminal import HangupDriver

            return HangupDriver
        return driver

    def terminal_gone(self) -> None:
        """The terminal went away (its hang-up, or a write to it failed): nothing can be shown or
        typed any more, so stop as on SIGHUP (a running sync first, at its next safe point)."""
        self.terminal_lost = True
        if self.stop_signal is None:
            self.request_stop(signal.SIGHUP)

    def request_stop(self, signum: int = signal.SIGTERM) -> None:
        """Exit cleanly; a running sync first stops at its next safe point (between two writes).

        No new sync starts after this. The app exits when the sync worker has ended.
        """
        self.stop_signal = signum
        if self.connector is not None and self.status.running:
            self.connector.stop_requested = True
            self.status = self.status.but(step="stopping")
            self.notify(
                "Stopping the sync between two writes, then quitting.", title="Stopping", timeout=10
            )
            return
        self.exit()

    async def action_quit(self) -> None:
        """q / ctrl+q: quit, but first ask "Save, discard or stay?" when setup has unsaved
        changes."""
        if isinstance(self.screen, UnsavedChangesScreen):
            return  # already asking
        setup = self._setup_screen()
        if setup is None or not setup.has_unsaved_changes():
            self.exit()
            return
        self.push_screen(UnsavedChangesScreen(), lambda choice: self._quit_as_chosen(setup, choice))

    def _quit_as_chosen(self, setup: SetupScreen, choice: Choice | None) -> None:
        if choice == "discard":
            self.exit()
        elif choice == "save":
            if setup.save():
                self.exit()
            elif self.current_mode != "setup":
                self.switch_mode("setup")  # where the reason is shown, with the form as it was

    def _setup_screen(self) -> SetupScreen | None:
        """The setup screen, if it was opened (its form keeps its values across screen switches)."""
        try:
            stack = self.get_screen_stack("setup")
        except KeyError:
            return None
        return next((screen for screen in stack if isinstance(screen, SetupScreen)), None)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen(self.screen))

    # ------------------------------------------------------------------- syncing
    def _heartbeat(self) -> None:
        """Once a second: start the automatic sync when it is due."""
        status = self.status
        if not status.connected or status.paused or status.running or self.connector is None:
            return
        if self.stop_signal is not None:
            return
        if status.next_sync_at is not None and status.next_sync_at <= self.clock():
            self.start_sync("sync")

    def _interval(self) -> timedelta:
        seconds = self.connector.config.sync.interval_seconds if self.connector else 120
        return timedelta(seconds=seconds)

    def start_sync(self, kind: str = "sync") -> bool:
        """Start a cycle in the background; False (with a notice) when it cannot start."""
        if self.connector is None:
            self.notify(
                "No connection yet: fill in Setup (F3) and save.", title="Sync", severity="warning"
            )
            return False
        if self.status.running:
            self.notify("A sync is already running.", title="Sync", severity="warning")
            return False
        if self.stop_signal is not None:
            return False
        self.status = self.status.but(
            running=True, kind=kind, step="starting", done=0, total=0, error=""
        )
        self._sync_worker(kind)
        return True

    @work(exclusive=True, group="sync", exit_on_error=False, name="sync")
    async def _sync_worker(self, kind: str) -> CycleSummary:
        assert self.connector is not None
        self.post_message(SyncStarted(kind))
        summary = await self.connector.run_cycle(on_progress=self._on_progress, **SYNC_KINDS[kind])
        self.post_message(SyncFinished(summary))
        return summary

    def _on_progress(self, progress: Progress) -> None:
        """Every engine progress event becomes a message; those waiting in the queue are
        handled as one, the newest (``SyncProgress.can_replace``)."""
        self.post_message(SyncProgress(progress))

    def on_sync_progress(self, message: SyncProgress) -> None:
        progress = message.progress
        step = "stopping" if self.stop_signal is not None else progress.step
        self.status = self.status.but(step=step, done=progress.done, total=progress.total)
        now = time.monotonic()
        if now - self._last_live_refresh >= LIVE_REFRESH_SECONDS:
            self._last_live_refresh = now
            self.queue_version += 1

    def on_sync_finished(self, message: SyncFinished) -> None:
        summary = message.summary
        now = self.clock()
        budget = self.connector.budget() if self.connector else self.status.budget
        self.status = self.status.but(
            running=False,
            step="",
            last_run_at=now,
            last_summary=summary,
            next_sync_at=now + self._interval(),
            budget=budget,
        )
        self.queue_version += 1
        parts = [
            f"{summary.imported} imported",
            f"{summary.confirmed} confirmed",
            f"{summary.failed} failed",
        ]
        if summary.attention:
            parts.append(f"{summary.attention} need attention")
        self.notify(
            ", ".join(parts),
            title="Sync finished",
            severity="warning" if summary.failed else "information",
            timeout=4,
        )

    def toggle_pause(self) -> None:
        paused = not self.status.paused
        next_at = self.status.next_sync_at
        if not paused:
            next_at = self.clock()
        self.status = self.status.but(paused=paused, next_sync_at=next_at)
        self.notify(
            "Auto-sync paused." if paused else "Auto-sync resumed.", title="Auto-sync", timeout=3
        )

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """Central error handling: a failed worker becomes a notice, never a crash."""
        worker = event.worker
        if worker.name == "sync" and self.stop_signal is not None and worker.is_finished:
            self.exit()  # stopped (or finished) after a stop signal: nothing more to show
            return
        if event.state is WorkerState.ERROR:
            error = worker.error
            text = clean(str(error) or type(error).__name__)  # API error texts: shown as they are
            self.notify(
                text,
                title=f"{worker.name or 'task'} failed",
                severity="error",
                timeout=8,
                markup=False,
            )
            if worker.name == "sync":
                now = self.clock()
                self.status = self.status.but(
                    running=False, step="", error=text, next_sync_at=now + self._interval()
                )
                self.queue_version += 1
        elif event.state is WorkerState.CANCELLED and worker.name == "sync":
            self.status = self.status.but(running=False, step="")

    # ---------------------------------------------------------- order actions
    def retry(self, gon_ids: list[int] | None) -> int:
        if self.connector is None:
            return 0
        count = self.connector.retry(gon_ids)
        what = "all failed" if gon_ids is None else ", ".join(f"GON {g}" for g in gon_ids)
        self.notify(
            f"{count} goods-out note(s) will be retried next sync ({what}).",
            title="Retry",
            timeout=4,
        )
        self.queue_version += 1
        return count

    @work(exclusive=True, group="names", exit_on_error=False, name="names")
    async def load_names(self) -> None:
        """Warehouse names for the queue; without them it shows ids (the doctor reports why)."""
        if self.connector is None:
            return
        try:
            await self.connector.load_names()
        except BpTuiError:
            return
        self.queue_version += 1

    @work(group="diagnose", exit_on_error=False, name="diagnose")
    async def diagnose(self, ident: int, requester: MessagePump) -> None:
        if self.connector is None:
            self.notify(
                "No connection yet: fill in Setup (F3) and save.",
                title="Diagnose",
                severity="warning",
            )
            return
        diagnoses = await self.connector.diagnose(ident)
        requester.post_message(DiagnosisReady(ident, diagnoses))

    @work(exclusive=True, group="doctor", exit_on_error=False, name="checks")
    async def run_checks(self, requester: MessagePump, config: Config | None = None) -> None:
        """Doctor checks (live), then the pick lists when the credentials work.

        With ``config`` (the setup form's unsaved values) a temporary connector is used.
        """
        connector, temporary = self._connector_for(config)
        if connector is None:
            self.notify("Fill in the connection first.", title="Checks", severity="warning")
            return
        try:
            results: list[CheckResult] = await connector.doctor(
                on_check=lambda result: requester.post_message(CheckReported(result))
            )
            requester.post_message(ChecksFinished(results))
            if all(r.ok for r in results if "auth" in r.id or "reach" in r.id):
                requester.post_message(LookupsLoaded(await connector.lookups()))
        finally:
            if temporary:
                await connector.aclose()
        if self.connector is not None:
            self.status = self.status.but(budget=self.connector.budget())

    @work(exclusive=True, group="doctor", exit_on_error=False, name="detect API")
    async def detect_shipstation_api(self, requester: MessagePump, config: Config) -> None:
        """Which ShipStation API the form's key (and secret) belong to; the answer goes to
        ``requester``."""
        connector, temporary = self._connector_for(config)
        if connector is None:
            self.notify("Fill in the connection first.", title="Checks", severity="warning")
            return
        try:
            check = await connector.detect_shipstation_api(
                config.shipstation.api_key, config.shipstation.api_secret
            )
        finally:
            if temporary:
                await connector.aclose()
        requester.post_message(ApiVersionDetected(check.version, check.sentence()))

    def _connector_for(self, config: Config | None) -> tuple[Connector | None, bool]:
        if config is None or (
            self.connector is not None and config.as_dict() == self.connector.config.as_dict()
        ):
            return self.connector, False
        if self.connector_factory is None:
            return self.connector, False
        return self.connector_factory(config), True

    def export_bundle(self, directory: Path | None = None) -> Path | None:
        if self.connector is None:
            self.notify(
                "No connection yet: nothing to export.", title="Support bundle", severity="warning"
            )
            return None
        folder = directory or self.state_path.parent
        make_private_folder(folder)
        path = self.connector.export_support_bundle(folder)
        self.notify(clean(path), title="Support bundle written", timeout=8, markup=False)
        return path

    @work(exclusive=True, group="branding", exit_on_error=False, name="push branding")
    async def push_branding(self, values: dict[str, str]) -> None:
        if self.connector is None:
            self.notify("Save a working connection first.", title="Branding", severity="warning")
            return
        await self.connector.push_store_branding(**values)
        self.notify("Branding sent to the ShipStation store.", title="Branding", timeout=4)

    def apply_config(self, config: Config) -> None:
        """After Save: use the new settings (open the connector on first run)."""
        self.config = config
        if self.connector is not None:
            self.connector.reload_config(config)
        elif self.connector_factory is not None:
            self._open_connector(config)
            self._load_last_run()
            if self.auto_sync:
                self.status = self.status.but(next_sync_at=self.clock())
        self.queue_version += 1

    # --------------------------------------------------------------------- demo
    def _demo_tick(self) -> None:
        self._demo_worker()

    @work(exclusive=True, group="demo", exit_on_error=False, name="demo")
    async def _demo_worker(self) -> None:
        demos = [s.demo for s in self.sessions.values() if s.demo is not None] or [self.demo]
        for demo in demos:  # every profile's sandbox moves, shown or not
            await demo.tick()

    # -------------------------------------------------------------------- crash
    def _fatal_error(self) -> None:
        """Textual's crash report, without the local variables of each frame.

        Textual shows them by default; here they could hold what was typed into the setup
        form (an API secret in an ``Input.Changed`` event, the form's values), and crash
        reports get pasted into tickets. The rest is Textual 8.2.8's own ``_fatal_error``.
        """
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()
