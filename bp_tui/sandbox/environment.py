"""Both sandboxes wired to a real Connector, in-process: for `bp-tui demo`, tests, benches.

Nothing here touches the network: the clients reach the sandboxes through
``httpx.ASGITransport``. The config and state live in the folder given. ``ss_api="v2"`` serves
ShipStation through its V2 API (the same account; see ``sandbox.shipstation_v2``), and
``SandboxEnvironment.switch_to_v2`` moves a V1 environment to V2 the way an install would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bp_tui.config import Config, config_from_dict, save_config
from bp_tui.sandbox.activity import REAL_WORLD_SHARE, real_world_event, real_world_kinds
from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
from bp_tui.sandbox.faults import DeadlineTransport
from bp_tui.sandbox.shipstation.account import ShipStationAccount
from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
from bp_tui.sandbox.shipstation_v2.app import build_v2_app
from bp_tui.sandbox.shipstation_v2.face import V2_RATE_LIMIT, V2Face
from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox
from bp_tui.service.connector import Connector

BP_BASE = "https://brightpearl.sandbox"
SS_BASE = "https://shipstation.sandbox"


@dataclass
class SandboxEnvironment:
    bp: BrightpearlSandbox
    ss: ShipStationSandbox | ShipStationV2Sandbox  # the account, served by its V1 or V2 app
    config: Config
    config_path: Path
    state_path: Path
    connector: Connector
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    real_world: bool = False  # opt-in: tick also splits, merges, returns and voids old labels
    events: list[dict[str, Any]] = field(
        default_factory=list
    )  # the real-world events of tick, in order
    ss_options: dict[str, Any] = field(
        default_factory=dict
    )  # the ShipStation client's own options (V2 limiter)
    ss_app: Any = (
        None  # the ShipStation API the connector talks to (the account's V1 app or its V2 face)
    )
    client_options: dict[str, Any] | None = None

    def open_orders(self) -> list[dict[str, Any]]:
        """ShipStation orders still awaiting shipment."""
        return [o for o in self.ss.orders.values() if o["orderStatus"] == "awaiting_shipment"]

    def label(self, count: int) -> list[dict[str, Any]]:
        """Create labels for up to ``count`` open orders, as packers in ShipStation would."""
        orders = self.open_orders()
        self.rng.shuffle(orders)
        return [self.ss.create_label(o["orderId"]) for o in orders[:count]]

    async def tick(self) -> int:
        """Demo heartbeat, so the queue moves through every stage: a few labels appear; now and
        then a note gets printed, an order is marked shipped without a label, a confirmed label
        is voided and replaced (attention), or a note is deleted in Brightpearl (cancelled).
        With ``real_world``, a share of ticks also brings one thing ShipStation users do (split,
        combine, return label, void of an old label), recorded in ``events``; until each kind
        has happened once (so the demo shows one of each early), every tick brings one."""
        made = len(self.label(self.rng.randint(1, 3)))
        roll = self.rng.random()
        waiting = [
            g for g, n in self.bp.gons.items() if n["orderId"] and not n["status"]["printed"]
        ]
        if waiting and roll < 0.5:
            self.bp.set_gon_state(self.rng.choice(waiting), printed=True)
        open_orders = self.open_orders()
        if open_orders and 0.5 <= roll < 0.6:
            order = self.rng.choice(open_orders)
            self.ss.mark_shipped(
                order["orderId"], tracking_number=f"HAND-{order['orderId']}", carrier_code="other"
            )
        live = [s for s in self.ss.shipments.values() if not s["voided"] and not s["isReturnLabel"]]
        shipped_notes = {g for g, n in self.bp.gons.items() if n["status"]["shipped"]}
        confirmed = [s for s in live if self._gon_of(s["orderId"]) in shipped_notes]
        if confirmed and 0.6 <= roll < 0.68:
            label = self.rng.choice(confirmed)
            self.ss.void_label(label["shipmentId"])
            self.ss.create_label(label["orderId"])
        if open_orders and 0.68 <= roll < 0.72:
            gon = self._gon_of(self.rng.choice(open_orders)["orderId"])
            if gon in self.bp.gons and not self.bp.gons[gon]["status"]["shipped"]:
                self.bp.delete_gon(gon)
        seen = {e["event"] for e in self.events}
        unseen = tuple(
            k for k in real_world_kinds(self.ss) if k not in seen
        )  # one of each comes first
        if self.real_world and (unseen or self.rng.random() < REAL_WORLD_SHARE):
            event = real_world_event(self.ss, self.rng, prefer=unseen)
            if event:
                self.events.append(event)
        return made

    async def oauth_login(self) -> None:
        """Connect Brightpearl by OAuth as an operator does: open the authorize URL (the sandbox
        approves at once) and paste back the address the browser was sent to."""
        login = self.connector.brightpearl_login()
        url = login.start()
        async with httpx.AsyncClient(transport=in_process(self.bp.app)) as browser:
            answer = await browser.get(url)
        await login.finish(answer.headers["location"])

    def _gon_of(self, ss_order_id: int) -> int | None:
        """The goods-out note a ShipStation order was made from (its orderKey ends with the id)."""
        order = self.ss.orders.get(ss_order_id) or self.ss.merged_orders.get(ss_order_id) or {}
        key = order.get("orderKey") or ""
        tail = key.rsplit("-gon-", 1)[-1]
        return int(tail) if tail.isdigit() else None

    async def aclose(self) -> None:
        await self.connector.aclose()

    async def lose_state(self) -> None:
        """The state file (and every file beside it) is lost, as on a new machine or a deleted
        data folder; the connector starts again on a new one, with the same config."""
        await self.connector.aclose()
        for path in self.state_path.parent.iterdir():
            if path.name.startswith(self.state_path.name):
                path.unlink()
        self.connector = Connector(
            self.config,
            self.state_path,
            config_path=self.config_path,
            bp_transport=in_process(self.bp.app),
            ss_transport=in_process(self.ss_app or self.ss.app),
            client_options=self.client_options,
            ss_options=self.ss_options or None,
        )

    @property
    def ss_api(self) -> str:
        return self.config.shipstation.api_version

    async def switch_to_v2(
        self,
        *,
        client_options: dict[str, Any] | None = None,
        ss_options: dict[str, Any] | None = None,
    ) -> V2Face:
        """Move this (V1) environment to ShipStation V2 as an operator would: the same account
        and state file, a V2 key, ``api_version = "v2"`` in the config; the connector is rebuilt
        on them. The V2 face of the account is returned."""
        face = getattr(self.ss, "v2", None) or V2Face(
            self.ss, rate_limit=self.ss.limiter.limit, window_s=self.ss.window_s
        )
        await self.connector.aclose()
        doc = self.config.as_dict()
        doc["shipstation"].update(face.settings(SS_BASE))
        doc["shipstation"]["api_secret"] = ""
        self.config = config_from_dict(doc, source="sandbox")
        save_config(self.config, self.config_path)
        self.ss_options = _v2_client_limit(face.limiter.limit, face.window_s, ss_options)
        self.ss_app, self.client_options = build_v2_app(face), client_options
        self.connector = Connector(
            self.config,
            self.state_path,
            config_path=self.config_path,
            bp_transport=in_process(self.bp.app),
            ss_transport=in_process(self.ss_app),
            client_options=client_options,
            ss_options=self.ss_options,
        )
        return face


def _v2_client_limit(
    server_limit: int, window_s: float, ss_options: dict[str, Any] | None
) -> dict[str, Any]:
    """The V2 client's own limiter kept below the sandbox's limit (as bp-tui's 190 is below the
    real 200/min), over the sandbox's window."""
    options = {"limit": max(1, server_limit * 19 // 20), "window_s": window_s}
    options.update(ss_options or {})
    return options


def sandbox_config(
    bp: BrightpearlSandbox,
    ss: ShipStationAccount,
    *,
    bp_auth: str = "password",
    **overrides: dict[str, Any],
) -> Config:
    """``bp_auth = "oauth"``: the OAuth variant (log in with ``SandboxEnvironment.oauth_login``)."""
    doc: dict[str, dict[str, Any]] = {
        "brightpearl": {
            **(bp.oauth_settings(BP_BASE) if bp_auth == "oauth" else bp.settings(BP_BASE))
        },
        "shipstation": {**ss.settings(SS_BASE)},
        "sync": {"interval_seconds": 30},
    }
    for section, values in overrides.items():
        doc.setdefault(section, {}).update(values)
    return config_from_dict(doc, source="sandbox")


def in_process(app: object) -> httpx.AsyncBaseTransport:
    """An in-process transport that behaves like a socket: it honours the client's timeout
    and lets the event loop run other tasks (the dashboard) while a request is served."""
    return DeadlineTransport(httpx.ASGITransport(app=app))  # type: ignore[arg-type]


def build_environment(
    workdir: Path,
    *,
    orders: int = 60,
    seed: int = 1,
    bp_limit: int = 200,
    ss_limit: int | None = None,
    window_s: float = 60.0,
    client_options: dict[str, Any] | None = None,
    config_overrides: dict[str, dict[str, Any]] | None = None,
    real_world: bool = False,
    bp_timezone: str | None = None,
    bp_auth: str = "password",
    oauth_ttl_s: float | None = None,
    ss_api: str = "v1",
    ss_options: dict[str, Any] | None = None,
) -> SandboxEnvironment:
    """Both sandboxes seeded and wired to a connector. Opt-in: ``real_world`` (the demo heartbeat
    also splits, combines, returns and voids old labels), ``bp_timezone`` (a Brightpearl
    account in its own time zone, e.g. ``America/Chicago``), ``bp_auth = "oauth"`` (connect by
    OAuth: then ``await env.oauth_login()``) with ``oauth_ttl_s`` (short-lived access tokens), and
    ``ss_api="v2"`` (ShipStation through API V2; ``ss_limit`` defaults to each API's real limit,
    40 or 200 a minute)."""
    if ss_api not in ("v1", "v2"):
        raise ValueError(f"ss_api must be v1 or v2, not {ss_api!r}")
    workdir.mkdir(parents=True, exist_ok=True)
    bp = BrightpearlSandbox(rate_limit=bp_limit, window_s=window_s, timezone=bp_timezone)
    if oauth_ttl_s is not None:
        bp.oauth.access_ttl_s = oauth_ttl_s
    if orders:
        bp.seed(orders=orders, seed=seed)
    ss: ShipStationSandbox | ShipStationV2Sandbox
    if ss_api == "v2":
        ss = ShipStationV2Sandbox(
            rate_limit=V2_RATE_LIMIT if ss_limit is None else ss_limit, window_s=window_s
        )
        ss_options = _v2_client_limit(ss.v2.limiter.limit, window_s, ss_options)
    else:
        ss = ShipStationSandbox(rate_limit=40 if ss_limit is None else ss_limit, window_s=window_s)
    config = sandbox_config(bp, ss, bp_auth=bp_auth, **(config_overrides or {}))
    config_path = workdir / "config.toml"
    save_config(config, config_path)
    state_path = workdir / "state.sqlite3"
    connector = Connector(
        config,
        state_path,
        config_path=config_path,
        bp_transport=in_process(bp.app),
        ss_transport=in_process(ss.app),
        client_options=client_options,
        ss_options=ss_options,
    )
    return SandboxEnvironment(
        bp=bp,
        ss=ss,
        config=config,
        config_path=config_path,
        state_path=state_path,
        connector=connector,
        real_world=real_world,
        ss_options=dict(ss_options or {}),
        ss_app=ss.app,
        client_options=client_options,
    )
