"""Rendering of diagnose verdicts, shared by the queue's modal and the troubleshooting screen.

Verdicts and facts quote the APIs (names, references, error texts): all of it is shown inert.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bp_tui.core.types import Diagnosis
from bp_tui.ui.format import clean, inert, stage_label


def diagnosis_renderable(ident: int, diagnoses: list[Diagnosis]) -> RenderableType:
    if not diagnoses:
        return Text(
            f"Nothing known about {ident}: it is neither a goods-out note nor an order id seen "
            "in Brightpearl. Check the number, then run a sync."
        )
    parts: list[RenderableType] = []
    for diagnosis in diagnoses:
        head = Text()
        head.append(clean(diagnosis.subject), style="bold")
        if diagnosis.stage:
            head.append(f"  [{stage_label(diagnosis.stage)}]")
        parts.append(head)
        parts.append(inert(f"Verdict: {diagnosis.verdict}", multiline=True))
        if diagnosis.fix:
            parts.append(inert(f"Fix: {diagnosis.fix}", multiline=True, style="bold"))
        if diagnosis.facts:
            facts = Table.grid(padding=(0, 1))
            facts.add_column(style="dim", no_wrap=True)
            facts.add_column()
            for name, value in diagnosis.facts:
                facts.add_row(inert(name), inert(value, multiline=True))
            parts.append(facts)
        parts.append(Text(""))
    return Group(*parts)
