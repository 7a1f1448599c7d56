"""The connector picks the adapter from ``api_version``; the V2 environment, the switch from V1,
setup's look-ups and key detection work through the service seam."""

from __future__ import annotations

from bp_tui.sandbox.environment import build_environment
from bp_tui.shipstation.client import ShipStationClient
from bp_tui.shipstation.v2.client import ShipStationV2Client
from tests.sync.conftest import FAST_CLIENTS


def env_for(tmp_path, ss_api: str, **kw):
    return build_environment(
        tmp_path / ss_api,
        orders=kw.pop("orders", 6),
        bp_limit=100_000,
        ss_limit=100_000,
        client_options=dict(FAST_CLIENTS),
        ss_api=ss_api,
        **kw,
    )


async def test_api_version_picks_the_client(tmp_path):
    v1, v2 = env_for(tmp_path, "v1"), env_for(tmp_path, "v2")
    try:
        assert (
            type(v1.connector.ss) is ShipStationClient
            and type(v2.connector.ss) is ShipStationV2Client
        )
        assert v2.config.shipstation.api_version == "v2" and not v2.config.shipstation.api_secret
        assert v2.ss_options["limit"] == 95_000  # its own limiter below the sandbox's 100,000
        config = v1.config
        config.shipstation.api_version = "v2"
        v1.connector.reload_config(config)
        assert type(v1.connector.ss) is ShipStationV2Client
    finally:
        await v1.aclose()
        await v2.aclose()


async def test_the_default_v2_environment_has_the_real_limits(tmp_path):
    env = build_environment(tmp_path / "real", orders=0, ss_api="v2")
    try:
        assert env.ss.v2.limiter.limit == 200 and env.connector.ss.gate.limit == 190
        assert env.connector.ss.gate.path.parent == env.state_path.parent
    finally:
        await env.aclose()


async def test_setup_lookups_work_on_v2_without_a_stores_endpoint(tmp_path):
    env = env_for(tmp_path, "v2")
    try:
        found = await env.connector.lookups()
        assert found["stores"] == [] and found["warehouses"]
        check = await env.connector.detect_shipstation_api(env.ss.v2.api_key)
        assert check.version == "v2"
        assert (await env.connector.detect_shipstation_api("wrong")).version is None
    finally:
        await env.aclose()


async def test_switching_a_v1_install_to_v2_keeps_its_state_and_creates_nothing_twice(tmp_path):
    env = env_for(tmp_path, "v1", orders=30)
    try:
        first = await env.connector.run_cycle()
        assert first.imported > 5
        orders_before = dict(env.ss.orders)
        imported = {
            r.gon_id: r.ss_order_id for r in env.connector.queue_rows() if r.stage == "imported"
        }
        face = await env.switch_to_v2(client_options=dict(FAST_CLIENTS))
        assert env.ss_api == "v2" and type(env.connector.ss) is ShipStationV2Client
        # a note left to re-send (as after an interrupted run) finds its V1 order by key
        gid = next(iter(imported))
        rec = env.connector.store.gon(gid)
        rec.stage, rec.ss_order_id, rec.ss_payload = "ready", None, None
        env.connector.store.save_gon(rec)
        labelled = env.label(3)
        summary = await env.connector.run_cycle()
        assert env.ss.orders.keys() == orders_before.keys() and not face.received  # nothing created
        assert (
            env.connector.store.gon(gid).ss_order_id == imported[gid]
        )  # se-<V1 id> carried as the V1 id
        assert summary.confirmed == 3
        for label in labelled:
            assert env.connector.store.gon_by_ss_order(label["orderId"]).stage == "confirmed"
        # adopted from the changed-shipments read: no shipment looked up by its key
        assert not [p for _t, m, p, _s in env.ss.request_log if "external_shipment_id" in p]
    finally:
        await env.aclose()
