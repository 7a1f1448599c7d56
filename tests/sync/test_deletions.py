"""Deletions in Brightpearl: proven by Brightpearl's own 404 for the note's own id, read in two
cycles, before its ShipStation order is cancelled, and never more than sync.max_cancels (nor every
open order) in one cycle without a person's confirmation."""

from __future__ import annotations

import httpx

from bp_tui.core import reasons
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
                body["response"]["results"] = [
                    r for r in body["response"]["results"] if r[at] not in hidden
                ]
            elif (
                "/goods-note/goods-out/" in path
                and not path.rstrip("/").rsplit("/", 1)[-1].isdigit()
            ):
                body["response"] = {
                    k: v for k, v in body["response"].items() if int(k) not in hidden
                }
            else:
                return response
            return httpx.Response(
                response.status_code,
                json=body,
                headers={
                    k: v
                    for k, v in response.headers.items()
                    if k.lower().startswith("brightpearl-")
                },
            )

        conn = Connector(
            env.config,
            env.state_path,
            bp_transport=_Intercept(env.bp.app, hide_them),
            ss_transport=httpx.ASGITransport(app=env.ss.app),
            client_options=dict(FAST_CLIENTS),
        )
        try:
            summary = await conn.run_cycle()
        finally:
            await conn.aclose()
        assert summary.cancelled == 0
        assert all(o["orderStatus"] != "cancelled" for o in env.ss.orders.values())
    finally:
        await env.aclose()


async def test_a_deleted_note_is_cancelled_after_its_own_get_answers_404_in_two_cycles(tmp_path):
    env = make_env(tmp_path, orders=20, seed=4)
    try:
        await env.connector.run_cycle()
        victim = min(env.connector.store.gons(stages=("imported",)))
        env.bp.delete_gon(victim)
        summary = await env.connector.run_cycle()
        assert summary.cancelled == 0  # the first proof is kept, nothing is cancelled on one read
        rec = env.connector.store.gon(victim)
        assert rec.stage == Stage.IMPORTED and rec.reason.startswith(reasons.DELETION_SEEN)
        summary = await env.connector.run_cycle()
        assert summary.cancelled == 1
        assert env.connector.store.gon(victim).stage == Stage.CANCELLED
    finally:
        await env.aclose()


async def test_more_cancels_than_max_cancels_wait_for_a_confirmation(tmp_path):
    env = make_env(tmp_path, orders=60, seed=1)
    try:
        await env.connector.run_cycle()
        imported = sorted(env.connector.store.gons(stages=("imported",)))
        assert len(imported) > 15
        gone = imported[:4]  # one more than the default sync.max_cancels = 3
        for gid in gone:
            env.bp.delete_gon(gid)
        await env.connector.run_cycle()
        summary = await env.connector.run_cycle()
        assert summary.cancelled == 0
        assert all(o["orderStatus"] != "cancelled" for o in env.ss.orders.values())
        stages = env.connector.store.gons(gone)
        assert all(
            r.stage == Stage.ATTENTION and "--confirm-cancel" in r.reason for r in stages.values()
        )
        assert summary.errors and "max_cancels" in summary.errors[-1]
        assert (await env.connector.run_cycle()).cancelled == 0  # held until a person confirms
        summary = await env.connector.run_cycle(confirm_cancel=True)
        assert summary.cancelled == 4
        assert all(r.stage == Stage.CANCELLED for r in env.connector.store.gons(gone).values())
        # a few deletions are ordinary: cancelled on the second read, with no confirmation
        env2 = make_env(tmp_path / "few", orders=60, seed=1)
        try:
            await env2.connector.run_cycle()
            few = sorted(env2.connector.store.gons(stages=("imported",)))[:3]
            for gid in few:
                env2.bp.delete_gon(gid)
            assert (await env2.connector.run_cycle()).cancelled == 0
            assert (await env2.connector.run_cycle()).cancelled == 3
        finally:
            await env2.aclose()
    finally:
        await env.aclose()


async def test_the_guard_never_cancels_every_open_order_without_a_confirmation(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()
        await env.connector.run_cycle()
        assert env.connector.store.gon(gid).stage == Stage.IMPORTED
        env.bp.delete_gon(gid)
        await env.connector.run_cycle()
        assert (await env.connector.run_cycle()).cancelled == 0  # the only open order
        assert env.connector.store.gon(gid).reason.startswith(reasons.CANCELS_HELD)
        assert (await env.connector.run_cycle(confirm_cancel=True)).cancelled == 1
    finally:
        await env.aclose()


async def test_a_held_note_listed_again_goes_back_to_imported(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()
        await env.connector.run_cycle()
        saved = env.bp.delete_gon(gid)
        await env.connector.run_cycle()
        await env.connector.run_cycle()
        assert env.connector.store.gon(gid).stage == Stage.ATTENTION
        env.bp.restore_gon(
            gid, saved
        )  # it was never gone: what answered was not Brightpearl's truth
        await env.connector.run_cycle(confirm_cancel=True)
        rec = env.connector.store.gon(gid)
        assert (rec.stage, rec.reason) == (Stage.IMPORTED, "")
        assert all(o["orderStatus"] != "cancelled" for o in env.ss.orders.values())
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


async def test_a_listed_note_left_out_of_the_read_fails_for_the_cycle_and_is_not_cancelled(
    tmp_path,
):
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()

        def leave_it_out(request: httpx.Request, response: httpx.Response) -> httpx.Response:
            # the search lists the note; the read of the notes answers 200 without it
            if "/goods-note/goods-out/" not in request.url.path:
                return response
            body = response.json()
            body["response"] = {k: v for k, v in body["response"].items() if int(k) != gid}
            headers = {
                k: v for k, v in response.headers.items() if k.lower().startswith("brightpearl-")
            }
            return httpx.Response(response.status_code, json=body, headers=headers)

        conn = Connector(
            env.config,
            env.state_path,
            bp_transport=_Intercept(env.bp.app, leave_it_out),
            ss_transport=httpx.ASGITransport(app=env.ss.app),
            client_options=dict(FAST_CLIENTS),
        )
        try:
            summary = await conn.run_cycle()
        finally:
            await conn.aclose()
        rec = env.connector.store.gon(gid)
        assert rec.stage == Stage.FAILED and rec.reason == reasons.NOTE_NOT_READ
        assert summary.cancelled == 0 and summary.imported == 0 and not env.ss.orders
        assert env.connector.retry([gid]) == 1  # due now: the next cycle reads it and sends it
        summary = await env.connector.run_cycle()
        rec = env.connector.store.gon(gid)
        assert summary.imported == 1 and rec.stage == Stage.IMPORTED and rec.ss_order_id
    finally:
        await env.aclose()


async def test_a_note_wrongly_marked_cancelled_before_import_is_sent_again_once_listed(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()
        rec = env.connector.store.gon(gid)
        assert rec is None
        # what an earlier version concluded from a gateway's 404: cancelled, never in ShipStation
        from bp_tui.core.records import GonRecord

        env.connector.store.save_gons(
            [
                GonRecord(
                    gon_id=gid,
                    order_id=env.bp.gons[gid]["orderId"],
                    stage=Stage.CANCELLED,
                    reason=reasons.DELETED_BEFORE_IMPORT,
                )
            ]
        )
        summary = await env.connector.run_cycle()
        rec = env.connector.store.gon(gid)
        assert summary.imported == 1 and rec.stage == Stage.IMPORTED and rec.ss_order_id
    finally:
        await env.aclose()


async def test_a_note_whose_order_was_cancelled_wrongly_asks_a_person_once_listed_again(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gids = [env.bp.add_printed_gon() for _ in range(3)]
        await env.connector.run_cycle()
        gid = gids[0]
        saved = env.bp.delete_gon(gid)
        await env.connector.run_cycle()
        assert (await env.connector.run_cycle()).cancelled == 1
        assert env.connector.store.gon(gid).stage == Stage.CANCELLED
        env.bp.restore_gon(gid, saved)  # listed again as printed and unshipped
        listed = await env.connector.run_cycle()
        rec = env.connector.store.gon(gid)
        assert rec.stage == Stage.ATTENTION and rec.reason == reasons.LISTED_AFTER_CANCEL
        assert listed.attention == 1  # counted in the run that moved it, and only then
        assert (await env.connector.run_cycle()).attention == 0
    finally:
        await env.aclose()


async def test_a_note_read_once_as_deleted_then_listed_again_needs_two_new_reads(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gids = [env.bp.add_printed_gon() for _ in range(3)]
        await env.connector.run_cycle()
        gid = gids[0]
        saved = env.bp.delete_gon(gid)
        await env.connector.run_cycle()  # first proof
        env.bp.restore_gon(gid, saved)
        await env.connector.run_cycle()  # listed: the first proof no longer counts
        assert env.connector.store.gon(gid).reason == ""
        env.bp.delete_gon(gid)
        assert (await env.connector.run_cycle()).cancelled == 0  # a new first proof
        assert (await env.connector.run_cycle()).cancelled == 1
        history = [
            h.result for h in env.connector.store.audit.history(gid) if h.action == "deletion"
        ]
        assert history == ["confirmed", "seen", "cleared", "seen"]
    finally:
        await env.aclose()


async def test_diagnose_never_says_nothing_to_do_of_a_note_only_read_once_as_deleted(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gids = [env.bp.add_printed_gon() for _ in range(5)]
        await env.connector.run_cycle()
        for gid in gids[:4]:
            env.bp.delete_gon(gid)
        await env.connector.run_cycle()
        [seen] = await env.connector.diagnose(gids[0])
        assert "has not acted on it yet" in seen.verdict and "reads it again" in seen.fix
        await env.connector.run_cycle()  # four: more than sync.max_cancels, held
        [held] = await env.connector.diagnose(gids[0])
        assert "not cancelled yet" in held.verdict and "--confirm-cancel" in held.fix
        await env.connector.run_cycle(confirm_cancel=True)
        [done] = await env.connector.diagnose(gids[0])
        assert "was deleted" in done.verdict and "nothing to do" in done.fix
    finally:
        await env.aclose()


async def test_a_labelled_note_deleted_in_brightpearl_needs_its_own_read_before_attention(
    tmp_path, monkeypatch
):
    env = make_env(tmp_path, orders=0)
    try:
        gids = [env.bp.add_printed_gon() for _ in range(3)]
        await env.connector.run_cycle()
        rec = env.connector.store.gon(gids[0])
        env.ss.create_label(rec.ss_order_id)
        env.bp.delete_gon(gids[0])

        async def cannot_tell(gon_id):
            return None

        real = env.connector.bp.goods_out_note_deleted
        monkeypatch.setattr(env.connector.bp, "goods_out_note_deleted", cannot_tell)
        summary = await env.connector.run_cycle(confirm_only=True)
        assert env.connector.store.gon(gids[0]).stage != Stage.ATTENTION
        assert any(f"GON {gids[0]}" in e for e in summary.errors)
        monkeypatch.setattr(env.connector.bp, "goods_out_note_deleted", real)
        await env.connector.run_cycle(confirm_only=True)
        rec = env.connector.store.gon(gids[0])
        assert rec.stage == Stage.ATTENTION and rec.reason == reasons.DELETED_AFTER_LABEL
    finally:
        await env.aclose()


async def test_a_cancel_shipstation_does_not_answer_ends_neither_the_cycle_nor_the_deletion(
    tmp_path, monkeypatch
):
    """ShipStation refuses the cancel call as a whole (or is still throttling it): the rest of
    the cycle still runs, the cycle says which notes wait, and the next sync reads the order and
    cancels it. (No answer at all, a 5xx or a timeout, ends the cycle as every unreachable API
    does; the intent is read back on the next run.)"""
    from bp_tui.errors import ApiThrottled

    env = make_env(tmp_path, orders=20, seed=4)
    try:
        await env.connector.run_cycle()
        victim = min(env.connector.store.gons(stages=("imported",)))
        env.bp.delete_gon(victim)
        await env.connector.run_cycle()  # the first proof
        late = env.bp.add_printed_gon()

        async def down(orders):
            raise ApiThrottled("shipstation", 429, "Too Many Requests")

        monkeypatch.setattr(env.connector.ss, "cancel_orders", down)
        summary = await env.connector.run_cycle()
        assert summary.cancelled == 0 and summary.imported == 1  # the import after it ran
        assert env.connector.store.gon(late).stage == Stage.IMPORTED
        assert any(f"GON {victim}: deleted in Brightpearl" in e for e in summary.errors)
        assert env.connector.store.gon(victim).stage == Stage.IMPORTED
        monkeypatch.undo()
        summary = await env.connector.run_cycle()
        assert summary.cancelled == 1 and summary.errors == []
        assert env.connector.store.gon(victim).stage == Stage.CANCELLED
        cancelled = [o for o in env.ss.orders.values() if o["orderStatus"] == "cancelled"]
        assert len(cancelled) == 1
    finally:
        await env.aclose()


async def test_a_failed_note_read_once_as_deleted_then_listed_again_keeps_its_failure(tmp_path):
    """A first proof of a deletion covers the note's reason, never drops it: a failed note
    listed again says again why it failed (no failed note without a reason)."""
    env = make_env(tmp_path, orders=0)
    try:
        order_id = env.bp.add_order(rows=[(1001, 1)])
        env.bp.orders[order_id]["parties"]["delivery"]["countryIsoCode"] = ""  # cannot be mapped
        gid = env.bp.add_gon(order_id, state="printed")
        await env.connector.run_cycle()
        failed = env.connector.store.gon(gid)
        assert failed.stage == Stage.FAILED and failed.reason
        saved = env.bp.delete_gon(gid)
        await env.connector.run_cycle()  # first proof
        seen = env.connector.store.gon(gid)
        assert seen.reason.startswith(reasons.DELETION_SEEN) and failed.reason in seen.reason
        env.bp.restore_gon(gid, saved)  # listed again
        await env.connector.run_cycle()
        again = env.connector.store.gon(gid)
        assert again.stage == Stage.FAILED and again.reason == failed.reason
    finally:
        await env.aclose()


def test_a_first_proof_never_nests_another():
    first = reasons.deletion_seen("first read 1", "could not be mapped")
    second = reasons.deletion_seen("first read 2", first)
    assert reasons.before_deletion_seen(second) == "could not be mapped"
    assert reasons.before_deletion_seen(reasons.deletion_seen("first read 3")) == ""


async def test_a_deletion_read_that_cannot_tell_is_said_on_the_note(tmp_path, monkeypatch):
    """A gateway's answer to the note's own read proves nothing: the cycle's errors and the
    note's reason say so, and the reason goes once the note is read or listed again."""
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()
        await env.connector.run_cycle()
        saved = env.bp.delete_gon(gid)

        async def gateway(gon_id):
            return None  # "cannot tell": what a gateway's HTML 404 reads as

        monkeypatch.setattr(env.connector.bp, "goods_out_note_deleted", gateway)
        summary = await env.connector.run_cycle()
        rec = env.connector.store.gon(gid)
        assert rec.stage == Stage.IMPORTED and rec.reason.startswith(reasons.DELETION_UNKNOWN)
        assert "gateway" in rec.reason and any(
            reasons.DELETION_UNKNOWN in e for e in summary.errors
        )
        monkeypatch.undo()
        await env.connector.run_cycle()  # Brightpearl's own 404: a first proof replaces it
        rec = env.connector.store.gon(gid)
        assert rec.reason.startswith(reasons.DELETION_SEEN)
        assert reasons.before_deletion_seen(rec.reason) == ""
        env.bp.restore_gon(gid, saved)  # listed again
        monkeypatch.setattr(env.connector.bp, "goods_out_note_deleted", gateway)
        await env.connector.run_cycle()
        assert env.connector.store.gon(gid).reason == ""
    finally:
        await env.aclose()


async def test_a_cannot_tell_reason_goes_once_the_note_is_read_though_not_listed(
    tmp_path, monkeypatch
):
    """A note older than lookback_days leaves the list but is still read by id: read, it is not
    deleted, so the "could not be told" reason goes."""
    env = make_env(tmp_path, orders=0)
    try:
        gid = env.bp.add_printed_gon()
        await env.connector.run_cycle()
        saved = env.bp.delete_gon(gid)  # out of the list and out of the read

        async def gateway(gon_id):
            return None

        monkeypatch.setattr(env.connector.bp, "goods_out_note_deleted", gateway)
        await env.connector.run_cycle()
        assert env.connector.store.gon(gid).reason.startswith(reasons.DELETION_UNKNOWN)
        saved["createdOn"] = "2020-01-01T00:00:00.000+00:00"  # read again, but too old to list
        env.bp.restore_gon(gid, saved)
        await env.connector.run_cycle()
        rec = env.connector.store.gon(gid)
        assert rec.stage == Stage.IMPORTED and rec.reason == ""
    finally:
        await env.aclose()


async def test_a_label_on_a_note_deleted_after_it_is_no_replacement(tmp_path):
    """Labelled, then deleted in Brightpearl: the note waits in attention, and its label (never
    written back) is not taken for a replacement of a shipment that was never confirmed."""
    env = make_env(tmp_path, orders=0)
    try:
        gids = [env.bp.add_printed_gon() for _ in range(3)]
        await env.connector.run_cycle()
        rec = env.connector.store.gon(gids[0])
        env.ss.create_label(rec.ss_order_id)
        env.bp.delete_gon(gids[0])
        await env.connector.run_cycle(confirm_only=True)
        rec = env.connector.store.gon(gids[0])
        assert rec.stage == Stage.ATTENTION and rec.reason == reasons.DELETED_AFTER_LABEL
        await env.connector.run_cycle(confirm_only=True)
        assert env.bp.notes.get(rec.order_id, []) == []
        assert env.connector.store.gon(gids[0]).reason == reasons.DELETED_AFTER_LABEL
    finally:
        await env.aclose()


async def test_a_label_bought_while_cancels_are_held_is_written_back_once_listed_again(tmp_path):
    env = make_env(tmp_path, orders=0)
    try:
        gids = [env.bp.add_printed_gon() for _ in range(6)]
        await env.connector.run_cycle()
        saved = {g: env.bp.delete_gon(g) for g in gids[:4]}
        await env.connector.run_cycle()
        await env.connector.run_cycle()  # 4 > max_cancels 3: held in attention
        rec = env.connector.store.gon(gids[0])
        assert rec.stage == Stage.ATTENTION
        env.ss.create_label(rec.ss_order_id, tracking_number="LABEL-1")  # shipped meanwhile
        await env.connector.run_cycle()
        assert env.bp.notes.get(rec.order_id, []) == []  # no "replacement" of nothing
        env.bp.restore_gon(gids[0], saved[gids[0]])  # listed again: not deleted after all
        await env.connector.run_cycle()
        rec = env.connector.store.gon(gids[0])
        texts = [n["text"] for n in env.bp.notes.get(rec.order_id, [])]
        assert rec.stage == Stage.CONFIRMED and rec.tracking == "LABEL-1"
        assert len(texts) == 1 and "LABEL-1" in texts[0] and "eplacement" not in texts[0]
    finally:
        await env.aclose()
