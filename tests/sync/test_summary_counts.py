"""A cycle's summary counts goods-out notes of this run: each note once per reason skipped, and
every note that reached cancelled or attention in this run, whichever step moved it (a cancelled
note listed again: tests/sync/test_deletions.py)."""

from __future__ import annotations

from bp_tui.core import reasons
from bp_tui.core.stages import Stage
from bp_tui.errors import ApiError
from tests.sync.conftest import make_env


async def test_a_note_waiting_for_its_retry_is_skipped_once_not_once_per_step(
    tmp_path, monkeypatch
):
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()
        await env.connector.run_cycle()
        env.ss.create_label(env.connector.store.gon(gid).ss_order_id)

        async def refused(*args, **kwargs):
            raise ApiError("brightpearl", 400, "eventOwnerId is not a staff contact")

        monkeypatch.setattr(env.connector.bp, "post_shipped_event", refused)
        failed = await env.connector.run_cycle()
        assert failed.failed == 1 and env.connector.store.gon(gid).stage == Stage.FAILED
        waiting = await env.connector.run_cycle()  # listed (Discover) and labelled (Confirm)
        assert waiting.skipped == {"backoff": 1} and waiting.failing == 1
    finally:
        await env.aclose()


async def test_notes_that_left_the_list_before_import_are_counted(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        unmappable = []
        for _ in range(2):
            order_id = env.bp.add_order(rows=[(1001, 1)])
            env.bp.orders[order_id]["parties"]["delivery"]["countryIsoCode"] = ""
            unmappable.append(env.bp.add_gon(order_id, state="printed"))
        deleted, shipped = unmappable
        await env.connector.run_cycle()
        env.bp.delete_gon(deleted)
        env.bp.ship_outside(shipped)
        first = await env.connector.run_cycle()  # shipped: settled; deleted: the first proof
        assert first.skipped.get(reasons.SHIPPED_REASON.key) == 1 and first.cancelled == 0
        second = await env.connector.run_cycle()
        assert second.cancelled == 1
        assert env.connector.store.gon(deleted).stage == Stage.CANCELLED
    finally:
        await env.aclose()
