"""`bp-tui` (no command) and `bp-tui demo`: the Textual dashboard.

This is the only command module that imports ``bp_tui.ui`` (and so Textual), and only when
one of its commands runs.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bp_tui.cli import exitcodes
from bp_tui.cli.common import say, warn_permissions
from bp_tui.config import Config
from bp_tui.errors import ConfigError
from bp_tui.paths import make_private_folder, resolve_config_path, resolve_state_path
from bp_tui.service.profiles import load_profile_config

if TYPE_CHECKING:
    from bp_tui.sandbox.environment import SandboxEnvironment
    from bp_tui.service.connector import Connector
    from bp_tui.service.profiles import Profile


DEMO_PROFILES = ("north-shop", "south-shop")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the dashboard against the built-in sandbox (writes only to a temporary folder)",
    )
    parser.add_argument(
        "--orders", type=int, default=60, help="Brightpearl orders to seed (default 60)"
    )
    parser.add_argument("--no-mouse", action="store_true", help="leave the mouse to the terminal")
    parser.add_argument(
        "--ss-api",
        choices=("v1", "v2"),
        default="v1",
        help="the ShipStation API the demo's account is reached through (default v1)",
    )
    parser.add_argument(
        "--profiles",
        type=int,
        choices=(1, 2),
        default=2,
        help="demo profiles, each its own Brightpearl account and ShipStation store (default 2)",
    )
    parser.set_defaults(func=cmd_demo)


def install_default(parser: argparse.ArgumentParser) -> None:
    """Make `bp-tui` with no command open the dashboard (subcommands override this default)."""
    parser.add_argument(
        "--no-mouse",
        action="store_true",
        help="dashboard: leave the mouse to the terminal (text selection over SSH)",
    )
    parser.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    name = getattr(args, "profile", None)
    if (
        name is None
    ):  # no profile chosen: several open on their overview, a lone named one opens as is
        from bp_tui.cli.profiles_cmd import install_profiles

        found = install_profiles(args).list()
        if len(found) > 1:
            return _dashboard_of_profiles(args, found)
        if len(found) == 1 and not found[0].is_default:
            name = found[0].name
            args.config, args.state = str(found[0].config_path), str(found[0].state_path)
    path = resolve_config_path(args.config)
    config: Config | None = None
    if path.exists():
        try:
            config = load_profile_config(path, name)
        except ConfigError as exc:
            for problem in exc.problems:
                say(f"error: {problem}", file=sys.stderr)
            print(
                "The dashboard does not replace a config file it cannot read: "
                "fix or move it first.",
                file=sys.stderr,
            )
            return exitcodes.USAGE
        warn_permissions(path)
    state_path = resolve_state_path(args.state)

    from bp_tui.service.connector import Connector
    from bp_tui.ui import BpApp

    def factory(cfg: Config) -> Connector:
        make_private_folder(state_path.parent)
        return Connector.open(cfg, state_path, config_path=path, profile=name)

    app = BpApp(
        config=config,
        config_path=path,
        state_path=state_path,
        connector_factory=factory,
        profile_name=name,
    )
    app.run(mouse=not getattr(args, "no_mouse", False))
    return exitcodes.OK


def _dashboard_of_profiles(args: argparse.Namespace, found: list[Profile]) -> int:
    """The dashboard over several profiles: it opens on their overview."""
    from bp_tui.service.connector import Connector
    from bp_tui.ui import BpApp
    from bp_tui.ui.profile_session import ProfileSession

    def factory_for(profile: Profile) -> Callable[[Config], Connector]:
        def factory(cfg: Config) -> Connector:
            profile.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            return Connector.open(
                cfg, profile.state_path, config_path=profile.config_path, profile=profile.name
            )

        return factory

    sessions = []
    for profile in found:
        config, problem = None, ""
        try:
            config = load_profile_config(profile.config_path, profile.name)
        except ConfigError as exc:
            problem = "; ".join(exc.problems) + " (fix or move the file first)"
        else:
            warn_permissions(profile.config_path)
        sessions.append(
            ProfileSession(profile, config, connector_factory=factory_for(profile), problem=problem)
        )
    first = sessions[0]
    app = BpApp(
        config=None,
        config_path=first.profile.config_path,
        state_path=first.profile.state_path,
        profiles=sessions,
    )
    app.run(mouse=not getattr(args, "no_mouse", False))
    return exitcodes.OK


def demo_connector_factory(env: SandboxEnvironment) -> Callable[[Config], Connector]:
    """Connectors for edited settings (Test connection) that still reach the in-process
    sandboxes."""
    from bp_tui.sandbox.environment import in_process
    from bp_tui.service.connector import Connector

    def factory(cfg: Config) -> Connector:
        return Connector(
            cfg,
            env.state_path,
            config_path=env.config_path,
            bp_transport=in_process(env.bp.app),
            ss_transport=in_process(env.ss.app),
            ss_options=env.ss_options if cfg.shipstation.api_version == "v2" else None,
        )  # V2's limiter

    return factory


def cmd_demo(args: argparse.Namespace) -> int:
    from bp_tui.sandbox.environment import build_environment
    from bp_tui.service.profiles import Profile
    from bp_tui.ui import BpApp
    from bp_tui.ui.profile_session import ProfileSession

    workdir = Path(tempfile.mkdtemp(prefix="bp-tui-demo-"))
    try:
        # real_world: the demo's heartbeat also splits, merges, returns and voids old labels.
        # Brightpearl is connected by OAuth, as a new setup is: the sandbox approves at once.
        # Each profile is its own pair of sandboxes (a Brightpearl account, a ShipStation store).
        sessions = []
        for n, name in enumerate(DEMO_PROFILES[: getattr(args, "profiles", 2)]):
            orders = args.orders if n == 0 else max(1, args.orders // 2)
            env = build_environment(
                workdir / name,
                orders=orders,
                seed=1 + n,
                real_world=True,
                bp_auth="oauth",
                ss_api=getattr(args, "ss_api", "v1"),
            )
            asyncio.run(env.oauth_login())
            sessions.append(
                ProfileSession(
                    Profile(name, env.config_path, env.state_path),
                    env.config,
                    connector=env.connector,
                    connector_factory=demo_connector_factory(env),
                    demo=env,
                )
            )
        env = sessions[0].demo
        single = (
            len(sessions) == 1
        )  # several: the overview first, a profile's connector once it is opened
        app = BpApp(
            config=env.config if single else None,
            config_path=env.config_path,
            state_path=env.state_path,
            connector=env.connector if single else None,
            connector_factory=demo_connector_factory(env) if single else None,
            demo=env,
            profiles=None if single else sessions,
        )
        app.run(mouse=not args.no_mouse)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return exitcodes.OK
