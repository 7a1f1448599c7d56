"""Answers that leave a note or an order out: they prove nothing (not a deletion, not a write),
so nothing is concluded from them and nothing found before them is lost."""

from __future__ import annotations

import httpx

from bp_tui.core import reasons
from bp_tui.core.stages import Stage
from bp_tui.service.connector import Connector
from tests.sync.conftest import FAST_CLIENTS, make_env


class _StaleAndMissing(httpx.AsyncBaseTransport):
    """The in-process Brightpearl, while ``armed``: the note's shipped event carries a stale
    If-Match (Brightpearl answers 409 itself), and id-set reads leave the note out."""

    def __init__(self, app, gon_id: int) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.gon_id, self.armed = gon_id, True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if self.armed and request.method == "POST" and path.endswith(f"/{self.gon_id}/event"):
            headers = {k: v for k, v in request.headers.items() if k.lower() != "if-match"}
            headers["If-Match"] = '"999999"'
            request = httpx.Request(
                request.method, request.url, headers=headers, content=request.content
            )
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if not (self.armed and request.method == "GET" and "/goods-out/" in path):
            return response
        body = response.json()
        body["response"] = {k: v for k, v in body["response"].items() if int(k) != self.gon_id}
        keep = {k: v for k, v in response.headers.items() if k.lower().startswith("brightpearl-")}
        return httpx.Response(response.status_code, json=body, headers=keep)


async def test_a_conflict_then_a_read_without_the_note_confirms_nothing(tmp_path):
    """The shipped event meets a 409 and the re-read leaves the note out: that proves neither a
    deletion nor a write, so the note is not confirmed; it fails saying why, and the next sync
    writes it back once."""
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()
        await env.connector.run_cycle()
        env.ss.create_label(env.connector.store.gon(gid).ss_order_id)
        faulty = _StaleAndMissing(env.bp.app, gid)
        conn = Connector(
            env.config,
            env.state_path,
            bp_transport=faulty,
            ss_transport=httpx.ASGITransport(app=env.ss.app),
            client_options=dict(FAST_CLIENTS),
        )
        try:
            faulty.armed = False  # the first read of the cycle finds it; only the re-read does not

            async def arm(*args, **kwargs):
                faulty.armed = True
                return await original(*args, **kwargs)

            original = conn.bp.post_shipped_event
            conn.bp.post_shipped_event = arm  # type: ignore[method-assign]
            summary = await conn.run_cycle()
        finally:
            await conn.aclose()
        rec = env.connector.store.gon(gid)
        assert summary.confirmed == 0
        assert rec.stage == Stage.FAILED and "missing from Brightpearl's answer" in rec.reason
        assert not env.bp.gons[gid]["status"]["shipped"]
        env.connector.retry([gid])
        summary = await env.connector.run_cycle()
        assert summary.confirmed == 1 and env.connector.store.gon(gid).stage == Stage.CONFIRMED
        assert [e["eventCode"] for e in env.bp.gons[gid]["events"]].count("SHW") == 1
    finally:
        await env.aclose()


async def test_an_edit_whose_order_is_left_out_of_the_read_is_not_lost(tmp_path, monkeypatch):
    """An order edited in Brightpearl, then left out of the order read (or its note out of the
    note read): the note fails saying so, instead of the edit being passed over while the
    order-edit mark moves on, and its retry sends the update."""
    env = make_env(tmp_path, orders=0)
    try:
        order_id = env.bp.add_order(rows=[(1001, 1)])
        gid = env.bp.add_gon(order_id, state="printed")
        await env.connector.run_cycle()
        ss_id = env.connector.store.gon(gid).ss_order_id
        await env.connector.run_cycle()  # the order-edit mark is set
        env.bp.update_order(order_id, delivery={"addressLine1": "99 Corrected Road"})
        real = env.connector.bp.get_orders

        async def leave_it_out(ids):
            return {k: v for k, v in (await real(ids)).items() if k != order_id}

        monkeypatch.setattr(env.connector.bp, "get_orders", leave_it_out)
        summary = await env.connector.run_cycle()
        rec = env.connector.store.gon(gid)
        assert summary.updated == 0 and summary.failed == 1
        assert (
            rec.stage == Stage.FAILED
            and rec.reason == f"changed in Brightpearl, but {reasons.ORDER_MISSING}"
        )
        monkeypatch.undo()
        env.connector.retry([gid])
        summary = await env.connector.run_cycle()
        assert summary.updated == 1 and env.connector.store.gon(gid).stage == Stage.IMPORTED
        assert env.ss.orders[ss_id]["shipTo"]["street1"] == "99 Corrected Road"
    finally:
        await env.aclose()


async def test_a_note_left_out_before_its_write_back_fails_saying_why(tmp_path, monkeypatch):
    """Labelled, then left out of the read before the write-back though it exists (its own read
    finds it): it fails with that reason instead of waiting silently, and its retry writes it."""
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()
        await env.connector.run_cycle()
        env.ss.create_label(env.connector.store.gon(gid).ss_order_id, tracking_number="LABEL-1")
        real = env.connector.bp.get_goods_out_notes

        async def leave_it_out(ids):
            return {k: v for k, v in (await real(ids)).items() if k != gid}

        monkeypatch.setattr(env.connector.bp, "get_goods_out_notes", leave_it_out)
        summary = await env.connector.run_cycle(confirm_only=True)  # only the write-back's read
        rec = env.connector.store.gon(gid)
        assert summary.failed == 1 and summary.confirmed == 0
        assert rec.stage == Stage.FAILED and rec.reason == reasons.LEFT_OUT_BEFORE_WRITE_BACK
        monkeypatch.undo()
        env.connector.retry([gid])
        assert (await env.connector.run_cycle()).confirmed == 1
        assert env.connector.store.gon(gid).tracking == "LABEL-1"
    finally:
        await env.aclose()
