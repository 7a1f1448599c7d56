"""Troubleshooting: live checks, known problems, "why isn't this order importing?", recent errors,
and the support bundle."""

from __future__ import annotations

import textual
from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import var
from textual.widgets import (
    DataTable,
    Footer,
    Input,
    ListItem,
    ListView,
    Static,
    TabbedContent,
    TabPane,
)

from bp_tui import __version__
from bp_tui.core.types import CheckResult
from bp_tui.ui.format import check_mark, inert, table_cell
from bp_tui.ui.messages import CheckReported, ChecksFinished, DiagnosisReady, LookupsLoaded
from bp_tui.ui.problems import KNOWN_PROBLEMS, KnownProblem
from bp_tui.ui.screens.base import DashboardScreen
from bp_tui.ui.screens.setup import checks_renderable
from bp_tui.ui.widgets.diagnosis import diagnosis_renderable
from bp_tui.ui.widgets.navbar import NavBar

HIDDEN = "-hidden"  # app.tcss: display: none


def problem_renderable(problem: KnownProblem, results: list[CheckResult]) -> Group:
    parts = [
        Text(problem.title, style="bold"),
        Text(""),
        Text.assemble(("How to tell: ", "bold"), problem.how_to_tell),
        Text.assemble(("The check we run: ", "bold"), problem.check),
        Text.assemble(("Fix: ", "bold"), problem.fix),
    ]
    related = [r for r in results if r.id in problem.check_ids]
    if related:
        parts.append(Text(""))
        parts.append(Text("Last check results:", style="bold"))
        for result in related:
            parts.append(
                inert(
                    f"  {check_mark(result.ok, result.warning)}  {result.title}: {result.detail}",
                    multiline=True,
                )
            )
    return Group(*parts)


class TroubleshootScreen(DashboardScreen):
    HELP_TITLE = "Troubleshooting"
    PALETTE_GROUP = "Troubleshoot"

    BINDINGS = [
        Binding(
            "t",
            "run_checks",
            "Run checks",
            id="trouble.checks",
            tooltip="Run every connection check now, live, each with ✓/✗ and the fix",
        ),
        Binding(
            "k",
            "tab('tab-known')",
            "Known problems",
            id="trouble.known",
            tooltip="Common problems: how to tell, the check we run, the fix",
        ),
        Binding(
            "w",
            "why",
            "Why not importing?",
            id="trouble.why",
            tooltip="Enter an order or GON id: where it is and why, and the fix",
        ),
        Binding(
            "x",
            "tab('tab-errors')",
            "Recent errors",
            id="trouble.errors",
            tooltip="Failures of recent syncs, grouped by reason",
        ),
        Binding(
            "i",
            "tab('tab-incidents')",
            "Incidents",
            id="trouble.incidents",
            tooltip="Alerts open now and resolved lately, and whether their messages went out",
        ),
        Binding(
            "e",
            "export",
            "Export bundle",
            id="trouble.export",
            tooltip="Write versions, config without secrets, recent audit log and errors to a file",
        ),
    ]

    # The doctor checks: results so far, and whether they still run.
    check_results: var[tuple[CheckResult, ...]] = var((), init=False)
    checks_running: var[bool] = var(False, init=False)

    def compose(self) -> ComposeResult:
        yield NavBar("troubleshoot")
        yield Static(self._info(), id="trouble-info")
        with TabbedContent(initial="tab-checks", id="trouble-tabs"):
            with TabPane("Checks", id="tab-checks"):
                with VerticalScroll():
                    yield Static(
                        Text("No checks run yet. Press t to run every check."), id="doctor-checks"
                    )
            with TabPane("Known problems", id="tab-known"):
                with Horizontal():
                    yield ListView(
                        *[ListItem(Static(p.title)) for p in KNOWN_PROBLEMS], id="known-list"
                    )
                    with VerticalScroll(id="known-detail-box"):
                        yield Static(problem_renderable(KNOWN_PROBLEMS[0], []), id="known-detail")
            with TabPane("Why not importing?", id="tab-why"):
                yield Input(
                    placeholder="order or GON id, then Enter", id="why-input", type="integer"
                )
                with VerticalScroll():
                    yield Static(
                        Text(
                            "Enter a Brightpearl order id or goods-out note id to see where it is, "
                            "why, and the fix."
                        ),
                        id="why-result",
                    )
            with TabPane("Recent errors", id="tab-errors"):
                yield DataTable(id="errors-table", cursor_type="row")
                yield Static(id="errors-empty")
            with TabPane("Incidents", id="tab-incidents"):
                yield DataTable(id="incidents-table", cursor_type="row")
                yield Static(id="incidents-empty")
        yield Static(id="bundle-result", classes=HIDDEN)
        yield Footer(compact=True)

    def _info(self) -> Text:
        """Versions, the APIs in use (ShipStation API version, Brightpearl auth mode) and the config
        file; wraps onto a second line on a narrow terminal rather than hide the file."""
        config = (
            self.bp_app.connector.config
            if self.bp_app.connector is not None
            else self.bp_app.config
        )
        parts = [f"bp-tui {__version__}", f"textual {textual.__version__}"]
        if config is not None:
            parts.append(f"ShipStation API {config.shipstation.api_version.upper()}")
            parts.append(f"Brightpearl auth {config.brightpearl.auth}")
        parts.append(f"config {self.bp_app.config_path or '(demo, in memory)'}")
        return Text(" · ".join(parts))

    def on_screen_resume(self) -> None:
        """Setup may have saved another API version or auth mode since this screen was made."""
        self.query_one("#trouble-info", Static).update(self._info())

    def on_mount(self) -> None:
        table = self.query_one("#errors-table", DataTable)
        table.add_column("reason", key="reason")
        table.add_column("count", key="count", width=5)
        table.add_column("GONs", key="gons")
        incidents = self.query_one("#incidents-table", DataTable)
        incidents.add_column("state", key="state", width=10)
        incidents.add_column("since", key="since", width=11)
        incidents.add_column("message", key="message", width=16)
        incidents.add_column("what", key="what")
        self.watch(self.app, "queue_version", self._refresh_errors)

    # ----------------------------------------------------------------- checks
    def action_run_checks(self) -> None:
        if self.bp_app.connector is None:
            self.notify(
                "No connection yet: fill in Setup (F3) and save.",
                title="Checks",
                severity="warning",
            )
            return
        self.query_one(TabbedContent).active = "tab-checks"
        self.check_results = ()
        self.checks_running = True
        self.bp_app.run_checks(self)

    def watch_check_results(self) -> None:
        self._show_checks()

    def watch_checks_running(self) -> None:
        self._show_checks()

    def _show_checks(self) -> None:
        self.query_one("#doctor-checks", Static).update(
            checks_renderable(list(self.check_results), self.checks_running)
        )

    def on_check_reported(self, message: CheckReported) -> None:
        self.check_results = (*self.check_results, message.result)

    def on_checks_finished(self, message: ChecksFinished) -> None:
        self.check_results = tuple(message.results)
        self.checks_running = False
        self._show_problem(self.query_one("#known-list", ListView).index or 0)

    def on_lookups_loaded(self, message: LookupsLoaded) -> None:
        """Pick lists are for the setup form; nothing to show here."""

    # --------------------------------------------------------- known problems
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        focus = {
            "tab-known": "#known-list",
            "tab-errors": "#errors-table",
            "tab-incidents": "#incidents-table",
        }.get(tab)
        if focus:
            self.query_one(focus).focus()

    @on(ListView.Highlighted, "#known-list")
    def _problem_highlighted(self, event: ListView.Highlighted) -> None:
        self._show_problem(event.list_view.index or 0)

    def _show_problem(self, index: int) -> None:
        self.query_one("#known-detail", Static).update(
            problem_renderable(KNOWN_PROBLEMS[index], list(self.check_results))
        )

    # --------------------------------------------------------------- diagnose
    def action_why(self) -> None:
        self.query_one(TabbedContent).active = "tab-why"
        self.query_one("#why-input", Input).focus()

    @on(Input.Submitted, "#why-input")
    def _why_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text.isdigit() or int(text) <= 0:
            self.query_one("#why-result", Static).update(
                Text("✗ Enter a number: a goods-out note id or an order id.")
            )
            return
        self.query_one("#why-result", Static).update(Text(f"Looking up {text}…"))
        self.bp_app.diagnose(int(text), self)

    def on_diagnosis_ready(self, message: DiagnosisReady) -> None:
        self.query_one("#why-result", Static).update(
            diagnosis_renderable(message.ident, message.diagnoses)
        )

    # ----------------------------------------------------------------- errors
    def _refresh_errors(self, _version: int = 0) -> None:
        connector = self.bp_app.connector
        errors = connector.recent_errors() if connector is not None else []
        table = self.query_one("#errors-table", DataTable)
        table.clear()
        for reason, count, gons in errors:
            shown = ", ".join(str(g) for g in gons[:8]) + (" …" if len(gons) > 8 else "")
            table.add_row(table_cell(reason), str(count), shown)  # reasons quote the APIs
        empty = self.query_one("#errors-empty", Static)
        empty.update("✓ No failures recorded." if connector is not None else "No connection yet.")
        empty.set_class(bool(errors), HIDDEN)
        self._refresh_incidents()

    def _refresh_incidents(self) -> None:
        """Open incidents first (⚑), then the last resolved ones (✓), each with what became of its
        message (sent, pending, failed and retrying)."""
        connector = self.bp_app.connector
        incidents = connector.incidents() if connector is not None else []
        table = self.query_one("#incidents-table", DataTable)
        table.clear()
        for incident in incidents:
            if incident.resolved_at is None:
                state, since, message = "⚑ open", incident.opened_at, incident.opened_message
            else:
                state, since, message = (
                    "✓ resolved",
                    incident.resolved_at,
                    incident.resolved_message,
                )
            when = since.astimezone().strftime("%d %b %H:%M") if since else ""
            table.add_row(state, when, message or "-", table_cell(incident.title))
        empty = self.query_one("#incidents-empty", Static)
        empty.update(
            "✓ No incidents: nothing has needed an alert."
            if connector is not None
            else "No connection yet."
        )
        empty.set_class(bool(incidents), HIDDEN)

    # ----------------------------------------------------------------- bundle
    def action_export(self) -> None:
        path = self.bp_app.export_bundle()
        if path is not None:
            result = self.query_one("#bundle-result", Static)
            result.update(inert(f"✓ Support bundle written: {path} (secrets removed)"))
            result.remove_class(HIDDEN)
