"""The one way a sync cycle writes to either API.

Every write is an ``Intent``: recorded in the state's audit log before it is sent (so a
crash leaves a trace that recovery resolves), then sent, then settled with its result.
``Writer`` does this; ``DryRunWriter`` records what it would write in the summary and
calls nothing, answering each write with the answer the step plans for (the dry run's
state changes are thrown away by the store's rehearsal). Steps never ask which one they
have.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bp_tui.core.intents import IntentKey
from bp_tui.core.types import CycleSummary
from bp_tui.errors import CycleStop, StopRequested, scrub_secrets
from bp_tui.state.store import StateStore

T = TypeVar("T")


@dataclass
class Intent:
    api: str  # "brightpearl" | "shipstation"
    key: IntentKey
    gon_id: int | None = None
    order_id: int | None = None
    detail: str = ""  # what is written, for the audit log and the note's history
    plan: str = ""  # the dry run's line: "ShipStation: create order ..."
    audit_id: int | None = None  # set once recorded


class Writer:
    """Records each intent, sends, settles."""

    dry_run = False

    def __init__(
        self, store: StateStore, summary: CycleSummary, secrets: Callable[[], Iterable[str]] = tuple
    ) -> None:
        self.store = store
        self.summary = summary
        self.secrets = secrets  # masked, in any encoding, in every detail the audit log keeps

    def _cleaner(self) -> Callable[[str], str]:
        """Masks the secrets (read once: a batch's details share them) in a detail."""
        secrets = tuple(self.secrets())
        return lambda detail: scrub_secrets(detail, secrets) if detail else detail

    def record(self, intents: Sequence[Intent]) -> None:
        """Audit rows with result ``intent``, committed before anything is sent."""
        groups: dict[tuple[str, str], list[Intent]] = {}
        for intent in intents:
            groups.setdefault((intent.api, intent.key.kind.value), []).append(intent)
        clean = self._cleaner()
        for (api, action), items in groups.items():
            rows = [(i.gon_id, i.order_id, str(i.key), clean(i.detail)) for i in items]
            ids = self.store.audit.record_intents(api, action, rows)
            for intent, audit_id in zip(items, ids, strict=True):
                intent.audit_id = audit_id

    async def call(
        self,
        intents: Sequence[Intent],
        send: Callable[[], Awaitable[T]],
        *,
        planned: T,
        keep_open: tuple[type[BaseException], ...] = (),
    ) -> T:
        """Send the recorded ``intents``' request. If it raises, the intents are settled as
        failed (``error`` when the API could not be reached or refused our credentials) and
        the exception goes on, except for ``keep_open`` exceptions: those leave the intents
        open for the caller (or the next run's recovery) to resolve by re-reading."""
        try:
            return await send()
        except keep_open:
            raise
        except StopRequested:
            self.settle_all(intents, "failed", "not sent: the sync was stopped")
            raise
        except CycleStop as exc:  # the API could not be reached or refused our credentials
            self.settle_all(intents, "error", f"not sent or no answer: {short_error(exc)}")
            raise
        except Exception as exc:
            self.settle_all(intents, "failed", short_error(exc))
            raise

    async def write(
        self,
        intent: Intent,
        send: Callable[[], Awaitable[T]],
        *,
        planned: T,
        ok: str,
        keep_open: tuple[type[BaseException], ...] = (),
    ) -> T:
        """Record, send and settle one write whose success needs no reading of the answer."""
        self.record([intent])
        result = await self.call([intent], send, planned=planned, keep_open=keep_open)
        self.settle(intent, "ok", ok)
        return result

    def settle(self, intent: Intent, result: str, detail: str = "") -> None:
        if intent.audit_id is not None:
            clean = self._cleaner() if detail else str
            self.store.audit.settle_intent(intent.audit_id, result, clean(detail))

    def settle_all(self, intents: Iterable[Intent], result: str, detail: str = "") -> None:
        self.settle_many((i, result, detail) for i in intents)

    def settle_many(self, outcomes: Iterable[tuple[Intent, str, str]]) -> None:
        clean = self._cleaner()
        self.store.audit.settle_intents(
            [
                (i.audit_id, result, clean(detail))
                for i, result, detail in outcomes
                if i.audit_id is not None
            ]
        )


class DryRunWriter(Writer):
    """Writes nothing: each intent becomes a line of ``summary.would_write`` and each call
    returns what the step planned for."""

    dry_run = True

    def record(self, intents: Sequence[Intent]) -> None:
        self.summary.would_write.extend(i.plan or f"{i.api}: {i.key}" for i in intents)

    async def call(
        self,
        intents: Sequence[Intent],
        send: Callable[[], Awaitable[T]],
        *,
        planned: T,
        keep_open: tuple[type[BaseException], ...] = (),
    ) -> T:
        return planned

    def settle_many(self, outcomes: Iterable[tuple[Intent, str, str]]) -> None:
        return None


def short_error(exc: BaseException) -> str:
    """An error as one line of at most 300 characters, for the audit log."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
