"""History: the dashboard over a state file holding a year's worth of notes.

``python -m bench --only history`` builds (once, then cached) a state of N confirmed notes,
each with a label and four audit rows (import, reference, shipped event, order note), written
through the store's own methods (``save_gons``, ``save_shipment``, ``intent_many``,
``intents``) under a simulated clock, so the file is what bp-tui itself writes over months.
The oldest tenth of the notes were confirmed 91-100 days ago, the rest 0-89 days ago: with
``sync.keep_days = 90`` exactly that tenth is due for retention.

Then, against the sandbox (both APIs served by another process over loopback HTTP, as real
APIs answer from elsewhere, with LIVE notes imported and LABELS of them labelled so a sync has
work), one fresh dashboard process (Textual headless, 120x36) measures:

- first frame: parent clock before the process starts -> the first frame showing queue rows;
- memory: resident set after that frame, and the process's peak over the whole run;
- search: ``/``, the digits of one note's GON id, Enter -> the frame where that note is selected;
- key latency while a sync runs: "down" every 60 ms until the sync ends; press -> the next
  frame showing the moved cursor;
- retention: the sync ends with the Retain step over the expired tenth; its duration, the
  longest the event loop was held during it (a 5 ms ticker's worst lateness), the keys pressed
  during it;
- size of the state file per 100,000 notes (built file, after a WAL checkpoint).

"Before" (``--before DIR``: a checkout of the code to compare, e.g. main before this change)
runs the same measurement with that code on a state it built itself, at ``--before-size``.
Each child process puts its code directory first on sys.path. The built files are cached in
``$TMPDIR/bp-tui-bench-history`` keyed by size, code and builder version.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILDER = 2  # bump when what build() writes changes (the cache key); 2: the clock fixed
CACHE = Path(tempfile.gettempdir()) / "bp-tui-bench-history"
EXPIRED_SHARE = 0.1
KEEP_DAYS = 90
BATCH = 1000
ID_BASE = {"gon": 10_000_000, "order": 20_000_000, "ss_order": 300_000_000, "label": 900_000_000}
FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Maria",
    "Chen",
    "Olu",
    "Priya",
    "Sam",
    "Noor",
    "Ines",
    "Tomas",
]
LAST = [
    "Smith",
    "Jones",
    "Brown",
    "Lovelace",
    "Hopper",
    "Turing",
    "Garcia",
    "Wei",
    "Okafor",
    "Patel",
    "Novak",
]


# ---------------------------------------------------------------------------------- building
class Clock:
    """Stands in for the store's ``utcnow``: each call takes the next planned time."""

    def __init__(self) -> None:
        self.planned: list[datetime] = []
        self.at = datetime.now(UTC)

    def plan(self, times: list[datetime]) -> None:
        self.planned = list(reversed(times))

    def __call__(self) -> datetime:
        return self.planned.pop() if self.planned else self.at


def note_time(i: int, n: int, built: datetime) -> datetime:
    """When note ``i`` was confirmed: the first tenth 100-91 days before ``built``, the rest
    89 days to one hour before it (a gap of two days either side of keep_days)."""
    expired = max(1, int(n * EXPIRED_SHARE))
    if i < expired:
        return built - timedelta(days=100) + timedelta(days=9) * (i / expired)
    span = timedelta(days=89) - timedelta(hours=1)
    return built - timedelta(days=89) + span * ((i - expired) / max(1, n - expired))


def _payload_template() -> dict[str, Any]:
    """What the importer stores for a note (ss_payload): taken from a real import into the
    sandbox."""
    import asyncio

    from bp_tui.sandbox.environment import build_environment

    with tempfile.TemporaryDirectory(prefix="bench-payload-") as tmp:
        env = build_environment(Path(tmp), orders=6, seed=3)

        async def go() -> str:
            try:
                await env.connector.run_cycle()
                return next(
                    r.ss_payload for r in env.connector.store.gons().values() if r.ss_payload
                )
            finally:
                await env.connector.aclose()

        return json.loads(asyncio.run(go()))


def build(n: int, path: Path) -> dict[str, Any]:
    """Write ``n`` confirmed notes (and their labels and audit rows) into a new state at ``path``
    through the store's methods, under a clock that walks through the last 100 days."""
    import bp_tui.state.store as store_module
    from bp_tui.core.records import GonRecord, ShipmentRecord
    from bp_tui.state import StateStore

    template = _payload_template()
    rng = random.Random(n)
    clock = Clock()
    # The state's clock: ``state/rows.py`` since the store was split by concern, ``state/store.py``
    # in older code (``--before``). Patched where it is, and the result checked below.
    try:
        import bp_tui.state.rows as clock_module
    except ImportError:
        clock_module = store_module  # type: ignore[no-redef]
    clock_module.utcnow = clock  # type: ignore[attr-defined]
    part = path.with_name(path.name + ".part")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{part}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    built = datetime.now(UTC).replace(microsecond=0)
    store = StateStore(part)
    for start in range(0, n, BATCH):
        idx = range(start, min(n, start + BATCH))
        times = [note_time(i, n, built).replace(microsecond=0) for i in idx]
        recs, labels = [], []
        for i, at in zip(idx, times, strict=True):
            gon_id, order_id = ID_BASE["gon"] + i, ID_BASE["order"] + i
            ss_order_id = ID_BASE["ss_order"] + i
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            tracking = f"1Z{rng.randrange(16**12):012X}"
            payload = dict(template, orderKey=f"bp-bench-gon-{gon_id}", orderNumber=str(order_id))
            payload["shipTo"] = dict(template.get("shipTo") or {}, name=name)
            recs.append(
                GonRecord(
                    gon_id=gon_id,
                    order_id=order_id,
                    stage="confirmed",
                    gon_state="shipped",
                    reference=f"PO-{rng.randrange(10**6):06d}",
                    customer=name,
                    warehouse_id=2,
                    channel_id=1,
                    ss_order_key=f"bp-bench-gon-{gon_id}",
                    ss_order_id=ss_order_id,
                    ss_order_number=str(order_id),
                    ss_payload=json.dumps(payload, ensure_ascii=False),
                    tracking=tracking,
                    confirmed_at=at,
                    first_seen=at - timedelta(hours=3),
                )
            )
            labels.append(
                ShipmentRecord(
                    kind="shipment",
                    remote_id=ID_BASE["label"] + i,
                    gon_id=gon_id,
                    ss_order_id=ss_order_id,
                    tracking=tracking,
                    carrier="ups",
                    service="ups_ground",
                    shipped_at=at - timedelta(minutes=20),
                    created_at=at - timedelta(minutes=20),
                    role="confirmed",
                    noted=True,
                )
            )
        clock.plan(times)
        store.save_gons(recs)
        with store.transaction():
            for label in labels:
                store.save_shipment(label)
        settle: list[tuple[int, str, str]] = []
        settle_times: list[datetime] = []
        for api, action, offset in (
            ("shipstation", "import", timedelta(hours=-3)),
            ("brightpearl", "ref", timedelta()),
            ("brightpearl", "shw", timedelta()),
            ("brightpearl", "note", timedelta()),
        ):
            clock.plan([at + offset for at in times])
            keys = [
                f"{action}:{r.gon_id}"
                if action != "note"
                else f"note:shipment-{ID_BASE['label'] + i}"
                for i, r in zip(idx, recs, strict=True)
            ]
            ids = store.audit.record_intents(
                api,
                action,
                [(r.gon_id, r.order_id, key, "") for r, key in zip(recs, keys, strict=True)],
            )
            detail = {
                "import": "ShipStation order {}",
                "ref": "reference {}",
                "shw": "shipped {}",
                "note": "order note {}",
            }[action]
            settle += [
                (aid, "ok", detail.format(r.ss_order_id)) for aid, r in zip(ids, recs, strict=True)
            ]
            settle_times += [at + offset + timedelta(seconds=2) for at in times]
        clock.plan(settle_times)
        store.audit.settle_intents(settle)
    oldest = min(r.updated_at for r in store.gons([ID_BASE["gon"]]).values() if r.updated_at)
    if built - oldest < timedelta(days=KEEP_DAYS):  # the clock above was not the state's
        raise SystemExit(f"build: the oldest note was written at {oldest}, not 100 days ago")
    store.meta.set_watermark("bench_built_at", built.isoformat())
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    seconds = time.perf_counter() - started
    for suffix in ("-wal", "-shm"):
        Path(f"{part}{suffix}").unlink(missing_ok=True)
    part.rename(path)
    return {
        "notes": n,
        "build_s": round(seconds, 1),
        "bytes": path.stat().st_size,
        "built_at": built.isoformat(),
    }


def cached(n: int, code: Path, label: str) -> tuple[Path, dict[str, Any]]:
    """The state of ``n`` notes built by the code in ``code`` (built now if not cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"history-{n}-{label}-b{BUILDER}.sqlite3"
    info_path = path.with_suffix(".json")
    if path.exists() and info_path.exists():
        return path, json.loads(info_path.read_text())
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "build",
            str(n),
            str(path),
            "--code",
            str(code),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=code,
    )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info_path.write_text(json.dumps(info))
    return path, info


# ------------------------------------------------------------------------------ measuring
def _rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _stats(ms: list[float]) -> dict[str, float] | None:
    if not ms:
        return None
    ms = sorted(ms)
    return {
        "n": len(ms),
        "median": round(statistics.median(ms), 1),
        "p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
        "max": round(ms[-1], 1),
    }


async def dashboard(state: Path, config_path: Path, keep_days: int, target: int) -> dict[str, Any]:
    """Child process: the dashboard over ``state`` (see the module's docstring)."""
    import asyncio

    from bp_tui.config import load_config
    from bp_tui.service.connector import Connector
    from bp_tui.ui import BpApp

    phase: dict[str, float] = {}
    try:
        import bp_tui.sync.retain as retain_module

        real_retain = retain_module.Retain.__call__

        async def timed_retain(self: Any, ctx: Any) -> None:
            phase["retain_start"] = time.perf_counter()
            try:
                await real_retain(self, ctx)
            finally:
                phase["retain_end"] = time.perf_counter()

        retain_module.Retain.__call__ = timed_retain  # type: ignore[method-assign]
    except ImportError:  # code without retention
        pass

    config = load_config(config_path, env={})
    if hasattr(config.sync, "keep_days"):
        config.sync.keep_days = keep_days
    connector = Connector(config, state, config_path=config_path)
    app = BpApp(
        config=config,
        config_path=config_path,
        state_path=state,
        connector=connector,
        auto_sync=False,
        progress_linger_seconds=0,
    )
    frames: list[float] = []  # when each frame was drawn...
    drawn: list[int | None] = []  # ...and the GON its cursor was on
    real_display = app._display

    def selected() -> int | None:
        pick = getattr(app.screen, "selected_gon", None)
        return pick() if pick is not None else None

    def display(screen: Any, renderable: Any) -> None:
        real_display(screen, renderable)
        if renderable is not None:
            frames.append(time.perf_counter())
            drawn.append(selected())

    app._display = display  # type: ignore[method-assign]
    lateness: list[tuple[float, float]] = []  # (when, how late) of a 5 ms ticker in the app's loop

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            after = time.perf_counter()
            lateness.append((after, after - before - 0.005))

    out: dict[str, Any] = {}
    async with app.run_test(size=(120, 36)) as pilot:
        tick = asyncio.get_running_loop().create_task(ticker())

        async def first_frame(start: float, showing: Any, limit: float) -> float | None:
            """When the first frame after ``start`` whose cursor ``showing(gon)`` was drawn."""
            seen = len(frames)
            while seen and frames[seen - 1] > start:
                seen -= 1
            while time.perf_counter() - start < limit:
                for at, gon in zip(frames[seen:], drawn[seen:], strict=True):
                    if at > start and showing(gon):
                        return at
                seen = len(frames)
                await asyncio.sleep(0.001)
            return None

        async def frame_after(start: float, done: Any, limit: float) -> float | None:
            while time.perf_counter() - start < limit:
                if done() and frames and frames[-1] > start:
                    return frames[-1]
                await asyncio.sleep(0.001)
            return None

        def send(key: str) -> None:
            """A key as the terminal driver delivers it (no test harness waiting in between)."""
            from textual import events

            names = {"/": ("slash", "/"), "enter": ("enter", "\r"), "escape": ("escape", "\x1b")}
            name, char = names.get(key, (key, key if len(key) == 1 else None))
            app._driver.send_message(events.Key(name, char))  # type: ignore[union-attr]

        while selected() is None:  # the queue's rows are there...
            await asyncio.sleep(0.001)
        first = await frame_after(time.perf_counter(), lambda: True, 600)  # ...and drawn
        out["first_frame_epoch"] = time.time() - (time.perf_counter() - first) if first else None
        await app.workers.wait_for_complete()
        await pilot.pause()
        out["rss_after_first_frame_mb"] = round(_rss_mb(), 1)

        # search for one note by its GON id: "/", the digits, Enter, each sent when the one
        # before has been handled (as typed); from the "/" to the frame selecting the note
        from textual.widgets import Input

        search = app.screen.query_one("#search", Input)
        start = time.perf_counter()
        send("/")
        await frame_after(start, lambda: search.has_focus, 300)
        slowest = 0.0
        for n, digit in enumerate(str(target)):
            pressed = time.perf_counter()
            send(digit)
            shown = await frame_after(
                pressed, lambda n=n: search.value == str(target)[: n + 1], 300
            )
            slowest = max(slowest, (shown or time.perf_counter()) - pressed)
        send("enter")
        found = await first_frame(start, lambda gon: gon == target, 300)
        out["search_s"] = round(found - start, 3) if found else None
        out["search_slowest_key_s"] = round(slowest, 3)
        send("escape")  # leaves the table focused, the search open
        send("/")
        send("escape")  # clears and closes it
        await frame_after(
            time.perf_counter(), lambda: not search.value and selected() != target, 300
        )

        # key latency while a sync runs (and retention at its end): "down" sent as the terminal
        # does (a test pilot's press would wait for the process to be idle, which it is not
        # while a sync runs); press -> the first frame drawn with the cursor moved
        if not app.start_sync("sync"):  # type: ignore[attr-defined]
            raise RuntimeError("the dashboard did not start a sync")
        await asyncio.sleep(0.05)
        presses: list[tuple[float, float, bool]] = []  # (pressed at, latency ms, during retention)
        missed = 0
        while (
            any(w.name == "sync" and not w.is_finished for w in app.workers) and len(presses) < 2000
        ):
            await asyncio.sleep(0.06)
            before = selected()
            pressed = time.perf_counter()
            retaining = "retain_start" in phase and "retain_end" not in phase
            send("down")
            moved = await first_frame(pressed, lambda gon, before=before: gon != before, 30)
            if moved is None:
                missed += 1
            else:
                presses.append((pressed, (moved - pressed) * 1000, retaining))
        out["keys_not_answered_in_30_s"] = missed
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = app.status.last_summary  # type: ignore[attr-defined]
        tick.cancel()
    r0, r1 = phase.get("retain_start"), phase.get("retain_end")
    during = [ms for _at, ms, ret in presses if ret]
    out.update(
        {
            "peak_rss_mb": round(_rss_mb("VmHWM"), 1),
            "keys_during_sync_ms": _stats([ms for _at, ms, _ret in presses]),
            "sync": {
                "confirmed": summary.confirmed if summary else None,
                "duration_s": round(summary.duration_s, 2) if summary else None,
                "removed": getattr(summary, "removed", None) if summary else None,
            },
            "retention": None
            if r0 is None or r1 is None
            else {
                "duration_s": round(r1 - r0, 2),
                "loop_held_max_ms": round(
                    max((late for at, late in lateness if r0 <= at <= r1 + 0.05), default=0) * 1000,
                    1,
                ),
                "keys_ms": _stats(during),
            },
            "loop_held_max_during_sync_ms": round(
                max((late for at, late in lateness if presses and presses[0][0] <= at), default=0)
                * 1000,
                1,
            ),
        }
    )
    return out


def _state_bytes(path: Path) -> int:
    return sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )


def measure(
    n: int, code: Path, label: str, *, live: int, labels: int, retention: bool
) -> dict[str, Any]:
    path, info = cached(n, code, label)
    built_at = datetime.fromisoformat(info["built_at"])
    age_days = (datetime.now(UTC) - built_at) / timedelta(days=1)
    keep_days = KEEP_DAYS + math.floor(
        age_days
    )  # exactly the oldest tenth is due, however old the cache
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        work = Path(tmp)
        (work / "account").mkdir()
        state = work / "account" / "state.sqlite3"
        shutil.copyfile(path, state)
        os.chmod(state, 0o600)
        serve = [
            sys.executable,
            "-m",
            "bench.accounts",
            "serve",
            str(live),
            str(work),
            "--imported",
            "--labels",
            str(labels),
        ]
        if retention:  # the account's own import cycle must not prune before the dashboard runs
            serve += ["--keep-days", "36500"]
        server = subprocess.Popen(serve, stdout=subprocess.PIPE, text=True, cwd=code)
        try:
            ready = json.loads(server.stdout.readline())  # type: ignore[union-attr]
            target = ID_BASE["gon"] + n // 2 + 7
            started = time.time()
            out = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "dashboard",
                    "--code",
                    str(code),
                    "--state",
                    ready["state"],
                    "--config",
                    ready["config"],
                    "--keep-days",
                    str(keep_days),
                    "--target",
                    str(target),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=code,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            after = _state_bytes(Path(ready["state"]))
        finally:
            server.terminate()
            server.wait(timeout=30)
    first = result.pop("first_frame_epoch")
    return {
        "notes": n,
        "code": label,
        "build": info,
        "bytes_per_100k": round(info["bytes"] / n * 100_000),
        "first_frame_s": round(first - started, 2) if first else None,
        **result,
        "bytes_after_sync": after,
        "live_notes": live,
        "labels": labels,
    }


def run(
    n: int = 1_000_000,
    *,
    before: Path | None = None,
    before_label: str = "",
    before_n: int = 100_000,
    live: int = 1_000,
    labels: int = 300,
) -> dict[str, Any]:
    """The measurement at ``n`` notes with this code; with ``before`` (a directory holding the
    code to compare, e.g. ``git archive main | tar -x -C DIR``) the same at ``before_n`` with
    that code, labelled ``before_label`` (its commit) in the results and the cache key."""
    from bp_tui.state.schema import SCHEMA_VERSION

    out: dict[str, Any] = {
        "after": measure(n, ROOT, f"v{SCHEMA_VERSION}", live=live, labels=labels, retention=True)
    }
    if before is not None:
        label = f"before-{before_label or before.name}"
        out["before"] = measure(before_n, before, label, live=live, labels=labels, retention=False)
    return out


def _main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        description="history bench: build a state, or measure the dashboard on one"
    )
    parser.add_argument("what", choices=["build", "dashboard"])
    parser.add_argument("n", nargs="?", type=int)
    parser.add_argument("path", nargs="?", type=Path)
    parser.add_argument("--code", type=Path, default=ROOT, help="the bp-tui checkout to run")
    parser.add_argument("--state", type=Path)
    parser.add_argument("--config", type=Path)
    parser.add_argument("--keep-days", type=int, default=KEEP_DAYS)
    parser.add_argument("--target", type=int)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.code.resolve()))
    if args.what == "build":
        print(json.dumps(build(args.n, args.path)))
    else:
        import asyncio

        print(
            json.dumps(asyncio.run(dashboard(args.state, args.config, args.keep_days, args.target)))
        )


if __name__ == "__main__":
    _main(sys.argv[1:])
