"""Typed settings, one dataclass per section of the config file."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar
from urllib.parse import urlsplit

MASK = "********"


class Secret(str):
    """A password, token or key: a ``str`` in every use but ``repr``.

    Code that sends or compares it sees the value; ``repr`` (dataclass reprs, traceback locals,
    ``f"{x!r}"``, debuggers) shows only a mask, so the value cannot leak through a repr by accident.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"'{MASK}'" if self else "''"


class _Settings:
    """Wraps the section's secret fields in ``Secret`` whenever they are set (load, env, the setup
    screen), so no code path can put a plain ``str`` secret into the settings."""

    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.SECRET_FIELDS and isinstance(value, str) and not isinstance(value, Secret):
            value = Secret(value)
        object.__setattr__(self, name, value)


@dataclass
class BrightpearlSettings(_Settings):
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"password", "token", "client_secret"})

    datacenter: str = "euw1"
    account_code: str = ""
    integration_url: str = ""
    auth: str = "password"
    username: str = ""
    password: str = field(default="", repr=False)  # secret: never in repr
    app_ref: str = ""
    token: str = field(default="", repr=False)  # secret: never in repr
    dev_ref: str = ""  # oauth: brightpearl-dev-ref
    client_secret: str = field(default="", repr=False)  # oauth; secret: never in repr
    oauth_url: str = "https://oauth.brightpearl.com"
    redirect_uri: str = ""  # oauth: exactly as registered on the app
    channel_ids: list[int] = field(default_factory=list)
    warehouse_ids: list[int] = field(default_factory=list)
    import_when: str = "printed"
    shipped_action: str = "mark_shipped"
    shipped_status_id: int = 0
    staff_contact_id: int = 0
    add_order_note: bool = True

    @property
    def api_base(self) -> str:
        """The integration URL, derived from data center and account code when empty."""
        if self.integration_url:
            return self.integration_url.rstrip("/")
        return derive_integration_url(self.datacenter, self.account_code)

    def missing_for_oauth(self) -> list[str]:
        """Keys ``auth = "oauth"`` needs before ``bp-tui auth login`` can run, with the reason.
        The client secret is optional: a public OAuth client has none."""
        wanted = (
            ("app_ref", "the app's reference, which is its OAuth client_id"),
            ("dev_ref", "your developer reference, sent as brightpearl-dev-ref"),
            ("oauth_url", "where Brightpearl's authorize and token pages are"),
            ("redirect_uri", "the redirect URL exactly as registered on the app"),
        )
        return [
            f'brightpearl.{name}: required when auth = "oauth" ({why})'
            for name, why in wanted
            if not getattr(self, name)
        ]

    @property
    def origin(self) -> str:
        """Scheme and host of the integration URL (where ``/{account}/authorise`` lives)."""
        parts = urlsplit(self.api_base)
        return f"{parts.scheme}://{parts.netloc}"


V1_BASE_URL = "https://ssapi.shipstation.com"
V2_BASE_URL = "https://api.shipstation.com"


@dataclass
class ShipStationSettings(_Settings):
    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"api_key", "api_secret"})

    api_version: str = "v1"  # "v1" (key + secret) | "v2" (one key); absent in a file = "v1"
    api_key: str = field(default="", repr=False)  # secret: never in repr
    api_secret: str = field(default="", repr=False)  # secret: never in repr
    base_url: str = V1_BASE_URL
    store_id: int = 0
    notify_customer: bool = False
    notify_sales_channel: bool = False

    @property
    def api_base(self) -> str:
        """The base URL for ``api_version``: on V2 the V1 default address means V2's own."""
        url = self.base_url.rstrip("/")
        if self.api_version == "v2" and url in ("", V1_BASE_URL):
            return V2_BASE_URL
        return url


@dataclass
class ProductSettings:
    include_weights: bool = True
    weight_unit: str = "grams"
    skip_non_stock_rows: bool = True


@dataclass
class SyncSettings:
    interval_seconds: int = 120
    lookback_days: int = 30
    keep_days: int = 90  # confirmed and cancelled notes older than this leave the state file
    max_cancels: int = (
        3  # more cancellations than this in one sync (or every open order): ask first
    )

    @property
    def kept_days(self) -> int:
        """How long a finished note really stays: ``keep_days``, never less than
        ``lookback_days`` (Discover's search window: a note it can still list must stay known,
        or it would be found again as new and sent again)."""
        return max(self.keep_days, self.lookback_days)


@dataclass
class AlertSettings(_Settings):
    """[alerts]: where messages go (Apprise URLs) and when a problem becomes an incident."""

    SECRET_FIELDS: ClassVar[frozenset[str]] = frozenset({"urls", "heartbeat_url"})

    urls: str = field(default="", repr=False)  # Apprise URLs (tokens inside): secret
    heartbeat_url: str = field(default="", repr=False)  # pinged after each good cycle: secret
    stuck_minutes: int = 60  # a note in failed or attention longer than this
    connection_minutes: int = 15  # every cycle failing to reach an API for longer than this
    state_size_percent: int = 90  # of the state file's size warning (1 GB)
    max_per_hour: int = 10  # past it, what is left goes out as one digest


@dataclass
class Config:
    brightpearl: BrightpearlSettings = field(default_factory=BrightpearlSettings)
    shipstation: ShipStationSettings = field(default_factory=ShipStationSettings)
    products: ProductSettings = field(default_factory=ProductSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    # dotted key -> value the file held, for secrets that the environment overrides;
    # saving writes these back so an env secret never lands in the file by accident.
    env_overridden: dict[str, Secret] = field(default_factory=dict, repr=False, compare=False)

    def section(self, name: str) -> object:
        return getattr(self, name)

    def get(self, dotted: str) -> object:
        section, name = dotted.split(".", 1)
        return getattr(getattr(self, section), name)

    def set(self, dotted: str, value: object) -> None:
        section, name = dotted.split(".", 1)
        setattr(getattr(self, section), name, value)

    def as_dict(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for section in ("brightpearl", "shipstation", "products", "sync", "alerts"):
            obj = getattr(self, section)
            out[section] = {f.name: _copy(getattr(obj, f.name)) for f in fields(obj)}
        return out

    def history_warning(self) -> str | None:
        """Settings that could bring finished notes back, with the setting to change; None when
        safe. With ``shipped_action`` ``none`` or ``set_status`` Brightpearl keeps listing a
        confirmed note as unshipped for the whole ``lookback_days``: retention then keeps notes
        that long instead of ``keep_days``, and a ``lookback_days`` raised later past what was
        kept would find the notes already removed again."""
        sync, action = self.sync, self.brightpearl.shipped_action
        if action not in ("none", "set_status") or sync.keep_days >= sync.lookback_days:
            return None
        return (
            f"sync.keep_days ({sync.keep_days}) is below "
            f"sync.lookback_days ({sync.lookback_days}) with "
            f'brightpearl.shipped_action = "{action}", '
            "which leaves confirmed notes unshipped in Brightpearl: "
            f"they are kept {sync.lookback_days} days, not "
            f"{sync.keep_days}, or they would be sent again; "
            "set sync.keep_days to at least "
            f"{sync.lookback_days}, and never raise "
            "sync.lookback_days "
            "above sync.keep_days"
        )

    def missing_for_sync(self) -> list[str]:
        """Keys that must have a value before a sync can run, with the reason."""
        bp, ss = self.brightpearl, self.shipstation
        missing: list[str] = []
        if not bp.account_code:
            missing.append(
                "brightpearl.account_code: required (the account id used in the Brightpearl URL)"
            )
        if not bp.integration_url and not bp.datacenter:
            missing.append("brightpearl.datacenter: required when integration_url is empty")
        if bp.auth == "password":
            if not bp.username:
                missing.append('brightpearl.username: required when auth = "password"')
            if not bp.password:
                missing.append(
                    'brightpearl.password: required when auth = "password" '
                    "(or set BP_TUI_BRIGHTPEARL_PASSWORD)"
                )
        elif bp.auth == "oauth":
            missing.extend(bp.missing_for_oauth())
        else:
            if not bp.app_ref:
                missing.append(f'brightpearl.app_ref: required when auth = "{bp.auth}"')
            if not bp.token:
                missing.append(
                    f'brightpearl.token: required when auth = "{bp.auth}" '
                    "(or set BP_TUI_BRIGHTPEARL_TOKEN)"
                )
        if (
            bp.shipped_action in ("mark_shipped_and_set_status", "set_status")
            and not bp.shipped_status_id
        ):
            missing.append(
                "brightpearl.shipped_status_id: required when "
                f'shipped_action = "{bp.shipped_action}"'
            )
        if (
            bp.shipped_action in ("mark_shipped", "mark_shipped_and_set_status")
            and not bp.staff_contact_id
        ):
            missing.append("brightpearl.staff_contact_id: required to post the shipped (SHW) event")
        if not ss.api_key:
            missing.append("shipstation.api_key: required (or set BP_TUI_SHIPSTATION_API_KEY)")
        if not ss.api_secret and ss.api_version == "v1":
            missing.append(
                'shipstation.api_secret: required with api_version = "v1" '
                "(or set BP_TUI_SHIPSTATION_API_SECRET)"
            )
        return missing


def derive_integration_url(datacenter: str, account_code: str) -> str:
    return f"https://{datacenter}.brightpearlconnect.com/public-api/{account_code}"


def _copy(value: object) -> object:
    return list(value) if isinstance(value, list) else value
