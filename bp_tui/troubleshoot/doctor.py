"""The guided checks of `bp-tui doctor` and the troubleshooting screen.

Each check says ok or not, what it saw, and the fix in one sentence. Checks that need a
working connection are reported as not run (with the reason) when an earlier one failed,
so one broken credential does not produce a wall of red.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from bp_tui.brightpearl.oauth import CONNECT, move_to_oauth_steps
from bp_tui.core.sizes import GB, human_bytes
from bp_tui.core.types import CheckResult
from bp_tui.errors import ApiAuthError, ApiProblem, ApiThrottled, ApiUnavailable
from bp_tui.troubleshoot.deps import Sources

HEADROOM_MIN = {"brightpearl": 20, "shipstation": 5}
CLOCK_SKEW_MAX_S = 300
V2_ONE_PAGE = 500  # V2's largest page: doctor's label read is one request
STATE_WARN_BYTES = GB  # a state file past this gets a warning (not a failure) with the fix


async def run_checks(
    src: Sources, on_check: Callable[[CheckResult], object] | None = None
) -> list[CheckResult]:
    results: list[CheckResult] = []

    def add(check: CheckResult) -> None:
        results.append(check)
        if on_check is not None:
            on_check(check)

    cfg = src.config
    missing = cfg.missing_for_sync()
    add(
        CheckResult(
            "config",
            "Config complete and valid",
            not missing,
            "all required keys are set" if not missing else "; ".join(missing),
            ""
            if not missing
            else "fill in the keys named above in connection setup (or the config file)",
        )
    )
    history = cfg.history_warning()
    if history is not None:  # ok (nothing fails), but notes could come back: the fix says how
        detail, _sep, fix = history.partition("; ")
        add(CheckResult("history", "History kept long enough", True, detail, fix, warning=True))

    # ---- Brightpearl
    bp_ok = False
    channels = warehouses = statuses = None
    try:
        if cfg.brightpearl.auth == "oauth" and not await _oauth_checks(src, add):
            raise _NotRun()
        await src.bp.authenticate()
        warehouses = await src.bp.list_warehouses()
        bp_ok = True
        add(CheckResult("bp_reach", "Brightpearl reachable", True, cfg.brightpearl.api_base))
        add(
            CheckResult(
                "bp_auth",
                "Brightpearl credentials accepted",
                True,
                f"auth mode {cfg.brightpearl.auth}"
                + (
                    ": app and developer references accepted"
                    if cfg.brightpearl.auth == "oauth"
                    else ""
                ),
            )
        )
        add(
            CheckResult(
                "bp_account",
                "Brightpearl account code valid",
                True,
                f"account {cfg.brightpearl.account_code} answered",
            )
        )
    except ApiAuthError as exc:
        add(CheckResult("bp_reach", "Brightpearl reachable", True, cfg.brightpearl.api_base))
        add(
            CheckResult(
                "bp_auth",
                "Brightpearl credentials accepted",
                False,
                exc.describe(),
                _auth_fix(cfg.brightpearl.auth, exc, cfg.brightpearl.account_code),
            )
        )
    except ApiProblem as exc:
        unreachable = _address_fix(exc, cfg.brightpearl.api_base, "Brightpearl", BP_ADDRESS)
        if unreachable:
            add(
                CheckResult("bp_reach", "Brightpearl reachable", False, exc.describe(), unreachable)
            )
        elif isinstance(exc, (ApiUnavailable, ApiThrottled)):  # it answers, but cannot serve now
            add(
                CheckResult(
                    "bp_reach",
                    "Brightpearl reachable",
                    False,
                    exc.describe(),
                    _other_fix(exc, "Brightpearl"),
                )
            )
        else:
            add(CheckResult("bp_reach", "Brightpearl reachable", True, cfg.brightpearl.api_base))
            add(
                CheckResult(
                    "bp_account",
                    "Brightpearl account code valid",
                    False,
                    exc.describe(),
                    "check brightpearl.account_code: it is the "
                    "account id in your Brightpearl login URL",
                )
            )
    except _NotRun:
        pass  # the OAuth checks said why
    if bp_ok:
        try:
            channels = await src.bp.list_channels()
            known = {c.id for c in channels}
            bad = [c for c in cfg.brightpearl.channel_ids if c not in known]
            add(
                CheckResult(
                    "bp_channels",
                    "Channel ids exist",
                    not bad,
                    "all channels"
                    if not cfg.brightpearl.channel_ids and not bad
                    else f"unknown channel ids {bad}"
                    if bad
                    else f"channels {cfg.brightpearl.channel_ids}",
                    f"remove {bad} from channel_ids; known channels: {sorted(known)}"
                    if bad
                    else "",
                )
            )
            known_wh = {w.id for w in warehouses or []}
            bad_wh = [w for w in cfg.brightpearl.warehouse_ids if w not in known_wh]
            add(
                CheckResult(
                    "bp_warehouses",
                    "Warehouses exist",
                    not bad_wh,
                    f"unknown warehouse ids {bad_wh}"
                    if bad_wh
                    else f"warehouses {cfg.brightpearl.warehouse_ids or 'all'}",
                    f"remove {bad_wh} from warehouse_ids; known warehouses: {sorted(known_wh)}"
                    if bad_wh
                    else "",
                )
            )
            if cfg.brightpearl.shipped_action in ("mark_shipped_and_set_status", "set_status"):
                statuses = await src.bp.list_order_statuses()
                ids = {s.id for s in statuses}
                ok = cfg.brightpearl.shipped_status_id in ids
                add(
                    CheckResult(
                        "bp_status",
                        "Shipped order status exists",
                        ok,
                        f"status {cfg.brightpearl.shipped_status_id}",
                        ""
                        if ok
                        else f"pick one of the order statuses {sorted(ids)} for shipped_status_id",
                    )
                )
        except ApiProblem as exc:
            add(
                CheckResult(
                    "bp_lookups",
                    "Brightpearl channels and warehouses readable",
                    False,
                    exc.describe(),
                    "give the API user access to products and warehouses",
                )
            )
    await _staff_check(src, add, bp_ok)

    # ---- ShipStation (V1's rows read as they always did; V2 names itself)
    ss_ok = await (
        _check_v2(src, add) if cfg.shipstation.api_version == "v2" else _check_v1(src, add)
    )

    # ---- budgets and clock
    for name, check_id, client, ok in (
        ("brightpearl", "bp_budget", src.bp, bp_ok),
        ("shipstation", "ss_budget", src.ss, ss_ok),
    ):
        remaining = client.gate.remaining
        if not ok or remaining is None:
            continue
        enough = remaining >= HEADROOM_MIN[name]
        add(
            CheckResult(
                check_id,
                f"{'Brightpearl' if name == 'brightpearl' else 'ShipStation'} rate-limit headroom",
                enough,
                f"{remaining} requests left in this minute",
                ""
                if enough
                else "another app is using most of the shared API budget; "
                "find it (or give bp-tui its own key pair) before syncing large batches",
            )
        )
    add(_clock_check(src))
    add(_state_size_check(src))
    return results


async def _check_v1(src: Sources, add: Callable[[CheckResult], None]) -> bool:
    cfg = src.config
    try:
        stores = await src.ss.list_stores()
    except ApiProblem as exc:
        if not _ss_reached(add, exc, cfg.shipstation.api_base, "V1"):
            return False
        add(
            CheckResult(
                "ss_auth",
                "ShipStation credentials accepted",
                False,
                exc.describe(),
                "create an API key pair under ShipStation Settings "
                "> Account > API Settings and paste "
                'both halves; a V2 key (one key, no secret) needs api_version = "v2"'
                if isinstance(exc, ApiAuthError)
                else _other_fix(exc, "ShipStation"),
            )
        )
        return False
    _ss_reached(add, None, cfg.shipstation.api_base, "V1")
    add(
        CheckResult(
            "ss_auth", "ShipStation credentials accepted", True, f"{len(stores)} stores visible"
        )
    )
    store_id = cfg.shipstation.store_id
    if store_id:
        match = [s for s in stores if s.store_id == store_id]
        add(
            CheckResult(
                "ss_store",
                "ShipStation store exists",
                bool(match),
                f"store {store_id} ({match[0].store_name})"
                if match
                else f"store {store_id} not found",
                ""
                if match
                else f"pick one of the stores {[s.store_id for s in stores]} for store_id",
            )
        )
    else:
        manual = [s for s in stores if s.marketplace_name == "ShipStation"]
        add(
            CheckResult(
                "ss_store",
                "ShipStation store exists",
                bool(manual),
                f"default manual store {manual[0].store_id} ({manual[0].store_name})"
                if manual
                else "no manual store on the account",
                "" if manual else "create a manual store in ShipStation or set store_id",
            )
        )
    return True


async def _check_v2(src: Sources, add: Callable[[CheckResult], None]) -> bool:
    """The V2 key, by reading the labels of the last minute (the read every sync makes). V2 has
    no stores endpoint, so the store cannot be checked, only named."""
    try:
        # one page: the labels of the last minute, up to V2's 500 a page (a page of 1 would walk
        # every label of that minute, one request each)
        await src.ss.list_shipments(
            create_date_start=datetime.now(UTC) - timedelta(minutes=1),
            include_items=False,
            page_size=V2_ONE_PAGE,
        )
    except ApiProblem as exc:
        if not _ss_reached(add, exc, src.config.shipstation.api_base, "V2"):
            return False
        add(
            CheckResult(
                "ss_auth",
                "ShipStation V2 key accepted",
                False,
                exc.describe(),
                "make a V2 key under ShipStation Settings > Account > "
                "API Settings (choose V2) and paste it; "
                'a V1 key and secret need api_version = "v1"'
                if isinstance(exc, ApiAuthError)
                else _other_fix(exc, "ShipStation"),
            )
        )
        return False
    _ss_reached(add, None, src.config.shipstation.api_base, "V2")
    add(
        CheckResult(
            "ss_auth",
            "ShipStation V2 key accepted",
            True,
            f"API V2 at {src.config.shipstation.api_base}: labels readable",
        )
    )
    store_id = src.config.shipstation.store_id
    add(
        CheckResult(
            "ss_store",
            "ShipStation store",
            True,
            (
                f"store se-{store_id} is set on new shipments; "
                if store_id
                else "no store_id: new shipments go to ShipStation's default store; "
            )
            + "V2 has no stores endpoint, so it is not checked here and branding push is V1 only",
        )
    )
    return True


BP_ADDRESS = "brightpearl.integration_url, or the data center and account code it is made from"
SS_ADDRESS = "shipstation.base_url"


def _address_fix(exc: ApiProblem, url: str, name: str, keys: str) -> str:
    """The fix when the address itself is wrong: nothing answers there (no connection, or 404),
    or what answers is not the API (a redirect, a page that is not JSON). "" otherwise: the
    API answered, and the error is about the request or the credentials."""
    if isinstance(exc, ApiAuthError):
        return ""
    if exc.status == 0:
        return (
            f"nothing answers at {url}: check the base URL "
            f"({keys}) and this machine's network access"
        )
    if exc.status == 404:
        return f"nothing answers at {url}: check the base URL ({keys})"
    if isinstance(exc, ApiUnavailable) and exc.status < 400:
        return f"{url} answers, but not as the {name} API: check the base URL ({keys})"
    return ""


def _other_fix(exc: ApiProblem, name: str) -> str:
    """The fix for an error that is neither the address nor the credentials."""
    if isinstance(exc, ApiThrottled):
        return (
            f"another app is using this account's {name} request "
            "budget; wait a minute and test again"
        )
    if isinstance(exc, ApiUnavailable):
        return f"{name} answered with server errors; try again in a few minutes"
    return f"{name} refused the request; check the base URL and try again"


def _ss_reached(
    add: Callable[[CheckResult], None], exc: ApiProblem | None, url: str, version: str
) -> bool:
    """The "ShipStation reachable" row, which names the API version in use: False (with the fix)
    when nothing, or not the API, answers at the base URL."""
    fix = _address_fix(exc, url, "ShipStation", SS_ADDRESS) if exc is not None else ""
    if fix:
        assert exc is not None
        add(
            CheckResult(
                "ss_reach", "ShipStation reachable", False, f"API {version}: {exc.describe()}", fix
            )
        )
        return False
    add(CheckResult("ss_reach", "ShipStation reachable", True, f"API {version} at {url}"))
    return True


class _NotRun(Exception):
    """The OAuth token is not usable: the checks that need it are not run."""


async def _staff_check(src: Sources, add: Callable[[CheckResult], None], bp_ok: bool) -> None:
    """``staff_contact_id`` is set when notes are marked shipped, and (Brightpearl answering) is
    one of the account's staff contacts: the shipped event's owner must be staff."""
    cfg = src.config.brightpearl
    needs_staff = cfg.shipped_action in ("mark_shipped", "mark_shipped_and_set_status")
    fix = (
        "set staff_contact_id to the Brightpearl staff contact "
        "who 'ships' the notes (Setup lists them)"
    )
    if not needs_staff or not cfg.staff_contact_id or not bp_ok:
        add(
            CheckResult(
                "bp_staff",
                "Staff contact id set",
                bool(cfg.staff_contact_id) or not needs_staff,
                f"staff_contact_id = {cfg.staff_contact_id}",
                "" if cfg.staff_contact_id or not needs_staff else fix,
            )
        )
        return
    try:
        staff = await src.bp.list_staff()
    except ApiProblem as exc:
        add(
            CheckResult(
                "bp_staff",
                "Staff contact id set",
                True,
                f"staff_contact_id = {cfg.staff_contact_id} (the staff list could not be read: "
                f"{exc.describe()})",
            )
        )
        return
    found = next((c for c in staff if c.id == cfg.staff_contact_id), None)
    if found is not None:
        add(
            CheckResult(
                "bp_staff",
                "Staff contact id set",
                True,
                f"staff_contact_id = {found.id} ({found.name or found.email or 'staff'})",
            )
        )
        return
    listed = ", ".join(f"{c.id} {c.name}".strip() for c in staff[:5]) + (
        " ..." if len(staff) > 5 else ""
    )
    add(
        CheckResult(
            "bp_staff",
            "Staff contact id set",
            False,
            f"contact {cfg.staff_contact_id} is not a staff contact of this account",
            f"{fix}; staff: {listed or 'none found'}",
        )
    )


async def _oauth_checks(src: Sources, add: Callable[[CheckResult], None]) -> bool:
    """OAuth: a token is stored, and refreshed (the new pair stored) when it is due, never on every
    run. True when the API checks can go on."""
    try:
        expires = await src.bp.refresh_access()
    except ApiAuthError as exc:
        stored = exc.code not in ("not_connected", "token_file")
        add(
            CheckResult(
                "bp_oauth_token",
                "Brightpearl OAuth token stored",
                stored,
                "a token is stored" if stored else exc.describe(),
                "" if stored else CONNECT,
            )
        )
        if stored:
            add(
                CheckResult(
                    "bp_oauth_refresh",
                    "Brightpearl token refresh works",
                    False,
                    exc.describe(),
                    exc.hint or CONNECT,
                )
            )
        return False
    except ApiProblem as exc:
        add(
            CheckResult(
                "bp_oauth_token", "Brightpearl OAuth token stored", True, "a token is stored"
            )
        )
        add(
            CheckResult(
                "bp_oauth_refresh",
                "Brightpearl token refresh works",
                False,
                exc.describe(),
                "check this machine's network access and brightpearl.oauth_url",
            )
        )
        return False
    add(CheckResult("bp_oauth_token", "Brightpearl OAuth token stored", True, "a token is stored"))
    until = expires.isoformat(timespec="seconds") if expires else "?"
    add(
        CheckResult(
            "bp_oauth_refresh",
            "Brightpearl token refresh works",
            True,
            f"valid until {until} (the access token is refreshed only when due)",
        )
    )
    return True


def _auth_fix(mode: str, exc: ApiProblem, account_code: str = "") -> str:
    if exc.code == "GWYB-003" or "API access" in (exc.message or ""):
        return "this Brightpearl account has no API access: ask Brightpearl support to enable it"
    if mode == "password":
        return (
            "check brightpearl.username and password (a Brightpearl "
            "staff login with API access); if they are "
            "right, Brightpearl has switched this legacy login off: "
            + move_to_oauth_steps(account_code)
        )
    if mode == "account_token":
        return (
            "check brightpearl.app_ref and the account token (App "
            "Store > Private apps); Brightpearl is "
            "sunsetting system apps and their account tokens: " + move_to_oauth_steps(account_code)
        )
    if mode == "oauth":
        return (
            "check brightpearl.app_ref (the app's reference) and "
            "brightpearl.dev_ref (your developer "
            f"reference) against your Brightpearl developer account, or {CONNECT} again"
        )
    return f"check brightpearl.app_ref and the {mode.replace('_', ' ')} (App Store > Private apps)"


def _clock_check(src: Sources) -> CheckResult:
    """Compare this machine's clock with the last HTTP Date header either API sent."""
    server: datetime | None = None
    for client in (src.bp, src.ss):
        seen = server_time(getattr(client, "last_server_date", None))
        server = seen or server
    if server is None:
        return CheckResult(
            "clock",
            "Clock sane",
            True,
            "no server time seen; local time " + datetime.now(UTC).isoformat(timespec="seconds"),
        )
    skew = abs((datetime.now(UTC) - server).total_seconds())
    ok = skew <= CLOCK_SKEW_MAX_S
    return CheckResult(
        "clock",
        "Clock sane",
        ok,
        f"{skew:.0f} s from the API server's clock",
        "" if ok else "set this machine's clock (enable NTP): shipment windows depend on it",
    )


# An HTTP date (RFC 9110 / 5322), as one of several when a duplicated header was joined with ", ".
_HTTP_DATE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s+(?:[+-]\d{4}|[A-Za-z]{1,5}))?"
)


def server_time(raw: object) -> datetime | None:
    """A ``Date`` header (or a datetime) as an aware time; None when absent or unreadable. A zone
    of ``-0000`` ("UTC, local zone unknown") or none is read as UTC; of a duplicated header
    (joined with ", ") the first readable date counts."""
    if isinstance(raw, datetime):
        return raw if raw.tzinfo is not None else raw.replace(tzinfo=UTC)
    if not isinstance(raw, str) or not raw.strip():
        return None
    for text in [raw.strip(), *_HTTP_DATE.findall(raw[:1000])]:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        if moment is not None:
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return None


def _state_size_check(src: Sources) -> CheckResult:
    """The state file (and its -wal): past STATE_WARN_BYTES a warning, never a failure; the
    fix is to keep less history."""
    sizes = src.store.retention.file_sizes()
    total = sizes["database"] + sizes["wal"]
    notes = sum(src.store.queue.stage_counts().values())
    keep = src.config.sync.keep_days
    if total <= STATE_WARN_BYTES:  # (the exact size: bp-tui state stats)
        return CheckResult(
            "state_size",
            "State file size",
            True,
            f"under {human_bytes(STATE_WARN_BYTES)}: {notes:,} notes (sync.keep_days = {keep})",
        )
    return CheckResult(
        "state_size",
        "State file size",
        True,
        f"{human_bytes(total)}, over "
        f"{human_bytes(STATE_WARN_BYTES)}: {notes:,} notes "
        f"(sync.keep_days = {keep})",
        f"lower sync.keep_days (now {keep}): notes confirmed or "
        "cancelled longer ago leave the state at the "
        "end of the next sync, and the space goes back to the disk",
        warning=True,
    )
