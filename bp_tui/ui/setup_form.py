"""The connection-setup form's layout and value parsing (no widgets here).

Every key of the config schema appears exactly once; values are checked with the same
rules the config loader applies (``check_value``).
"""

from __future__ import annotations

import re
from typing import Any

from bp_tui.config.schema import BY_DOTTED, Key
from bp_tui.config.store import check_value

LABELS: dict[str, str] = {
    "brightpearl.datacenter": "Data center",
    "brightpearl.account_code": "Account code",
    "brightpearl.integration_url": "Integration URL",
    "brightpearl.auth": "Auth mode",
    "brightpearl.username": "Username (email)",
    "brightpearl.password": "Password",
    "brightpearl.app_ref": "App reference",
    "brightpearl.token": "Token",
    "brightpearl.dev_ref": "Developer ref",
    "brightpearl.client_secret": "Client secret",
    "brightpearl.oauth_url": "OAuth URL",
    "brightpearl.redirect_uri": "Redirect URL",
    "brightpearl.channel_ids": "Channel ids",
    "brightpearl.warehouse_ids": "Warehouse ids",
    "brightpearl.import_when": "Import when GON is",
    "brightpearl.shipped_action": "When shipped",
    "brightpearl.shipped_status_id": "Shipped status id",
    "brightpearl.staff_contact_id": "Staff contact id",
    "brightpearl.add_order_note": "Order note",
    "shipstation.api_version": "API version",
    "shipstation.api_key": "API key",
    "shipstation.api_secret": "API secret",
    "shipstation.base_url": "Base URL",
    "shipstation.store_id": "Store id",
    "shipstation.notify_customer": "Notify customer",
    "shipstation.notify_sales_channel": "Notify channel",
    "products.include_weights": "Product weights",
    "products.weight_unit": "Weight unit",
    "products.skip_non_stock_rows": "Non-stock rows",
    "sync.interval_seconds": "Sync every (s)",
    "sync.lookback_days": "Look back (days)",
    "sync.keep_days": "Keep history (days)",
    "alerts.urls": "Alert URLs",
    "alerts.heartbeat_url": "Heartbeat URL",
    "alerts.stuck_minutes": "Stuck after (min)",
    "alerts.connection_minutes": "Offline after (min)",
    "alerts.state_size_percent": "State size alert %",
    "alerts.max_per_hour": "Alerts per hour",
    "sync.max_cancels": "Cancels without asking",
}

# Checkbox captions (the label says what, the caption says what "on" means).
CAPTIONS: dict[str, str] = {
    "brightpearl.add_order_note": "note carrier, service and tracking on the order",
    "shipstation.notify_customer": "email the customer when bp-tui marks an order shipped",
    "shipstation.notify_sales_channel": "tell the sales channel when bp-tui marks it shipped",
    "products.include_weights": "send product weights",
    "products.skip_non_stock_rows": "never send rows that are not on the GON",
}

# How the choices of a pick field read (the value stays the config's). New setups choose oauth;
# the legacy modes keep working for existing files and say so.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "brightpearl.auth": {
        "oauth": "oauth (recommended)",
        "staff_token": "staff_token",
        "password": "password (legacy)",
        "account_token": "account_token (legacy)",
    },
    "shipstation.api_version": {
        "v1": "v1 (key and secret)",
        "v2": "v2 (one key)",
    },
}

# What a new setup starts with where it differs from a file's defaults (a file without ``auth``
# keeps meaning "password"; a new setup takes what Brightpearl recommends).
NEW_SETUP: dict[str, object] = {"brightpearl.auth": "oauth"}

# Shown while api_version = "v2": what V2 lacks, said rather than faked.
V2_NOTE = (
    "API V2 has no stores endpoint: the store picker and branding push (ctrl+b) are V1 only; "
    "store_id may be typed in (it is not checked) or left 0 for the default store. "
    "V2 keys have no secret."
)

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Brightpearl connection",
        (
            "brightpearl.datacenter",
            "brightpearl.account_code",
            "brightpearl.integration_url",
            "brightpearl.auth",
            "brightpearl.username",
            "brightpearl.password",
            "brightpearl.app_ref",
            "brightpearl.token",
            "brightpearl.dev_ref",
            "brightpearl.client_secret",
            "brightpearl.oauth_url",
            "brightpearl.redirect_uri",
        ),
    ),
    (
        "Brightpearl orders",
        (
            "brightpearl.channel_ids",
            "brightpearl.warehouse_ids",
            "brightpearl.import_when",
            "brightpearl.shipped_action",
            "brightpearl.shipped_status_id",
            "brightpearl.staff_contact_id",
            "brightpearl.add_order_note",
        ),
    ),
    (
        "ShipStation",
        (
            "shipstation.api_version",
            "shipstation.api_key",
            "shipstation.api_secret",
            "shipstation.base_url",
            "shipstation.store_id",
        ),
    ),
    (
        "Store settings",
        (
            "shipstation.notify_customer",
            "shipstation.notify_sales_channel",
            "products.include_weights",
            "products.weight_unit",
            "products.skip_non_stock_rows",
        ),
    ),
    ("Sync", ("sync.interval_seconds", "sync.lookback_days", "sync.keep_days", "sync.max_cancels")),
    (
        "Alerts",
        (
            "alerts.urls",
            "alerts.heartbeat_url",
            "alerts.stuck_minutes",
            "alerts.connection_minutes",
            "alerts.state_size_percent",
            "alerts.max_per_hour",
        ),
    ),
)

# Fields whose pick list comes from the APIs once the credentials work (Connector.lookups()).
LOOKUPS: dict[str, str] = {
    "brightpearl.channel_ids": "channels",
    "brightpearl.warehouse_ids": "warehouses",
    "brightpearl.shipped_status_id": "statuses",
    "brightpearl.staff_contact_id": "staff",
    "shipstation.store_id": "stores",
}

PASSWORD_KEYS = ("brightpearl.username", "brightpearl.password")
TOKEN_KEYS = ("brightpearl.app_ref", "brightpearl.token")
OAUTH_KEYS = (
    "brightpearl.app_ref",
    "brightpearl.dev_ref",
    "brightpearl.client_secret",
    "brightpearl.oauth_url",
    "brightpearl.redirect_uri",
)


def auth_fields_shown(mode: str) -> dict[str, bool]:
    """Which credential fields the form shows for an auth mode (the others are hidden)."""
    shown = {dotted: False for dotted in (*PASSWORD_KEYS, *TOKEN_KEYS, *OAUTH_KEYS)}
    keys = PASSWORD_KEYS if mode == "password" else OAUTH_KEYS if mode == "oauth" else TOKEN_KEYS
    shown.update({dotted: True for dotted in keys})
    return shown


# "Connect to Brightpearl" (shown only when auth = "oauth"): what the operator does, in order.
OAUTH_CONNECT_HINT = (
    "Connect to Brightpearl: Show the address, open it in a browser on any computer, "
    "log in and approve; the browser is sent to your redirect URL (the page may not load: "
    "that is fine). Paste that whole address below and press Enter; "
    "the connection test then runs."
)

# Store branding pushed to the ShipStation store (not kept in the config file).
BRANDING: tuple[tuple[str, str], ...] = (
    ("company_name", "Company name"),
    ("phone", "Phone"),
    ("public_email", "Public email"),
    ("website", "Website"),
)


def choice_label(dotted: str, value: str) -> str:
    return CHOICE_LABELS.get(dotted, {}).get(value, value)


def field_id(dotted: str) -> str:
    return "f-" + dotted.replace(".", "-")


def message_id(dotted: str) -> str:
    return "m-" + dotted.replace(".", "-")


def picker_id(dotted: str) -> str:
    return "p-" + dotted.replace(".", "-")


def key_for(dotted: str) -> Key:
    return BY_DOTTED[dotted]


def to_text(key: Key, value: Any) -> str:
    """How a config value is shown in a text field."""
    if key.kind is list:
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_text(key: Key, text: str) -> tuple[Any, str | None]:
    """Text from a field -> (value, reason it is wrong or None)."""
    text = text.strip()
    if key.kind is int:
        if not re.fullmatch(r"-?\d+", text):
            return (
                text,
                f"must be a whole number, not {text!r}" if text else "must be a whole number",
            )
        value: Any = int(text)
    elif key.kind is list:
        value = []
        for part in filter(None, re.split(r"[,\s]+", text)):
            if not part.isdigit():
                return text, f"must be ids separated by commas, like 1, 2 (not {part!r})"
            value.append(int(part))
    else:
        value = text
    return value, check_value(key, value)
