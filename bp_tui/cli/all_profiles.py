"""`bp-tui sync --once|--watch --all-profiles`: every profile's cycles in one process.

Each profile is one asyncio task with its own ``Connector``: its own state, sync lock, OAuth
tokens and API clients (so its own rate limits: Brightpearl's are per account, ShipStation's per
key). A profile whose cycle fails (a revoked grant, nothing answering, a lock held elsewhere, even
an unexpected error) is reported with its name and tried again at its next interval; the others
go on. The process exits with the highest code among the profiles' last cycles (0 all good, 1 some
notes failed or a lock was held, 2 a config or state problem, 3 an API unreachable or refusing).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sqlite3
import sys

from bp_tui.cli import exitcodes
from bp_tui.cli.common import say, warn_permissions
from bp_tui.cli.profiles_cmd import install_profiles
from bp_tui.cli.sync_cmd import ProgressPrinter, one_cycle
from bp_tui.errors import (
    ApiAuthError,
    ApiProblem,
    ApiUnavailable,
    ConfigError,
    StateError,
    StopRequested,
    SyncLocked,
)
from bp_tui.service.connector import Connector
from bp_tui.service.profiles import load_profile_config


def open_all(args: argparse.Namespace) -> tuple[dict[str, Connector], int]:
    """A connector per profile that can sync; the worst code of those that cannot (each named)."""
    connectors: dict[str, Connector] = {}
    code = exitcodes.OK
    profiles = install_profiles(args).list()
    if not profiles:
        say(
            "error: no profiles: run `bp-tui` to set one up, or `bp-tui profiles add NAME`",
            file=sys.stderr,
        )
        return connectors, exitcodes.USAGE
    for profile in profiles:
        try:
            config = load_profile_config(profile.config_path, profile.name)
            missing = config.missing_for_sync()
            if missing:
                raise ConfigError([f"{profile.config_path}: {m}" for m in missing])
            warn_permissions(profile.config_path)
            connectors[profile.name] = Connector.open(
                config, profile.state_path, config_path=profile.config_path, profile=profile.name
            )
        except ConfigError as exc:
            for problem in exc.problems:
                say(f"[{profile.name}] error: {problem}", file=sys.stderr)
            code = max(code, exitcodes.USAGE)
        except (StateError, OSError) as exc:
            say(f"[{profile.name}] error: {profile.state_path}: {exc}", file=sys.stderr)
            code = max(code, exitcodes.USAGE)
    return connectors, code


async def profile_loop(
    name: str, conn: Connector, args: argparse.Namespace, stop: asyncio.Event
) -> int:
    """One profile's cycles until ``stop`` (or one, without --watch); its last cycle's exit code."""
    printer = ProgressPrinter(enabled=sys.stderr.isatty() or not args.json, prefix=f"[{name}] ")
    code = exitcodes.OK
    while not stop.is_set():
        try:
            code, _ = await one_cycle(conn, args, printer, profile=name)
        except StopRequested:
            say(
                f"[{name}] stopped between two writes; the next run continues there",
                file=sys.stderr,
            )
            return exitcodes.OK
        except SyncLocked as exc:
            say(f"[{name}] {exc}", file=sys.stderr)
            code = exitcodes.PARTIAL
        except (sqlite3.OperationalError, StateError) as exc:
            say(
                f"[{name}] error: {conn.state_path}: the state could not be written ({exc})",
                file=sys.stderr,
            )
            code = exitcodes.USAGE
        except (ApiAuthError, ApiUnavailable) as exc:
            say(f"[{name}] error: {exc.describe()}", file=sys.stderr)
            code = exitcodes.UNREACHABLE
        except ApiProblem as exc:
            say(f"[{name}] error: {exc.describe()}", file=sys.stderr)
            code = exitcodes.PARTIAL
        except Exception as exc:  # noqa: BLE001 - one profile's bug must not end the others' syncs
            say(f"[{name}] error: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = exitcodes.PARTIAL
        if not args.watch:
            break
        try:
            await asyncio.wait_for(stop.wait(), timeout=conn.config.sync.interval_seconds)
        except TimeoutError:
            pass
    return code


async def run_all(
    connectors: dict[str, Connector], args: argparse.Namespace, stop: asyncio.Event | None = None
) -> dict[str, int]:
    """Every profile's loop as its own task; SIGINT/SIGTERM stop them all between two writes.
    The connectors are closed at the end. Returns each profile's exit code."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()

    def request_stop() -> None:
        for conn in connectors.values():
            conn.request_stop()
        stop.set()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, request_stop)
        except (NotImplementedError, RuntimeError, ValueError):
            continue  # not the main thread (a test's loop)
        installed.append(sig)
    watcher = asyncio.create_task(_stop_all_when(stop, connectors))
    try:
        names = list(connectors)
        # each profile its own copy of the options (a --confirm-cancel is spent by its own first
        # cycle)
        codes = await asyncio.gather(
            *(profile_loop(n, connectors[n], argparse.Namespace(**vars(args)), stop) for n in names)
        )
        return dict(zip(names, codes, strict=True))
    finally:
        watcher.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
        for conn in connectors.values():
            await conn.aclose()


async def _stop_all_when(stop: asyncio.Event, connectors: dict[str, Connector]) -> None:
    await stop.wait()
    for conn in connectors.values():
        conn.request_stop()


def cmd_sync_all(args: argparse.Namespace) -> int:
    connectors, code = open_all(args)
    if not connectors:
        return code
    codes = asyncio.run(run_all(connectors, args))
    return max([code, *codes.values()])
