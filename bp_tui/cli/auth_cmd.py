"""`bp-tui auth login|status|logout`: connect Brightpearl by OAuth from a terminal, over SSH too.

``auth login`` prints the authorize URL on standard output and reads one line from standard
input: the address the browser was sent to after approving. The URL's
``state`` is kept in a private file beside the state database (``{state}.bp-oauth-login.json``,
mode 0600) for 15 minutes, so ``auth login --code ADDRESS-OR-CODE`` can finish the login from
another shell or a script (``auth login --url-only`` prints the URL and exits 0 without reading).
A pasted address must carry that state; a bare code carries none and is refused unless
``--no-state-check`` is given. ``--code -`` reads the address from standard input, so it stays out
of ``ps`` and the shell history. The tokens go to ``{state}.bp-oauth.json`` (0600), never to the
config file, and are never printed; neither is the code.

Exit codes: 0 connected (``status``: a usable token is stored); 2 the config or what was pasted
cannot be used (the message names the key, or says what is wrong); 3 Brightpearl refused (wrong
client secret, a used or old code, a revoked grant, no token stored) or cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from bp_tui.cli import exitcodes
from bp_tui.cli.common import CommandError, fail, open_connector, say
from bp_tui.errors import ApiProblem
from bp_tui.service.connector import Connector
from bp_tui.service.setup import LOGIN_VALID_S, LoginError, TokenSet


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "auth", help='connect bp-tui to Brightpearl by OAuth (auth = "oauth")'
    )
    sub = parser.add_subparsers(dest="auth_command", metavar="{login,status,logout}", required=True)
    login = sub.add_parser(
        "login",
        help="print the authorize URL, read back the address the browser was sent to, "
        "store the tokens",
    )
    login.add_argument(
        "--url-only",
        action="store_true",
        help="print the authorize address and exit 0, keeping the login open for --code (scripts)",
    )
    login.add_argument(
        "--code",
        metavar="ADDRESS",
        help="finish a login started by `bp-tui auth login`: the address the browser "
        "was sent to (its state is checked), or - to read it from standard input (kept "
        "out of ps and the shell history)",
    )
    login.add_argument(
        "--no-state-check",
        action="store_true",
        help="accept a bare code (which carries no state to check) instead of the whole address",
    )
    login.set_defaults(func=cmd_login)
    status = sub.add_parser(
        "status",
        help="whether a usable Brightpearl token is stored (refreshed if due); exit 0 yes, 3 no",
    )
    status.set_defaults(func=cmd_status)
    logout = sub.add_parser("logout", help="forget the stored Brightpearl tokens")
    logout.set_defaults(func=cmd_logout)


def cmd_login(args: argparse.Namespace) -> int:
    try:
        conn = open_connector(args, require_complete=False)
    except CommandError as exc:
        return fail(exc)

    async def go() -> int:
        try:
            return await _login(
                conn, args.code, url_only=args.url_only, no_state_check=args.no_state_check
            )
        finally:
            await conn.aclose()

    return asyncio.run(go())


async def _login(
    conn: Connector, code: str | None, *, url_only: bool = False, no_state_check: bool = False
) -> int:
    login = conn.brightpearl_login()
    problems = login.problems()
    if problems:
        path = conn.config_path or "config"
        return fail(CommandError(exitcodes.USAGE, [f"error: {path}: {p}" for p in problems]))
    try:
        if code is None and url_only:
            say(login.start())
            say(
                f"open it, approve, then within {LOGIN_VALID_S // 60} minutes: "
                "bp-tui auth login --code 'ADDRESS'",
                file=sys.stderr,
            )
            return exitcodes.OK
        if code is None:
            url = login.start()
            say(
                "Open this address in a browser on any computer, log in to Brightpearl "
                "and approve the app:",
                file=sys.stderr,
            )
            say(url, flush=True)
            say(
                "Then paste the whole address the browser was sent to and press Enter.\n"
                "(The page there may fail to load: that is fine, only its address is needed.)",
                file=sys.stderr,
                flush=True,
            )
            pasted = sys.stdin.readline()
            if not pasted.strip():
                say(
                    "error: nothing was pasted. The login stays open for "
                    f"{LOGIN_VALID_S // 60} minutes: finish it "
                    "with  bp-tui auth login --code 'ADDRESS'",
                    file=sys.stderr,
                )
                return exitcodes.USAGE
        elif code == "-":
            pasted = sys.stdin.readline()
            if not pasted.strip():
                say(
                    "error: --code -: nothing on standard input (pipe in the address the browser "
                    "was sent to)",
                    file=sys.stderr,
                )
                return exitcodes.USAGE
        else:
            pasted = code
        tokens = await login.finish(pasted, no_state_check=no_state_check)
    except LoginError as exc:
        say(f"error: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    except ApiProblem as exc:
        say(f"error: {exc.describe()}", file=sys.stderr, line=True)
        return exitcodes.UNREACHABLE
    try:
        await conn.load_names()  # one API call with the new token: app and developer refs accepted
    except ApiProblem as exc:
        say(
            "error: the tokens are stored, but Brightpearl refused an API call with them: "
            f"{exc.describe()}",
            file=sys.stderr,
            line=True,
        )
        return exitcodes.UNREACHABLE
    say(
        f"Connected to Brightpearl account {conn.config.brightpearl.account_code}: "
        f"{_validity(tokens)}."
    )
    return exitcodes.OK


def cmd_status(args: argparse.Namespace) -> int:
    try:
        conn = open_connector(args, require_complete=False)
    except CommandError as exc:
        return fail(exc)

    async def go() -> int:
        try:
            return await _status(conn)
        finally:
            await conn.aclose()

    return asyncio.run(go())


async def _status(conn: Connector) -> int:
    if conn.config.brightpearl.auth != "oauth":
        say(
            f"error: {conn.config_path}: brightpearl.auth is "
            f'"{conn.config.brightpearl.auth}": bp-tui uses '
            'no OAuth token (set auth = "oauth" and run bp-tui auth login)',
            file=sys.stderr,
        )
        return exitcodes.USAGE
    try:
        tokens = await conn.brightpearl_login().status()
    except ApiProblem as exc:
        say(f"not connected: {exc.describe()}", line=True)
        return exitcodes.UNREACHABLE
    say(
        f"Connected to Brightpearl account {tokens.account_code} (app {tokens.app_ref}): "
        f"{_validity(tokens)}."
    )
    return exitcodes.OK


def cmd_logout(args: argparse.Namespace) -> int:
    try:
        conn = open_connector(args, require_complete=False)
    except CommandError as exc:
        return fail(exc)
    try:
        forgot = conn.brightpearl_login().logout()
    except LoginError as exc:
        say(f"error: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    finally:
        asyncio.run(conn.aclose())
    say(
        f"Forgot the stored Brightpearl tokens ({conn.tokens.path})."
        if forgot
        else "No Brightpearl tokens were stored."
    )
    say(
        "To withdraw bp-tui's access in Brightpearl too, "
        "turn the app off in Brightpearl's App Store."
    )
    return exitcodes.OK


def _validity(tokens: TokenSet) -> str:
    until = datetime.fromtimestamp(tokens.expires_at, UTC)
    left = max(0, int((until - datetime.now(UTC)).total_seconds()))
    span = f"{left // 3600} h {left % 3600 // 60} min" if left >= 60 else f"{left} s"
    domain = f"; API domain {tokens.api_domain}" if tokens.api_domain else ""
    return (
        f"access token valid until {until.isoformat(timespec='seconds')} "
        f"({span}; refreshed automatically){domain}"
    )
