"""`--profile NAME` on every command, and `bp-tui profiles list|add|rename|remove`."""

from __future__ import annotations

import argparse
import os
import sys

from bp_tui.cli import exitcodes
from bp_tui.cli.common import CommandError, dumps_json, fail, say
from bp_tui.errors import ProfileError
from bp_tui.paths import resolve_config_path, resolve_state_path
from bp_tui.service.profiles import DEFAULT, PROFILE_ENV, Profile, Profiles

# Commands that work on every profile at once, or on profiles themselves: no single profile applies.
_NO_PROFILE = ("profiles",)


def add_global_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help=f"the profile (account) to work on (env {PROFILE_ENV}; default: the install's own)",
    )


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "profiles", help="several Brightpearl accounts in one install: list, add, rename, remove"
    )
    sub = p.add_subparsers(
        dest="profiles_command", metavar="{list,add,rename,remove}", required=True
    )
    p_list = sub.add_parser("list", help="every profile, with its config and state paths")
    p_list.add_argument("--json", action="store_true", help="print a JSON list")
    p_list.set_defaults(func=cmd_list)
    p_add = sub.add_parser("add", help="create a profile (then set it up: bp-tui --profile NAME)")
    p_add.add_argument("name")
    p_add.set_defaults(func=cmd_add)
    p_rename = sub.add_parser("rename", help="rename a profile (refused while it syncs)")
    p_rename.add_argument("old")
    p_rename.add_argument("new")
    p_rename.set_defaults(func=cmd_rename)
    p_remove = sub.add_parser(
        "remove", help="remove a profile's config; its state is kept unless --delete-state"
    )
    p_remove.add_argument("name")
    p_remove.add_argument("--yes", action="store_true", help="do not ask first")
    p_remove.add_argument(
        "--delete-state", action="store_true", help="also delete its state (notes, history, tokens)"
    )
    p_remove.set_defaults(func=cmd_remove)


def install_profiles(args: argparse.Namespace) -> Profiles:
    """The install's profiles, found from the default config and state paths (--config, --state,
    env)."""
    return Profiles(resolve_config_path(args.config), resolve_state_path(args.state))


def apply_profile(args: argparse.Namespace) -> None:
    """Point ``args.config`` and ``args.state`` at the chosen profile's files; ``args.profile``
    becomes its name, or None when none was chosen (the install's own files, as always)."""
    name = getattr(args, "profile", None)
    source = "--profile"
    if not name and os.environ.get(PROFILE_ENV):
        name, source = os.environ[PROFILE_ENV], PROFILE_ENV
    if getattr(args, "command", None) in _NO_PROFILE or getattr(args, "all_profiles", False):
        if name and source == "--profile":
            raise CommandError(
                exitcodes.USAGE, [f"error: --profile does not apply to `{_what(args)}`"]
            )
        args.profile = None
        return
    if not name:
        args.profile = None
        return
    if args.config or args.state:
        raise CommandError(
            exitcodes.USAGE,
            [f"error: {source} chooses the config and state files; leave out --config and --state"],
        )
    try:
        found = install_profiles(args)
        profile = found.get(name) if name == DEFAULT else found.existing(name)
    except ProfileError as exc:
        raise CommandError(exitcodes.USAGE, [f"error: {exc}"]) from None
    args.profile = profile.name
    if not profile.is_default:
        args.config, args.state = str(profile.config_path), str(profile.state_path)


def _what(args: argparse.Namespace) -> str:
    return "sync --all-profiles" if getattr(args, "all_profiles", False) else f"{args.command}"


def _describe(profile: Profile) -> dict[str, str]:
    return {
        "name": profile.name,
        "config": str(profile.config_path),
        "state": str(profile.state_path),
    }


def cmd_list(args: argparse.Namespace) -> int:
    profiles = install_profiles(args).list()
    if args.json:
        say(dumps_json([_describe(p) for p in profiles]))
        return exitcodes.OK
    if not profiles:
        say(
            "no profiles yet: run `bp-tui` to set up the default one, or `bp-tui profiles add NAME`"
        )
        return exitcodes.OK
    for profile in profiles:
        say(f"{profile.name:<32}  config {profile.config_path}")
        say(f"{'':<32}  state  {profile.state_path}")
    return exitcodes.OK


def cmd_add(args: argparse.Namespace) -> int:
    try:
        profile = install_profiles(args).add(args.name)
    except ProfileError as exc:
        return fail(CommandError(exitcodes.USAGE, [f"error: {exc}"]))
    except OSError as exc:
        return fail(
            CommandError(exitcodes.USAGE, [f"error: {exc.filename}: {exc.strerror or exc}"])
        )
    say(f"added profile {profile.name}: config {profile.config_path}, state {profile.state_path}")
    say(f"set it up with: bp-tui --profile {profile.name}")
    return exitcodes.OK


def cmd_rename(args: argparse.Namespace) -> int:
    try:
        profile = install_profiles(args).rename(args.old, args.new)
    except ProfileError as exc:
        return fail(CommandError(exitcodes.USAGE, [f"error: {exc}"]))
    except OSError as exc:
        return fail(
            CommandError(
                exitcodes.USAGE,
                [f"error: {exc.filename}: {exc.strerror or exc}; nothing was moved"],
            )
        )
    say(f"renamed profile {args.old} to {profile.name}")
    return exitcodes.OK


def confirm(question: str) -> bool:
    """A y/N question on the terminal; no (and no answer) without one."""
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_remove(args: argparse.Namespace) -> int:
    profiles = install_profiles(args)
    try:
        profile = profiles.existing(args.name)
    except ProfileError as exc:
        return fail(CommandError(exitcodes.USAGE, [f"error: {exc}"]))
    what = "its config and its state" if args.delete_state else "its config (its state is kept)"
    if not args.yes and not confirm(f"Remove profile {profile.name}: {what}?"):
        say("not removed (confirm with y on a terminal, or pass --yes)", file=sys.stderr)
        return exitcodes.PARTIAL
    try:
        profiles.remove(profile.name, delete_state=args.delete_state)
    except ProfileError as exc:
        return fail(CommandError(exitcodes.USAGE, [f"error: {exc}"]))
    except OSError as exc:
        return fail(
            CommandError(exitcodes.USAGE, [f"error: {exc.filename}: {exc.strerror or exc}"])
        )
    say(
        f"removed profile {profile.name}"
        + ("" if args.delete_state else f"; its state stays in {profile.state_dir}")
    )
    return exitcodes.OK
