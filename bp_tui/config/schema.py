"""The config file's keys: section, name, type, default, allowed values, secrecy.

One table drives loading, validation, saving, masking and the setup screen, so a key
is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    section: str
    name: str
    kind: type | tuple[type, ...]  # int, str, bool, or list (of int)
    default: Any
    choices: tuple[str, ...] = ()
    secret: bool = False
    env: str | None = None  # environment variable that overrides the value
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""
    url: bool = False  # an API address: https, or http to a loopback host only; no user info
    header: bool = False  # sent in an HTTP header: printable ASCII, no spaces

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"


MAX_ID = 2_147_483_647  # ids on both APIs are 32-bit
IMPORT_STATES = ("printed", "picked", "packed")
SHIPPED_ACTIONS = ("mark_shipped", "mark_shipped_and_set_status", "set_status", "none")
# "oauth" is what Brightpearl recommends and what a new setup should choose; a config file without
# ``auth`` keeps meaning "password" (the key's default), so existing files work unchanged.
AUTH_MODES = ("oauth", "staff_token", "password", "account_token")
DEFAULT_OAUTH_URL = "https://oauth.brightpearl.com"
WEIGHT_UNITS = ("grams", "ounces", "pounds")
SS_API_VERSIONS = ("v1", "v2")

KEYS: tuple[Key, ...] = (
    Key("brightpearl", "datacenter", str, "euw1", help="data center code, e.g. euw1 or use1"),
    Key("brightpearl", "account_code", str, "", help="account code (the account id in the URL)"),
    Key(
        "brightpearl",
        "integration_url",
        str,
        "",
        url=True,
        help="API base; empty = derived from data center and account",
    ),
    Key("brightpearl", "auth", str, "password", choices=AUTH_MODES),
    Key("brightpearl", "username", str, ""),
    Key("brightpearl", "password", str, "", secret=True, env="BP_TUI_BRIGHTPEARL_PASSWORD"),
    Key("brightpearl", "app_ref", str, "", header=True),
    Key("brightpearl", "token", str, "", secret=True, env="BP_TUI_BRIGHTPEARL_TOKEN", header=True),
    Key(
        "brightpearl",
        "dev_ref",
        str,
        "",
        header=True,
        help="oauth: your developer reference (brightpearl-dev-ref)",
    ),
    Key(
        "brightpearl",
        "client_secret",
        str,
        "",
        secret=True,
        env="BP_TUI_BRIGHTPEARL_CLIENT_SECRET",
        help="oauth: the app's client secret",
    ),
    Key(
        "brightpearl",
        "oauth_url",
        str,
        DEFAULT_OAUTH_URL,
        url=True,
        help="oauth: {oauth_url}/authorize/{account} and {oauth_url}/token/{account}",
    ),
    Key(
        "brightpearl",
        "redirect_uri",
        str,
        "",
        url=True,
        help="oauth: the redirect URL exactly as registered on the app",
    ),
    Key("brightpearl", "channel_ids", list, [], help="sales channels to import; empty = all"),
    Key("brightpearl", "warehouse_ids", list, [], help="warehouses to import; empty = all"),
    Key("brightpearl", "import_when", str, "printed", choices=IMPORT_STATES),
    Key("brightpearl", "shipped_action", str, "mark_shipped", choices=SHIPPED_ACTIONS),
    Key("brightpearl", "shipped_status_id", int, 0, minimum=0, maximum=MAX_ID),
    Key("brightpearl", "staff_contact_id", int, 0, minimum=0, maximum=MAX_ID),
    Key("brightpearl", "add_order_note", bool, True),
    Key(
        "shipstation",
        "api_version",
        str,
        "v1",
        choices=SS_API_VERSIONS,
        help="v1: key + secret on ssapi.shipstation.com; v2: one key on api.shipstation.com",
    ),
    Key(
        "shipstation",
        "api_key",
        str,
        "",
        secret=True,
        env="BP_TUI_SHIPSTATION_API_KEY",
        header=True,
    ),
    Key(
        "shipstation",
        "api_secret",
        str,
        "",
        secret=True,
        env="BP_TUI_SHIPSTATION_API_SECRET",
        header=True,
    ),
    Key(
        "shipstation",
        "base_url",
        str,
        "https://ssapi.shipstation.com",
        url=True,
        help="API base; with api_version v2 the V1 default means https://api.shipstation.com",
    ),
    Key("shipstation", "store_id", int, 0, minimum=0, maximum=MAX_ID),
    Key(
        "shipstation",
        "notify_customer",
        bool,
        False,
        help="when a note shipped in Brightpearl without a label is marked shipped in ShipStation",
    ),
    Key(
        "shipstation",
        "notify_sales_channel",
        bool,
        False,
        help="when a note shipped in Brightpearl without a label is marked shipped in ShipStation",
    ),
    Key("products", "include_weights", bool, True),
    Key("products", "weight_unit", str, "grams", choices=WEIGHT_UNITS),
    Key("products", "skip_non_stock_rows", bool, True),
    Key("sync", "interval_seconds", int, 120, minimum=10, maximum=86_400),
    Key("sync", "lookback_days", int, 30, minimum=1, maximum=365),
    Key(
        "sync",
        "keep_days",
        int,
        90,
        minimum=1,
        maximum=36_500,
        help="confirmed and cancelled notes older than this leave the state file",
    ),
    Key(
        "alerts",
        "urls",
        str,
        "",
        secret=True,
        env="BP_TUI_ALERTS_URLS",
        help="Apprise URLs (slack://..., mailtos://..., json://...), separated by spaces or commas",
    ),
    Key(
        "alerts",
        "heartbeat_url",
        str,
        "",
        secret=True,
        env="BP_TUI_ALERTS_HEARTBEAT_URL",
        url=True,
        help="pinged after each good cycle, with /fail after a failed one (healthchecks style)",
    ),
    Key(
        "alerts",
        "stuck_minutes",
        int,
        60,
        minimum=1,
        maximum=10_080,
        help="alert when a note stays in failed or attention longer than this",
    ),
    Key(
        "alerts",
        "connection_minutes",
        int,
        15,
        minimum=1,
        maximum=1_440,
        help="alert when Brightpearl or ShipStation cannot be reached for longer than this",
    ),
    Key(
        "alerts",
        "state_size_percent",
        int,
        90,
        minimum=10,
        maximum=100,
        help="alert when the state file reaches this share of its 1 GB size warning",
    ),
    Key(
        "alerts",
        "max_per_hour",
        int,
        10,
        minimum=1,
        maximum=1_000,
        help="at most this many alert messages an hour; past it, one digest",
    ),
    Key(
        "sync",
        "max_cancels",
        int,
        3,
        minimum=0,
        maximum=10_000,
        help="most ShipStation orders one sync cancels for notes deleted in Brightpearl without a "
        "confirmation (every open order always asks)",
    ),
)

SECTIONS: tuple[str, ...] = ("brightpearl", "shipstation", "products", "sync", "alerts")
BY_DOTTED: dict[str, Key] = {k.dotted: k for k in KEYS}
SECRET_KEYS: tuple[Key, ...] = tuple(k for k in KEYS if k.secret)


def keys_of(section: str) -> tuple[Key, ...]:
    return tuple(k for k in KEYS if k.section == section)
