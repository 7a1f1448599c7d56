"""Deletions in Brightpearl: proven by a 404 for the note's own id before its ShipStation order
is cancelled, and never more than a person would expect in one cycle."""

from __future__ import annotations

import httpx

from bp_tui.core.stages import Stage
from bp_tui.service.connector import Connector
from tests.sync.conftest import FAST_CLIENTS, make_env


async def test_an_id_set_answer_missing_notes_cancels_nothing_without_a_404(tmp_path):
    env = make_env(tmp_path, orders=20, seed=4)
    try:
        await env.connector.run_cycle()
        hidden = sorted(env.connector.store.gons(stages=("imported",)))[:2]

        def hide_them(request: httpx.Request, response: httpx.Response) -> httpx.Response:
            # a misbehaving proxy: well-formed answers that leave two notes out of the search and
            # out of the id-set read, so they look deleted; their own GET still finds them
            path, body = request.url.path, response.json() if response.content else None
            if path.endswith("/goods-out-search"):
                columns = [c["name"] for c in body["response"]["metaData"]["columns"]]
                at = columns.index("goodsOutNoteId")
                body["response"]["results"] = [r for r in body["response"]["results"] if r[at] not in hidden]
            elif "/goods-note/goods-out/" in path and not path.rstrip("/").rsplit("/", 1)[-1].isdigit():
                body["response"] = {k: v for k, v in body["response"].items() if int(k) not in hidden}
            else:
                return response
            return httpx.Response(response.status_code, json=body, headers={
                k: v for k, v in response.headers.items() if k.lower().startswith("brightpearl-")})

        conn = Connector(env.config, env.state_path, bp_transport=_Intercept(env.bp.app, hide_them),
                         ss_transport=httpx.ASGITransport(app=env.ss.app), client_options=dict(FAST_CLIENTS))
        try:
            summary = await conn.run_cycle()
        finally:
            await conn.aclose()
        assert summary.cancelled == 0
        assert all(o["orderStatus"] != "cancelled" for o in env.ss.orders.values())
    finally:
        await env.aclose()


async def test_a_deleted_note_is_cancelled_after_its_own_get_answers_404(tmp_path):
    env = make_env(tmp_path, orders=20, seed=4)
    try:
        await env.connector.run_cycle()
        victim = min(env.connector.store.gons(stages=("imported",)))
        env.bp.delete_gon(victim)
        summary = await env.connector.run_cycle()
        assert summary.cancelled == 1
        assert env.connector.store.gon(victim).stage == Stage.CANCELLED
    finally:
        await env.aclose()


async def test_a_mass_deletion_cancels_nothing_and_asks_a_person(tmp_path):
    env = make_env(tmp_path, orders=60, seed=1)
    try:
        await env.connector.run_cycle()
        imported = sorted(env.connector.store.gons(stages=("imported",)))
        assert len(imported) > 15
        gone = imported[: max(11, len(imported) // 5 + 1)]
        for gid in gone:
            env.bp.delete_gon(gid)
        summary = await env.connector.run_cycle()
        assert summary.cancelled == 0
        assert all(o["orderStatus"] != "cancelled" for o in env.ss.orders.values())
        stages = env.connector.store.gons(gone)
        assert all(r.stage == Stage.ATTENTION and "vanished" in r.reason for r in stages.values())
        assert summary.errors and "cancelled none" in summary.errors[-1]
        # a few deletions are ordinary: cancelled as before
        env2 = make_env(tmp_path / "few", orders=60, seed=1)
        try:
            await env2.connector.run_cycle()
            few = sorted(env2.connector.store.gons(stages=("imported",)))[:3]
            for gid in few:
                env2.bp.delete_gon(gid)
            assert (await env2.connector.run_cycle()).cancelled == 3
        finally:
            await env2.aclose()
    finally:
        await env.aclose()


async def test_retry_changes_only_the_due_time_of_failed_notes(tmp_path):
    env = make_env(tmp_path, orders=40, seed=1)
    try:
        await env.connector.run_cycle()
        failed = env.connector.store.gons(stages=("failed",))
        assert failed
        gid, stale = next(iter(failed.items()))
        # another process (a sync) moves the note on after the dashboard read it
        fresh = env.connector.store.gon(gid)
        fresh.stage, fresh.reason = "imported", ""
        env.connector.store.save_gons([fresh])
        assert env.connector.retry([gid]) == 0  # not failed any more: nothing to make due
        assert env.connector.store.gon(gid).stage == "imported"  # and the sync's write stands
        others = [g for g in failed if g != gid]
        assert env.connector.retry(others) == len(others)
        assert all(r.next_attempt_at is None for r in env.connector.store.gons(others).values())
    finally:
        await env.aclose()


class _Intercept(httpx.AsyncBaseTransport):
    """The in-process sandbox, with some answers replaced (a misbehaving proxy)."""

    def __init__(self, app, answer) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.answer = answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        return self.answer(request, response)
