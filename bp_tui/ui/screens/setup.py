"""Connection setup: every config key as a form, Test connection, Save (0600).

Secrets stay out of everything this screen shows: the fields are masked, error messages
are redacted, and a failed save is a message on the screen, never a crash (whose traceback
would list local variables).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from bp_tui.config import MASK, Config, derive_integration_url, secret_values
from bp_tui.config.model import V1_BASE_URL, V2_BASE_URL
from bp_tui.config.schema import KEYS, Key
from bp_tui.core.types import CheckResult
from bp_tui.errors import ApiProblem, ConfigError, ConfigWriteError
from bp_tui.service.setup import (
    LOGIN_VALID_S,
    BareCodeRefused,
    BrightpearlLogin,
    LoginError,
    save_settings,
)
from bp_tui.ui.format import check_mark, clean, inert, os_error_text, redact
from bp_tui.ui.messages import ApiVersionDetected, CheckReported, ChecksFinished, LookupsLoaded
from bp_tui.ui.screens.base import DashboardScreen
from bp_tui.ui.setup_form import (
    BRANDING,
    CAPTIONS,
    LABELS,
    LOOKUPS,
    NEW_SETUP,
    OAUTH_CONNECT_HINT,
    SECTIONS,
    V2_NOTE,
    auth_fields_shown,
    choice_label,
    field_id,
    key_for,
    message_id,
    parse_text,
    picker_id,
    to_text,
)
from bp_tui.ui.widgets.checkbox import TextCheckbox
from bp_tui.ui.widgets.navbar import NavBar

HIDDEN = "-hidden"  # app.tcss: display: none


def checks_renderable(results: list[CheckResult], running: bool) -> Table:
    table = Table(
        expand=True,
        show_edge=False,
        pad_edge=False,
        title_justify="left",
        title="Connection test" + (" (running…)" if running else ""),
    )
    table.add_column("result", no_wrap=True)
    table.add_column("check", ratio=1)
    table.add_column("what we saw / the fix", ratio=2)
    for result in results:
        # Details quote the APIs (error texts): shown inert.
        said = (
            f"{result.detail}\nFix: {result.fix}"
            if result.fix and (result.warning or not result.ok)
            else result.detail
        )
        table.add_row(
            Text(check_mark(result.ok, result.warning), style="bold"),
            inert(result.title),
            inert(said.strip(), multiline=True),
        )
    if not results:
        table.add_row("…", "waiting for the first check", "")
    return table


class SetupScreen(DashboardScreen):
    HELP_TITLE = "Connection setup"
    PALETTE_GROUP = "Setup"

    BINDINGS = [
        Binding(
            "ctrl+s",
            "save",
            "Save",
            id="setup.save",
            priority=True,
            key_display="^s",
            tooltip="Check every field and write the config file (mode 0600)",
        ),
        Binding(
            "ctrl+t",
            "test",
            "Test connection",
            id="setup.test",
            priority=True,
            key_display="^t",
            tooltip="Detect which ShipStation API the key belongs to, run the doctor checks live "
            "with these values; fills the pick lists",
        ),
        Binding(
            "ctrl+b",
            "branding",
            "Push branding",
            id="setup.branding",
            priority=True,
            key_display="^b",
            tooltip="Send company name, phone, email and website to the ShipStation store",
        ),
    ]

    # The Brightpearl auth mode picked in the form: which credential fields show.
    auth_mode: var[str | None] = var(None, init=False)
    # The ShipStation API picked in the form (V2: no secret, no stores, no branding push).
    ss_api_version: var[str | None] = var(None, init=False)
    # The connection test: results so far, and whether it still runs.
    check_results: var[tuple[CheckResult, ...]] = var((), init=False)
    checks_running: var[bool] = var(False, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.errors: dict[str, str] = {}  # dotted key -> why its field is wrong
        self.oauth_login: BrightpearlLogin | None = None  # the login whose address is shown
        self._bare_code_seen: str | None = None  # a bare code refused once: Enter again uses it

    # ---------------------------------------------------------------- compose
    def _initial(self) -> Config:
        """The saved config, or for a new setup the defaults with what a new setup should choose."""
        config = self.bp_app.config
        if config is not None:
            return config
        new = Config()
        for dotted, value in NEW_SETUP.items():
            new.set(dotted, value)
        return new

    def compose(self) -> ComposeResult:
        config = self._initial()
        yield NavBar("setup")
        with VerticalScroll(id="setup-form"):
            intro = (
                "First run: fill in both sides, Test connection (ctrl+t), then Save (ctrl+s)."
                if self.bp_app.config is None
                else (
                    "Edit the connection. Test connection (ctrl+t) checks it live; "
                    "Save (ctrl+s) writes the file."
                )
            )
            yield Static(intro, id="setup-intro", classes="hint")
            for title, dotted_keys in SECTIONS:
                yield Static(title, classes="section-title")
                for dotted in dotted_keys:
                    yield from self._field(key_for(dotted), config)
                if title == "Brightpearl connection":
                    yield from self._oauth_connect()
                if title == "ShipStation":
                    yield Static(id="ss-detected", classes=f"hint {HIDDEN}")
                    yield Static(V2_NOTE, id="ss-v2-note", classes=f"hint {HIDDEN}")
                if title == "Store settings":
                    yield Static(
                        "Branding (pushed to the ShipStation store with ctrl+b; "
                        "not kept in the file)",
                        classes="hint",
                    )
                    for name, label in BRANDING:
                        with Horizontal(classes="field-row"):
                            yield Label(label, classes="field-label")
                            yield Input(id=f"b-{name}", compact=True, classes="field-input")
            yield Static(id="save-result", classes=HIDDEN)
            yield Static(id="checks", classes=HIDDEN)
        yield Footer(compact=True)

    def _field(self, key: Key, config: Config) -> ComposeResult:
        value = config.get(key.dotted)
        env_set = key.dotted in config.env_overridden
        with Horizontal(classes="field-row", id=f"row-{field_id(key.dotted)}"):
            yield Label(LABELS[key.dotted], classes="field-label")
            widget: Widget
            if key.kind is bool:
                widget = TextCheckbox(
                    CAPTIONS.get(key.dotted, "on"), value=bool(value), compact=True
                )
            elif key.choices:
                widget = Select(
                    [(choice_label(key.dotted, c), c) for c in key.choices],
                    value=value,
                    allow_blank=False,
                    compact=True,
                )
            else:
                widget = Input(
                    to_text(key, value),
                    password=key.secret,
                    compact=True,
                    placeholder=self._placeholder(key, config),
                )
                widget.disabled = env_set
            widget.id = field_id(key.dotted)
            widget.add_class("field-input")
            yield widget
            if key.dotted in LOOKUPS:
                yield Select(
                    [],
                    prompt="pick (after test)",
                    id=picker_id(key.dotted),
                    compact=True,
                    classes="picker",
                    disabled=True,
                )
        note = f"set by {key.env} (not written to the file)" if env_set else ""
        yield Static(note, id=message_id(key.dotted), classes=f"field-message {HIDDEN}")

    def _oauth_connect(self) -> ComposeResult:
        """Connect to Brightpearl by OAuth (shown only when auth = "oauth")."""
        with Vertical(id="oauth-connect") as block:
            block.styles.height = "auto"
            yield Static(OAUTH_CONNECT_HINT, classes="hint")
            with Horizontal(classes="field-row"):
                yield Label("Connect", classes="field-label")
                yield Button("Show the address to open", id="oauth-start", compact=True)
            yield Static("", id="oauth-url")
            with Horizontal(classes="field-row"):
                yield Label("Pasted address", classes="field-label")
                yield Input(
                    id="oauth-pasted",
                    compact=True,
                    classes="field-input",
                    placeholder="the address the browser was sent to (or only the code), "
                    "then Enter",
                )
            yield Static("", id="oauth-result")

    def _placeholder(self, key: Key, config: Config) -> str:
        if key.dotted == "brightpearl.integration_url":
            bp = config.brightpearl
            return derive_integration_url(bp.datacenter or "euw1", bp.account_code or "ACCOUNT")
        if key.kind is list:
            return "empty = all; ids like 1, 2"
        return key.help

    def on_mount(self) -> None:
        self.auth_mode = str(self._initial().brightpearl.auth)
        self.ss_api_version = str(self._initial().shipstation.api_version)
        self._saved_form = self._form_state()
        env_set = self._initial().env_overridden
        for key in KEYS:  # the "set by BP_TUI_…" notes show, whatever the auth mode
            self.query_one(f"#{message_id(key.dotted)}").set_class(
                key.dotted not in env_set, HIDDEN
            )

    # ------------------------------------------------------------- live rules
    def watch_auth_mode(self, mode: str) -> None:
        for dotted, visible in auth_fields_shown(mode).items():
            self._set_field_visible(dotted, visible)
        self.query_one("#oauth-connect").set_class(mode != "oauth", HIDDEN)

    def _set_field_visible(self, dotted: str, visible: bool) -> None:
        self.query_one(f"#row-{field_id(dotted)}").set_class(not visible, HIDDEN)
        message = self.query_one(f"#{message_id(dotted)}", Static)
        message.set_class(not (visible and dotted in self.errors), HIDDEN)

    @on(Select.Changed, "#f-brightpearl-auth")
    def _auth_changed(self, event: Select.Changed) -> None:
        self.auth_mode = str(event.value)

    def watch_ss_api_version(self, version: str) -> None:
        self._set_field_visible("shipstation.api_secret", version != "v2")
        self.query_one("#ss-v2-note").set_class(version != "v2", HIDDEN)

    @on(Select.Changed, "#f-shipstation-api_version")
    def _api_version_changed(self, event: Select.Changed) -> None:
        self.ss_api_version = str(event.value)

    @on(Input.Changed, ".field-input")
    def _input_changed(self, event: Input.Changed) -> None:
        dotted = self._dotted_of(event.input)
        if dotted is None:
            return
        _value, reason = parse_text(key_for(dotted), event.value)
        self._set_error(dotted, reason)
        if dotted in ("brightpearl.datacenter", "brightpearl.account_code"):
            self._update_url_placeholder()

    def _update_url_placeholder(self) -> None:
        datacenter = self.query_one(f"#{field_id('brightpearl.datacenter')}", Input).value.strip()
        account = self.query_one(f"#{field_id('brightpearl.account_code')}", Input).value.strip()
        url_input = self.query_one(f"#{field_id('brightpearl.integration_url')}", Input)
        url_input.placeholder = derive_integration_url(datacenter or "euw1", account or "ACCOUNT")

    def _dotted_of(self, widget: Widget) -> str | None:
        if not widget.id or not widget.id.startswith("f-"):
            return None
        section, name = widget.id[2:].split("-", 1)
        return f"{section}.{name}"

    def _set_error(self, dotted: str, reason: str | None) -> None:
        message = self.query_one(f"#{message_id(dotted)}", Static)
        widget = self.query_one(f"#{field_id(dotted)}")
        if reason:
            self.errors[dotted] = reason
            message.update(inert(f"✗ {reason}"))  # the reason quotes what was typed
            message.remove_class(HIDDEN)
            widget.add_class("-invalid-field")
        else:
            self.errors.pop(dotted, None)
            message.update("")
            message.add_class(HIDDEN)
            widget.remove_class("-invalid-field")

    # ------------------------------------------------------------ form values
    def _form_state(self) -> dict[str, object]:
        """What the form's config fields hold now, as typed (to tell unsaved changes)."""
        state: dict[str, object] = {}
        for key in KEYS:
            widget = self.query_one(f"#{field_id(key.dotted)}")
            state[key.dotted] = widget.value  # type: ignore[attr-defined]
        return state

    def has_unsaved_changes(self) -> bool:
        """A config field differs from what was loaded or last saved (branding is never kept)."""
        return self._form_state() != self._saved_form

    def form_values(self) -> dict[str, Any]:
        """Every key's value from the form; records a reason per bad field in ``self.errors``."""
        values: dict[str, Any] = {}
        for key in KEYS:
            widget = self.query_one(f"#{field_id(key.dotted)}")
            if isinstance(widget, Checkbox):
                values[key.dotted] = widget.value
            elif isinstance(widget, Select):
                values[key.dotted] = widget.value
            else:
                assert isinstance(widget, Input)
                if widget.disabled:  # set by the environment: keep the loaded value
                    continue
                value, reason = parse_text(key, widget.value)
                if not self._field_visible(key.dotted):
                    reason = None
                self._set_error(key.dotted, reason)
                values[key.dotted] = value
        return values

    def _field_visible(self, dotted: str) -> bool:
        return not self.query_one(f"#row-{field_id(dotted)}").has_class(HIDDEN)

    def build_config(self) -> Config | None:
        """A Config from the form, or None (and the first bad field focused) when a field is
        wrong."""
        values = self.form_values()
        if self.errors:
            first = next(k.dotted for k in KEYS if k.dotted in self.errors)
            self.query_one(f"#{field_id(first)}").focus()
            self.notify(
                clean(
                    f"{len(self.errors)} field(s) need fixing: "
                    f"{LABELS[first]}: {self.errors[first]}"
                ),
                title="Check the form",
                severity="error",
                markup=False,
            )
            return None
        config = copy.deepcopy(self._initial())
        for dotted, value in values.items():
            config.set(dotted, value)
        return config

    # ---------------------------------------------------------------- actions
    def action_save(self) -> None:
        self.save()

    def save(self) -> bool:
        """Check the form and write the config file; False (the reason shown on this screen and
        in a notice, the form as it was) when a field is wrong or the file cannot be written."""
        config = self.build_config()
        if config is None:
            return False
        path = self.bp_app.config_path
        result = self.query_one("#save-result", Static)
        result.remove_class(HIDDEN)
        problems = write_config(config, path)
        if problems:
            result.update(
                inert("✗ Not saved:\n" + "\n".join(problems), multiline=True, style="bold")
            )
            self.notify(
                clean(problems[0]), title="Not saved", severity="error", timeout=10, markup=False
            )
            return False
        self._saved_form = self._form_state()
        missing = config.missing_for_sync()
        lines = [f"✓ Saved to {path} (mode 0600)."]
        if missing:
            lines.append("Still needed before a sync can run:")
            lines.extend(f"  · {m}" for m in missing)
        opened = self._apply(config)
        if opened:
            lines.append(opened)
        result.update(inert("\n".join(lines), multiline=True))
        self.notify(clean(f"Saved to {path}"), title="Config saved", timeout=4, markup=False)
        return True

    def _apply(self, config: Config) -> str:
        """Use the saved settings now; what went wrong opening the connection, or ""."""
        try:
            self.bp_app.apply_config(config)
        except Exception as exc:  # noqa: BLE001 - the file is saved; say why the connection is not open
            why = redact(f"{type(exc).__name__}: {exc}", secret_values(config), MASK)
            self.notify(
                clean(why),
                title="Connection not opened",
                severity="error",
                timeout=10,
                markup=False,
            )
            return f"✗ Saved, but the connection could not be opened: {why}"
        return ""

    def action_test(self) -> None:
        """Test connection: first which ShipStation API the key belongs to (when a key is typed),
        then the checks with the form's values."""
        config = self.build_config()
        if config is None:
            return
        if config.shipstation.api_key and "shipstation.api_key" not in config.env_overridden:
            self.query_one("#ss-detected", Static).update(
                "Asking ShipStation which API the key belongs to…"
            )
            self.query_one("#ss-detected").remove_class(HIDDEN)
            self.bp_app.detect_shipstation_api(self, config)
            return
        self._run_checks(config)

    def on_api_version_detected(self, message: ApiVersionDetected) -> None:
        """Set api_version to the API the key answered on (V2: the secret field goes), then test."""
        said = message.sentence
        version = message.version
        if version is not None:
            select = self.query_one(f"#{field_id('shipstation.api_version')}", Select)
            changed = select.value != version
            select.value = version
            self.ss_api_version = version
            self._default_base_url(version)
            said += f"; API version set to {version}" if changed else f"; API version {version}"
            if version == "v2":
                said += ": the API secret is not needed"
        self.query_one("#ss-detected", Static).update(inert(said + "."))
        config = self.build_config()
        if config is not None:
            self._run_checks(config)

    def _default_base_url(self, version: str) -> None:
        """A vendor address follows the API version; an address of your own (a proxy, the
        sandbox) is kept."""
        url = self.query_one(f"#{field_id('shipstation.base_url')}", Input)
        if not url.disabled and url.value.strip().rstrip("/") in ("", V1_BASE_URL, V2_BASE_URL):
            url.value = V2_BASE_URL if version == "v2" else V1_BASE_URL

    def _run_checks(self, config: Config) -> None:
        self.check_results = ()
        self.checks_running = True
        checks = self.query_one("#checks", Static)
        checks.remove_class(HIDDEN)
        self._show_checks()
        checks.scroll_visible(animate=False)
        self.bp_app.run_checks(self, config)

    def watch_check_results(self) -> None:
        self._show_checks()

    def watch_checks_running(self) -> None:
        self._show_checks()

    def _show_checks(self) -> None:
        self.query_one("#checks", Static).update(
            checks_renderable(list(self.check_results), self.checks_running)
        )

    def on_check_reported(self, message: CheckReported) -> None:
        self.check_results = (*self.check_results, message.result)

    def on_checks_finished(self, message: ChecksFinished) -> None:
        self.check_results = tuple(message.results)
        self.checks_running = False
        # Bring the whole result into view once it is laid out at its final height.
        self.call_after_refresh(self.query_one("#checks").scroll_visible, animate=False)
        failed = [r for r in message.results if not r.ok]
        if failed:
            self.notify(
                clean(f"{len(failed)} check(s) failed: {failed[0].title}"),
                title="Test connection",
                severity="error",
                markup=False,
            )
        else:
            self.notify("All checks passed.", title="Test connection", timeout=3)

    def on_lookups_loaded(self, message: LookupsLoaded) -> None:
        for dotted, name in LOOKUPS.items():
            picker = self.query_one(f"#{picker_id(dotted)}", Select)
            options = [
                (inert(f"{ident} {label}"), ident) for ident, label in message.lookups.get(name, [])
            ]
            picker.set_options(options)
            picker.disabled = not options
        self._default_staff(message.lookups.get("login_staff", []))

    def _default_staff(self, login_staff: list[tuple[int, str]]) -> None:
        """No staff contact chosen yet: take the one the credentials belong to, where known."""
        target = self.query_one(f"#{field_id('brightpearl.staff_contact_id')}", Input)
        if not login_staff or target.disabled or target.value.strip() not in ("", "0"):
            return
        ident, label = login_staff[0]
        target.value = str(ident)
        self.query_one(f"#{picker_id('brightpearl.staff_contact_id')}", Select).value = ident
        self.notify(
            clean(f"Staff contact {ident} ({label}): the staff member of this login."),
            title="Staff contact",
            timeout=5,
            markup=False,
        )

    @on(Select.Changed, ".picker")
    def _picked(self, event: Select.Changed) -> None:
        if event.value is Select.NULL or not event.select.id:
            return
        dotted = self._dotted_of_picker(event.select.id)
        target = self.query_one(f"#{field_id(dotted)}", Input)
        ident = str(event.value)
        if key_for(dotted).kind is list:
            current = [p for p in target.value.replace(",", " ").split() if p]
            if ident not in current:
                current.append(ident)
            target.value = ", ".join(current)
        else:
            target.value = ident

    @staticmethod
    def _dotted_of_picker(picker: str) -> str:
        section, name = picker[2:].split("-", 1)
        return f"{section}.{name}"

    # ------------------------------------------------------ connect by OAuth
    @on(Button.Pressed, "#oauth-start")
    def oauth_start(self) -> None:
        """Show a new authorize address (and put it on the clipboard where the terminal allows)."""
        self._bare_code_seen = None  # a bare code confirmed belongs to the address shown then
        config = self.build_config()
        if config is None:
            return
        connector = self.bp_app.connector
        if connector is None:
            self.notify(
                "Save the connection first (ctrl+s), then connect to Brightpearl.",
                title="Connect",
                severity="warning",
            )
            return
        login = connector.brightpearl_login(config.brightpearl)
        problems = login.problems()
        if problems:
            self._oauth_said("✗ " + "\n".join(problems))
            return
        try:
            url = login.start()
        except LoginError as exc:
            self._oauth_said(f"✗ {exc}")
            return
        self.oauth_login = login
        self._bare_code_seen = None
        self.query_one("#oauth-url", Static).update(Text(url))
        self.app.copy_to_clipboard(url)
        self._oauth_said(
            "Open the address above in a browser (it is on the clipboard too, where the terminal "
            "allows), approve, and paste the address the browser was sent to."
        )
        self.query_one("#oauth-pasted", Input).focus()

    @on(Input.Submitted, "#oauth-pasted")
    def _oauth_pasted(self, event: Input.Submitted) -> None:
        if self.oauth_login is None:
            self._oauth_said("✗ Show the address to open first.")
            return
        self.oauth_finish(event.value)

    @work(exclusive=True, group="oauth-login", exit_on_error=False)
    async def oauth_finish(self, pasted: str) -> None:
        """Check the state, exchange the code, store the tokens; then the connection test. A
        bare code (no state to check) is used only when Enter is pressed on it a second time."""
        assert self.oauth_login is not None
        confirmed = pasted.strip() != "" and pasted == self._bare_code_seen
        self._bare_code_seen = None
        if confirmed and self.oauth_login.waiting() is None:  # only for the login shown here
            self._oauth_said(
                f"✗ The login shown here is over {LOGIN_VALID_S // 60} minutes old or the "
                "connection changed: press Show address again and use the new one."
            )
            return
        try:
            tokens = await self.oauth_login.finish(pasted, no_state_check=confirmed)
        except BareCodeRefused:
            self._bare_code_seen = pasted
            self._oauth_said(
                "✗ That is a bare code, without the state that shows it answers the login "
                "started here. Best: paste the whole address the browser was sent to (it "
                "holds ?code=...&state=...). If you copied this code from that login yourself, "
                "press Enter again to use it as it is."
            )
            return
        except LoginError as exc:
            self._oauth_said(f"✗ {exc}")
            return
        except ApiProblem as exc:
            self._oauth_said(f"✗ {exc.describe()}")
            return
        self.oauth_login = None
        self.query_one("#oauth-pasted", Input).value = ""
        self.query_one("#oauth-url", Static).update("")
        self._oauth_said(
            f"✓ Connected to Brightpearl account {tokens.account_code}; testing the connection…"
        )
        self.action_test()

    def _oauth_said(self, text: str) -> None:
        self.query_one("#oauth-result", Static).update(Text(text))

    def action_branding(self) -> None:
        if self.ss_api_version == "v2":
            self.notify(
                "Branding push is V1 only: ShipStation API V2 has no stores endpoint.",
                title="Branding",
                severity="warning",
            )
            return
        typed = {name: self.query_one(f"#b-{name}", Input).value.strip() for name, _ in BRANDING}
        values = {
            name: value for name, value in typed.items() if value
        }  # empty = keep the store's value
        if not values:
            self.notify(
                "Fill in at least one branding field first.", title="Branding", severity="warning"
            )
            return
        self.bp_app.push_branding(values)


def write_config(config: Config, path: Path | None) -> list[str]:
    """Save ``config`` to ``path``; the problems (naming the file and the cause, never a
    secret) when it could not be written, else ``[]``. The file on disk is left as it was
    when writing fails (the save replaces it in one step)."""
    if path is None:
        return ["no config file to write to (start bp-tui with --config PATH)"]
    try:
        save_settings(config, path)
    except ConfigWriteError as exc:  # the disk or the folder: say which, and what to do
        return _not_written(path, exc.cause)
    except ConfigError as exc:
        return [redact(problem, secret_values(config), MASK) for problem in exc.problems]
    except OSError as exc:
        return _not_written(path, exc)
    except Exception as exc:  # noqa: BLE001 - a message, not a crash whose traceback lists the form's values
        why = redact(f"{type(exc).__name__}: {exc}", secret_values(config), MASK)
        return [f"cannot write {path}: {why}"]
    return []


def _not_written(path: Path, exc: OSError) -> list[str]:
    return [
        f"cannot write {path}: {os_error_text(exc)}",
        f"The file on disk is unchanged. Free some space or make {path.parent} writable, "
        "then save again (ctrl+s).",
    ]
