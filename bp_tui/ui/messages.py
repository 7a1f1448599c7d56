"""Textual messages carrying engine events into the UI (posted by App-level workers)."""

from __future__ import annotations

from textual.message import Message

from bp_tui.core.types import CheckResult, CycleSummary, Diagnosis, Progress


class SyncStarted(Message):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind


class SyncProgress(Message):
    """One progress event of the running cycle.

    Only the newest one matters: when several wait in the app's queue they are handled as
    one (the newest), so key presses never queue behind thousands of progress events.
    """

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncProgress)


class SyncFinished(Message):
    def __init__(self, summary: CycleSummary) -> None:
        super().__init__()
        self.summary = summary


class CheckReported(Message):
    """One doctor check finished (sent to the screen that asked)."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__()
        self.result = result


class ChecksFinished(Message):
    def __init__(self, results: list[CheckResult]) -> None:
        super().__init__()
        self.results = results


class LookupsLoaded(Message):
    """Pick lists from the APIs: "channels", "warehouses", "statuses", "stores", "staff"."""

    def __init__(self, lookups: dict[str, list[tuple[int, str]]]) -> None:
        super().__init__()
        self.lookups = lookups


class ApiVersionDetected(Message):
    """Which ShipStation API the setup form's key belongs to ("v1", "v2", or None when neither
    answered), and what each API said, as a sentence."""

    def __init__(self, version: str | None, sentence: str) -> None:
        super().__init__()
        self.version = version
        self.sentence = sentence


class DiagnosisReady(Message):
    def __init__(self, ident: int, diagnoses: list[Diagnosis]) -> None:
        super().__init__()
        self.ident = ident
        self.diagnoses = diagnoses
