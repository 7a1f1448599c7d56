"""Sending alert messages and the heartbeat, off the cycle's path.

``Dispatcher.kick`` returns at once: a daemon thread (its own state connection) claims the due
messages, sends each to every Apprise URL that has not taken it yet, marks it, and pings the
heartbeat URL. A URL that hangs or fails costs that thread its timeouts, never the cycle; the
message stays pending (shown by `bp-tui status` and the troubleshooting screen) and is tried
again on a later kick, after ``retry``.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from bp_tui.alerts.evaluate import digest_text
from bp_tui.alerts.texts import mask_url, safe, url_id, url_tokens
from bp_tui.config import AlertSettings, split_alert_urls
from bp_tui.core.health import AlertSendResult
from bp_tui.core.records import utcnow
from bp_tui.state import StateStore
from bp_tui.state.alerts import AlertLedger

CONNECT_TIMEOUT_S = 4.0
READ_TIMEOUT_S = 6.0
LEASE = timedelta(minutes=2)  # a claim not marked by then (its sender died) is claimed again
RETRY = timedelta(minutes=1)


def send_one(url: str, title: str, body: str, kind: str = "info") -> AlertSendResult:
    """One message to one Apprise URL, with bounded timeouts; the detail never holds the URL."""
    import apprise  # half a second to import: only in the thread (or `alerts test`) that sends

    sender = apprise.Apprise()
    if not sender.add(url):
        return AlertSendResult(
            mask_url(url), False, "Apprise does not know this URL (check its scheme)"
        )
    for plugin in sender:
        plugin.socket_connect_timeout = CONNECT_TIMEOUT_S
        plugin.socket_read_timeout = READ_TIMEOUT_S
    notify_type = {
        "opened": apprise.NotifyType.FAILURE,
        "resolved": apprise.NotifyType.SUCCESS,
        "digest": apprise.NotifyType.WARNING,
    }.get(kind, apprise.NotifyType.INFO)
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as logs:
        ok = sender.notify(
            body=body, title=title, notify_type=notify_type, body_format=apprise.NotifyFormat.TEXT
        )
    detail = (
        ""
        if ok
        else safe(" ".join(logs.getvalue().split()) or "not accepted", url_tokens(url), 300)
    )
    return AlertSendResult(mask_url(url), bool(ok), detail)


def ping(url: str, ok: bool) -> bool:
    """The healthchecks convention: GET the URL after a good cycle, ``URL/fail`` after a failed
    one."""
    target = url if ok else url.rstrip("/") + "/fail"
    try:
        with httpx.Client(
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S), follow_redirects=False
        ) as client:
            return client.get(target).status_code < 400
    except httpx.HTTPError:
        return False


class Dispatcher:
    """One per connector: at most one sending thread at a time; a kick while it runs asks it for
    one more round."""

    def __init__(
        self,
        state_path: Path,
        settings: AlertSettings,
        *,
        label: str,
        retry: timedelta = RETRY,
        lease: timedelta = LEASE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.state_path = state_path
        self.settings = settings
        self.label = label
        self.retry, self.lease, self.clock = retry, lease, clock
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._again = False
        self._heartbeat: bool | None = None
        self.last_heartbeat: bool | None = None  # whether the last ping was answered
        self.last_error = ""  # what stopped the sending thread last, if anything did

    def kick(self, heartbeat: bool | None = None) -> None:
        """Send what is due, and ping the heartbeat (True: good cycle, False: failed, None: no
        ping), in the background; returns at once."""
        if not self.settings.urls and not (heartbeat is not None and self.settings.heartbeat_url):
            return  # nothing to send anywhere
        with self._lock:
            if heartbeat is not None:
                self._heartbeat = heartbeat
            self._again = True
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="bp-tui-alerts", daemon=True)
            self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the sending thread; True when it has ended."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _run(self) -> None:
        store: StateStore | None = None
        try:
            while True:
                with self._lock:
                    if not self._again:
                        self._thread = (
                            None if self._thread is threading.current_thread() else self._thread
                        )
                        return
                    self._again, heartbeat, self._heartbeat = False, self._heartbeat, None
                urls = split_alert_urls(self.settings.urls)
                if urls:
                    store = store or StateStore(self.state_path)
                    self.deliver(AlertLedger(store), urls)
                if heartbeat is not None and self.settings.heartbeat_url:
                    self.last_heartbeat = ping(self.settings.heartbeat_url, heartbeat)
        except Exception as exc:  # noqa: BLE001 - never take the process down (nor print over the
            self.last_error = (
                f"{type(exc).__name__}: {exc}"  # dashboard): the message stays pending
            )
            with self._lock:
                self._thread = None
        finally:
            if store is not None:
                store.close()

    def deliver(self, ledger: AlertLedger, urls: list[str]) -> None:
        """Claim what is due and send it to every URL that has not taken it yet."""
        claimed = ledger.claim(
            self.owner,
            self.clock(),
            lease=self.lease,
            per_hour=self.settings.max_per_hour,
            digest=digest_text(self.label, self.settings.max_per_hour),
        )
        for message in claimed:
            done = list(message.delivered_to)
            errors = []
            for url in urls:
                if url_id(url) in done:
                    continue
                result = send_one(url, message.title, message.body, message.event)
                if result.ok:
                    done.append(url_id(url))
                else:
                    errors.append(f"{result.url}: {result.detail}")
            complete = all(url_id(u) in done for u in urls)
            now = self.clock()
            ledger.settle(
                message.id,
                self.owner,
                delivered_to=done,
                complete=complete,
                error="; ".join(errors)[:500],
                now=now,
                retry_at=None if complete else now + self.retry,
            )


def send_test(settings: AlertSettings, label: str) -> list[AlertSendResult]:
    """`bp-tui alerts test`: one test message to each URL; which worked."""
    title = f"bp-tui {label}: test message"
    body = (
        f"Account {label}: this is a test of bp-tui's alerts. When this arrives, alerts for this "
        "account reach you here."
    )
    return [send_one(url, title, body) for url in split_alert_urls(settings.urls)]
