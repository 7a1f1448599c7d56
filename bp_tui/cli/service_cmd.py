"""`bp-tui service unit [--user] [--part sync|status|timer]`: systemd units for `sync --watch`
(hardened, secrets from an environment file, restarted on failure) and for the Prometheus
textfile that `status --prometheus` writes on a timer."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from bp_tui.cli import exitcodes
from bp_tui.cli.common import say
from bp_tui.paths import resolve_config_path, resolve_state_path

PARTS = ("sync", "status", "timer")
SYSTEM_TEXTFILE = Path("/var/lib/node_exporter/textfile_collector/bp_tui.prom")

HARDENING = """\
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
CapabilityBoundingSet=
UMask=0077
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("service", help="run bp-tui under systemd")
    sub = p.add_subparsers(dest="service_command", metavar="{unit}", required=True)
    u = sub.add_parser("unit", help="print a systemd unit (docs/operations.md: systemd)")
    u.add_argument(
        "--user", action="store_true", help="a user unit (systemctl --user) instead of a system one"
    )
    u.add_argument(
        "--part",
        choices=PARTS,
        default="sync",
        help="sync: bp-tui-sync.service (default); status: bp-tui-status.service, which writes the "
        "Prometheus file; timer: bp-tui-status.timer, which runs it every minute",
    )
    u.add_argument(
        "--prometheus",
        metavar="PATH",
        help="where the status unit writes the Prometheus file "
        f"(default: {SYSTEM_TEXTFILE}, or the state's folder with --user)",
    )
    u.set_defaults(func=cmd_unit)


def quote(arg: str) -> str:
    """One argument of a unit's command line: quoted when it has to be, ``%`` doubled."""
    text = arg.replace("%", "%%")
    if any(c in text for c in " \t\"'\\;$"):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$") + '"'
    return text


def cmd_unit(args: argparse.Namespace) -> int:
    config = resolve_config_path(args.config).absolute()
    state = resolve_state_path(args.state).absolute()
    for path in (config, state):
        if any(c in str(path) for c in "\n\r"):
            say(
                f"error: {path!r}: a path with a line break cannot go in a unit file",
                file=sys.stderr,
            )
            return exitcodes.USAGE
    base = [sys.executable, "-m", "bp_tui", "--config", str(config), "--state", str(state)]
    textfile = (
        Path(args.prometheus).expanduser().absolute()
        if args.prometheus
        else (state.parent / "bp_tui.prom" if args.user else SYSTEM_TEXTFILE)
    )
    env_file = (
        (Path.home() / ".config" / "bp-tui" / "env") if args.user else Path("/etc/bp-tui/env")
    )
    text = {"sync": _sync_unit, "status": _status_unit, "timer": _timer_unit}[args.part](
        args.user, base, state, textfile, env_file
    )
    sys.stdout.write(text)
    return exitcodes.OK


def _who(user: bool) -> str:
    return "" if user else f"User={getpass.getuser()}\n"


def _sync_unit(user: bool, base: list[str], state: Path, textfile: Path, env_file: Path) -> str:
    return (
        "# bp-tui-sync.service: `bp-tui sync --watch`, restarted when it fails.\n"
        "# Secrets (BP_TUI_SHIPSTATION_API_KEY=..., BP_TUI_ALERTS_URLS=...) "
        f"go in {env_file}, mode 0600.\n"
        "[Unit]\n"
        "Description=bp-tui: Brightpearl goods-out notes to ShipStation, shipments back\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n\n"
        "[Service]\n"
        "Type=simple\n"
        f"{_who(user)}"
        f"ExecStart={' '.join(quote(a) for a in [*base, 'sync', '--watch'])}\n"
        f"EnvironmentFile=-{quote(str(env_file))}\n"
        "Restart=on-failure\n"
        "RestartSec=30\n"
        "TimeoutStopSec=60\n"
        f"{HARDENING}"
        f"ReadWritePaths={quote(str(state.parent))}\n\n"
        "[Install]\n"
        f"WantedBy={'default.target' if user else 'multi-user.target'}\n"
    )


def _status_unit(user: bool, base: list[str], state: Path, textfile: Path, env_file: Path) -> str:
    folders = sorted({str(state.parent), str(textfile.parent)})
    return (
        "# bp-tui-status.service: writes the Prometheus textfile (run by bp-tui-status.timer).\n"
        "[Unit]\n"
        "Description=bp-tui: health check for node_exporter's textfile collector\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"{_who(user)}"
        "ExecStart="
        f"{' '.join(quote(a) for a in [*base, 'status', '--prometheus', str(textfile)])}\n"
        "# 1 warning, 2 critical and 3 unknown are answers, not failures of the unit\n"
        "SuccessExitStatus=1 2 3\n"
        f"{HARDENING}"
        f"ReadWritePaths={' '.join(quote(f) for f in folders)}\n"
    )


def _timer_unit(user: bool, base: list[str], state: Path, textfile: Path, env_file: Path) -> str:
    return (
        "# bp-tui-status.timer: refreshes the Prometheus textfile every minute.\n"
        "[Unit]\n"
        "Description=bp-tui: refresh the health check's Prometheus file\n\n"
        "[Timer]\n"
        "OnBootSec=1min\n"
        "OnUnitActiveSec=1min\n"
        "AccuracySec=10s\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
