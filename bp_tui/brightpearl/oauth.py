"""Brightpearl OAuth 2.0: the authorization-code grant, from a terminal over SSH.

* ``authorize_url``: ``{oauth_url}/authorize/{account}?response_type=code&client_id={app_ref}
  &redirect_uri=...&state=...``. The operator opens it in any browser, approves, and pastes back
  the URL the browser was sent to (``read_answer`` takes it apart; ``state`` must match).
* ``TokenEndpoint``: ``POST {oauth_url}/token/{account}``, form-encoded, for the code and for
  refreshes; the snake_case answer becomes a ``TokenSet``.
* ``OAuthSession``: what the client's policy asks for the headers of each attempt. It refreshes
  the access token shortly before it expires and once when the API says it expired; the new pair
  is stored before the new access token is used (a refresh token may be single-use); refreshes
  are single-flight within a process (an asyncio lock) and across processes (the token store's
  file lock: after taking it the file is read again, and tokens another process refreshed in the
  meantime are used instead of refreshing twice).
* ``BrightpearlLogin``: ``bp-tui auth login|status|logout`` and the setup screen's Connect.

Tokens, codes and the client secret are never put in a message, a repr or a log.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from bp_tui.apiclient.backoff import Backoff
from bp_tui.apiclient.sender import AnswerTooLarge, StoppedWaiting, bounded_send, decode
from bp_tui.brightpearl.apierrors import SERVICE, error_parts
from bp_tui.config.model import BrightpearlSettings, Secret, derive_integration_url
from bp_tui.errors import (
    ApiAuthError,
    ApiError,
    ApiProblem,
    ApiUnavailable,
    BpTuiError,
    inert,
    scrub_secrets,
)
from bp_tui.state.tokens import (
    PendingLogin,
    TokenFileError,
    TokenLock,
    TokenSet,
    TokenStore,
    lifetime,
)

REFRESH_MARGIN_S = 60.0  # refresh this long before the access token expires...
MARGIN_SHARE = 0.25  # ...or, for a short-lived token, in the last quarter of its life
LOCK_WAIT_S = 120.0  # longest wait for another process's refresh (its retries included)
LOCK_POLL_S = 0.05
LOGIN_VALID_S = 15 * 60  # a shown authorize URL may be answered for this long (chosen)
STATE_BYTES = 24
BRIGHTPEARL_HOSTS = (".brightpearl.com", ".brightpearlconnect.com", ".brightpearlapp.com")

CONNECT = "run bp-tui auth login (or Setup -> Connect)"
HINT_REVOKED = f"Brightpearl access was revoked: {CONNECT}"
HINT_NOT_CONNECTED = f"Brightpearl is not connected yet: {CONNECT}"
HINT_BAD_CLIENT = (
    "Brightpearl refused the app's client id or secret: check brightpearl.app_ref (the app "
    "reference) and brightpearl.client_secret against the app's page in your Brightpearl "
    "developer account"
)
HINT_CODE_USED = (
    "the code was already used or is too old (codes are short-lived): run bp-tui auth login again"
)
HINT_REDIRECT = (
    "brightpearl.redirect_uri must be exactly the redirect URL registered on the app, "
    "and the same as when the authorize URL was shown"
)


class LoginError(BpTuiError):
    """What was pasted back cannot finish the login (state mismatch, no code, access denied)."""


class BareCodeRefused(LoginError):
    """A bare code was pasted: nothing shows it answers the login started here. Only a person's
    explicit second yes uses it (``--no-state-check``, or Enter again on the setup screen)."""


def new_state() -> str:
    return secrets.token_urlsafe(STATE_BYTES)


def authorize_url(settings: BrightpearlSettings, state: str) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.app_ref,
            "redirect_uri": settings.redirect_uri,
            "state": state,
        }
    )
    return f"{settings.oauth_url.rstrip('/')}/authorize/{settings.account_code}?{query}"


def token_url(settings: BrightpearlSettings) -> str:
    return f"{settings.oauth_url.rstrip('/')}/token/{settings.account_code}"


BARE_CODE_REFUSED = (
    "that is a bare code, without the state that shows it "
    "answers the login started here: paste the whole "
    "address the browser was sent to (it contains "
    "?code=...&state=...); to use the code as it is, run "
    "bp-tui auth login --no-state-check"
)


def read_answer(pasted: str) -> tuple[str, str | None]:
    """``(code, state)`` from the URL the browser was sent to, or ``(code, None)`` for a bare code.

    A URL must carry both ``code`` and ``state``; ``error=`` (access denied) is reported."""
    text = "".join(pasted.split()).strip(
        "'\"<>"
    )  # no whitespace in an address or a code: a wrapped copy
    if not text:
        raise LoginError(
            "nothing was pasted: paste the whole address the browser shows after you approve"
        )
    if "://" in text or text.startswith("?") or "code=" in text or "error=" in text:
        parts = urlsplit(text if "://" in text or text.startswith("?") else "?" + text)
        params = dict(parse_qsl(parts.query or parts.fragment, keep_blank_values=True))
        if params.get("error"):
            said = " ".join(
                p for p in (params.get("error", ""), params.get("error_description", "")) if p
            )
            raise LoginError(
                f"Brightpearl did not grant access ({inert(said[:200])}); approve the app, "
                "or ask an admin to turn it on in the App Store, then run bp-tui auth login again"
            )
        code, state = params.get("code", ""), params.get("state", "")
        if not code:
            raise LoginError(
                "the pasted address has no code in it: copy the whole address the browser "
                "shows after you approve (it contains ?code=...&state=...)"
            )
        if not state:
            raise LoginError(
                "the pasted address has no state in it: copy the "
                "whole address, or paste only the code"
            )
        return code, state
    if not re.fullmatch(r"[\x21-\x7e]{4,2048}", text):
        raise LoginError("that is neither the address the browser was sent to nor a code")
    return text, None


def brightpearl_host(domain: str) -> bool:
    """True for a host (no port, path or user info) in one of Brightpearl's domains."""
    domain = domain.lower()
    return bool(re.fullmatch(r"[a-z0-9][a-z0-9.-]*", domain)) and domain.endswith(BRIGHTPEARL_HOSTS)


def api_base(settings: BrightpearlSettings, tokens: TokenSet) -> str:
    """``integration_url`` when set, else ``https://{api_domain}/public-api/{account}``; the token
    is only ever sent to a Brightpearl host."""
    if settings.integration_url:
        return settings.integration_url.rstrip("/")
    if not tokens.api_domain:
        return derive_integration_url(settings.datacenter, settings.account_code)
    if not brightpearl_host(tokens.api_domain):
        raise ApiError(
            SERVICE,
            0,
            f"the grant names the API domain {inert(tokens.api_domain[:80])!r}, which is "
            "not a Brightpearl host; bp-tui sends its token only to *.brightpearl.com, "
            "*.brightpearlconnect.com and *.brightpearlapp.com",
            hint="set brightpearl.integration_url if your account's API really lives there",
        )
    return f"https://{tokens.api_domain}/public-api/{settings.account_code}"


def _auth_error(message: str, code: str, hint: str, status: int = 0) -> ApiAuthError:
    return ApiAuthError(SERVICE, status, message, code=code, hint=hint)


def move_to_oauth_steps(account_code: str) -> str:
    """How to leave a legacy mode (password, account token), step by step, with the values that
    go in which key (reference/brightpearl-auth.md §1.4)."""
    account = account_code or "ACCOUNT"
    return (
        "move to OAuth (what Brightpearl recommends):\n"
        "  1. at developer.brightpearl.com (a Brightpearl developer "
        "account) click New app: Type = Instance app, "
        "client type Confidential, and a redirect URL (an https "
        "address of yours, or http://localhost/...); save\n"
        "  2. in the app's status box add your account as an "
        "early-access account; in Brightpearl, turn the app on "
        "in the App Store\n"
        '  3. in bp-tui set auth = "oauth", app_ref = the app\'s reference (its client id), '
        "dev_ref = your "
        "developer reference (shown in the developer account), "
        "client_secret = the app's client secret, "
        "redirect_uri = the redirect URL exactly as registered\n"
        "  4. run bp-tui auth login (or Setup -> Connect) and approve\n"
        "or, without a developer account, a staff token: in "
        "Brightpearl open App Store > Private apps > Add private "
        "app, choose staff app, a name and an identifier like "
        f"{account}_bptui; save, click Manage users, add the "
        "staff member bp-tui acts as and copy the token; "
        'then set auth = "staff_token", app_ref = that '
        "identifier, token = the staff token"
    )


def _store_error(exc: TokenFileError) -> ApiAuthError:
    return _auth_error(
        str(exc), "token_file", "fix the file's folder (space, permissions), or " + CONNECT
    )


class TokenEndpoint:
    """``POST {oauth_url}/token/{account}`` for a code or a refresh token."""

    def __init__(
        self,
        settings: BrightpearlSettings,
        http: httpx.AsyncClient,
        *,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.http = http
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.clock = clock
        self.calls = 0

    async def exchange(self, code: str) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, **self._client()}
        answer = await self._post(form, lost_answer_retry=False, secrets=(code,))
        return self._tokens(answer, previous=None)

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": str(tokens.refresh_token),
            **self._client(),
        }
        # A refresh whose answer was lost is sent again with the same refresh token: the pair it
        # may have produced was never stored, let alone used (write-before-use), so the grant's
        # previous pair is still the one in effect.
        answer = await self._post(
            form, lost_answer_retry=True, secrets=(tokens.refresh_token, tokens.access_token)
        )
        return self._tokens(answer, previous=tokens)

    def _client(self) -> dict[str, str]:
        s = self.settings
        form = {"client_id": s.app_ref}
        if s.client_secret:
            form["client_secret"] = str(s.client_secret)
        # redirect_uri is sent with both grants; a server that does not need it on a
        # refresh ignores it (chosen).
        form["redirect_uri"] = s.redirect_uri
        return form

    async def _post(
        self, form: dict[str, str], *, lost_answer_retry: bool, secrets: tuple[str, ...]
    ) -> dict[str, Any]:
        hidden = (*secrets, str(self.settings.client_secret))
        url = token_url(self.settings)
        failures = 0
        while True:
            self.calls += 1
            try:
                request = self.http.build_request(
                    "POST", url, data=form, headers={"Accept": "application/json"}
                )
                response, content = await bounded_send(self.http, request, sleep=self.sleep)
            except StoppedWaiting as exc:  # a stop request: the answer is lost, as on a kill
                raise exc.cause from None
            except AnswerTooLarge as exc:
                raise ApiUnavailable(
                    SERVICE,
                    exc.status,
                    f"the token endpoint's answer was {exc}",
                    hint="check brightpearl.oauth_url",
                ) from None
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never reached Brightpearl
                problem, status = (
                    f"no answer from Brightpearl's token endpoint ({type(exc).__name__})",
                    0,
                )
            except httpx.TransportError as exc:
                problem, status = f"the token endpoint's answer was lost ({type(exc).__name__})", 0
                if not lost_answer_retry:
                    raise ApiUnavailable(
                        SERVICE, 0, problem, hint="run bp-tui auth login again"
                    ) from None
            else:
                status, body = response.status_code, decode(content)
                if 200 <= status < 300:
                    if isinstance(body, dict):
                        return body
                    problem = "the token endpoint's answer is not a JSON object"
                elif status < 500:
                    raise self._refused(status, body, form["grant_type"], hidden)
                else:
                    problem = f"the token endpoint answered HTTP {status}"
            failures += 1
            if failures >= self.backoff.attempts:
                raise ApiUnavailable(
                    SERVICE,
                    status,
                    scrub_secrets(problem, hidden),
                    hint=f"check the network and brightpearl.oauth_url ({self.settings.oauth_url})",
                )
            await self.sleep(self.backoff.delay(failures))

    def _refused(self, status: int, body: Any, grant: str, hidden: tuple[str, ...]) -> ApiProblem:
        error = description = ""
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            error = body["error"]
            given = body.get("error_description")
            description = given if isinstance(given, str) else ""
        else:
            description = error_parts(body)[1]
        message = scrub_secrets(inert((description or error)[:300]), hidden)
        message = message or f"the token endpoint answered HTTP {status}"
        if error == "invalid_client":
            return _auth_error(message, "invalid_client", HINT_BAD_CLIENT, status)
        if error == "invalid_grant":
            if grant == "refresh_token":
                return _auth_error(message, "invalid_grant", HINT_REVOKED, status)
            hint = HINT_REDIRECT if "redirect" in description.lower() else HINT_CODE_USED
            return _auth_error(message, "invalid_grant", hint, status)
        if status in (401, 403):
            return _auth_error(message, error or "refused", HINT_BAD_CLIENT, status)
        return ApiError(
            SERVICE,
            status,
            message,
            code=error or None,
            hint="check brightpearl.oauth_url, app_ref and redirect_uri",
        )

    def _tokens(self, answer: dict[str, Any], previous: TokenSet | None) -> TokenSet:
        """The answer as a TokenSet, or an error: a partial pair is never stored."""
        access = answer.get("access_token")
        refresh = answer.get("refresh_token") or (previous.refresh_token if previous else None)
        expires_in = lifetime(answer.get("expires_in"))
        token_type = answer.get("token_type", "Bearer")
        domain = answer.get("api_domain") or (previous.api_domain if previous else "")
        instance = answer.get("installation_instance_id") or (
            previous.installation_instance_id if previous else ""
        )
        problem = None
        if not isinstance(access, str) or not access:
            problem = "has no access_token"
        elif not isinstance(refresh, str) or not refresh:
            problem = "has no refresh_token"
        elif expires_in is None:
            problem = "has no usable expires_in"
        elif not isinstance(token_type, str) or token_type.lower() != "bearer":
            problem = "is not for a Bearer token"
        elif not isinstance(domain, str) or not isinstance(instance, (str, int)):
            problem = "has an api_domain or installation_instance_id of the wrong type"
        if problem is not None:
            raise ApiError(
                SERVICE,
                200,
                f"the token endpoint's answer {problem}",
                hint="nothing was stored; try again, and check brightpearl.oauth_url",
            )
        now = self.clock()
        assert isinstance(expires_in, int) and isinstance(access, str) and isinstance(refresh, str)
        return TokenSet(
            access_token=Secret(access),
            refresh_token=Secret(refresh),
            expires_at=now + expires_in,
            expires_in=expires_in,
            api_domain=str(domain),
            account_code=self.settings.account_code,
            app_ref=self.settings.app_ref,
            installation_instance_id=str(instance),
            obtained_at=now,
            granted_at=(previous.granted_at if previous is not None else now),
        )


class OAuthSession:
    """The access token of one client: loaded from the store, refreshed when due."""

    def __init__(
        self,
        settings: BrightpearlSettings,
        store: TokenStore | None,
        endpoint: TokenEndpoint,
        *,
        clock: Callable[[], float] = time.time,
        lock_wait_s: float = LOCK_WAIT_S,
    ) -> None:
        self.settings = settings
        self.store = store
        self.endpoint = endpoint
        self.clock = clock
        self.lock_wait_s = lock_wait_s
        self.refreshes = 0  # refreshes this session made (not those it took from another process)
        self._tokens: TokenSet | None = None
        self._version: tuple[int, int, int] | None = None
        self._rejected: set[str] = set()  # access tokens the API answered "expired" for
        self._local = asyncio.Lock()

    def __repr__(self) -> str:
        return (
            f"OAuthSession(account={self.settings.account_code!r}, "
            f"connected={self._tokens is not None})"
        )

    # ------------------------------------------------------------------ reading
    def tokens(self) -> TokenSet:
        """The stored tokens of this account and app (read again whenever the file changed), or
        ApiAuthError saying to log in."""
        if self.store is None:
            raise _auth_error(
                "no token store for the OAuth tokens", "not_connected", HINT_NOT_CONNECTED
            )
        try:
            version = self.store.version()
            if version != self._version or self._tokens is None:
                self._tokens, self._version = self.store.load(), version
        except TokenFileError as exc:
            raise _store_error(exc) from None
        tokens = self._tokens
        if tokens is None:
            raise _auth_error("no Brightpearl token is stored", "not_connected", HINT_NOT_CONNECTED)
        if not tokens.belongs_to(self.settings.account_code, self.settings.app_ref):
            raise _auth_error(
                f"the stored Brightpearl token is for account {inert(tokens.account_code)!r} "
                f"and app {inert(tokens.app_ref)!r}, not this config's",
                "not_connected",
                HINT_NOT_CONNECTED,
            )
        if tokens.revoked:
            raise _auth_error(
                "Brightpearl refused to refresh the stored token (invalid_grant)",
                "invalid_grant",
                HINT_REVOKED,
            )
        return tokens

    def due(self, tokens: TokenSet) -> bool:
        """Time to refresh: the API said it expired, or it expires within the margin."""
        if tokens.access_token in self._rejected:
            return True
        margin = min(REFRESH_MARGIN_S, max(tokens.expires_in, 0) * MARGIN_SHARE)
        return self.clock() >= tokens.expires_at - margin

    def api_base(self) -> str:
        return api_base(self.settings, self.tokens())

    def secrets(self) -> tuple[str, ...]:
        """Every token value this session knows of, and the client secret, for scrubbing."""
        known = [*self._rejected, str(self.settings.client_secret)]
        if self._tokens is not None:
            known += [str(self._tokens.access_token), str(self._tokens.refresh_token)]
        return tuple(s for s in known if s)

    # ------------------------------------------------------------------ using
    async def fresh(self) -> TokenSet:
        """The stored tokens, refreshed first when due."""
        tokens = self.tokens()
        return await self._refresh(tokens) if self.due(tokens) else tokens

    async def headers(self) -> dict[str, str]:
        tokens = await self.fresh()
        headers = {
            "Authorization": f"Bearer {tokens.access_token}",
            "brightpearl-app-ref": self.settings.app_ref,
        }
        if self.settings.dev_ref:
            headers["brightpearl-dev-ref"] = self.settings.dev_ref
        return headers

    def rejected(self, sent_authorization: str | None, status: int, body: Any) -> bool:
        """A 401 saying the access token expired (or is unknown: another process's refresh
        replaced it): refresh, or take the other process's tokens, before the one retry (True).
        Any other answer is an error of the call (False)."""
        if status != 401 or not sent_authorization or not sent_authorization.startswith("Bearer "):
            return False
        said = error_parts(body)[1].lower()
        if "expired" not in said and "invalid instance token" not in said:
            return False
        self._rejected.add(sent_authorization[len("Bearer ") :])
        return True

    async def refresh_now(self) -> TokenSet:
        """Refresh at once, whatever the expiry (doctor's "refresh works" check)."""
        return await self._refresh(self.tokens(), force=True)

    async def store_login(self, tokens: TokenSet) -> None:
        """Store a new login's tokens, under the refresh lock (never in the middle of a refresh)."""
        async with self._local:
            lock = await self._take_lock()
            try:
                self._save(tokens)
                self._rejected.clear()
            finally:
                lock.release()

    async def _refresh(self, stale: TokenSet, *, force: bool = False) -> TokenSet:
        async with self._local:  # one refresh at a time in this process
            current = self.tokens()
            if not force and current.access_token != stale.access_token and not self.due(current):
                return current  # another request of this process refreshed while we waited
            lock = await self._take_lock()
            try:
                self._version = None  # read the file again now that no one else can refresh
                current = self.tokens()
                if (
                    not force
                    and current.access_token != stale.access_token
                    and not self.due(current)
                ):
                    return current  # another process refreshed: use its tokens
                assert self.store is not None
                base = self._version  # the file refreshed; a logout meanwhile removes it
                try:
                    new = await self.endpoint.refresh(current)
                except ApiAuthError as exc:
                    if (
                        exc.code == "invalid_grant"
                    ):  # the grant is gone: say so without asking again
                        self._save(current.as_revoked(), unless_changed_since=base)
                    raise
                # stored before the new access token is used; discarded if logged out meanwhile
                if not self._save(new, unless_changed_since=base):
                    raise _auth_error(
                        "logged out while the Brightpearl token was being refreshed: the new "
                        "token was discarded",
                        "not_connected",
                        HINT_NOT_CONNECTED,
                    )
                self.refreshes += 1
                return new
            finally:
                lock.release()

    _ANY = ("any",)

    def _save(self, tokens: TokenSet, *, unless_changed_since: Any = _ANY) -> bool:
        """Store ``tokens``; with ``unless_changed_since`` (a file version), only if the file is
        still that one (False: logged out or logged in again meanwhile, nothing stored)."""
        assert self.store is not None
        try:
            if unless_changed_since is self._ANY:
                self.store.save(tokens)
            elif not self.store.save_if_unchanged(tokens, unless_changed_since):
                self._tokens, self._version = None, None  # read the file again next time
                return False
            self._tokens, self._version = tokens, self.store.version()
        except TokenFileError as exc:
            raise _store_error(exc) from None
        return True

    async def _take_lock(self) -> TokenLock:
        assert self.store is not None
        deadline = time.monotonic() + self.lock_wait_s
        while True:
            try:
                lock = self.store.try_lock()
            except TokenFileError as exc:
                raise _store_error(exc) from None
            if lock is not None:
                return lock
            if time.monotonic() >= deadline:
                raise ApiUnavailable(
                    SERVICE,
                    0,
                    "another bp-tui process has been refreshing the Brightpearl "
                    f"token for over {self.lock_wait_s:.0f} s",
                    hint=f"check for a stuck bp-tui process holding {self.store.lock_path}",
                )
            await asyncio.sleep(LOCK_POLL_S)


class BrightpearlLogin:
    """Connect bp-tui to Brightpearl by OAuth, and the stored tokens' status.

    The authorize URL's ``state`` is kept in the token store's pending-login file (0600) for
    ``LOGIN_VALID_S``, so the answer may be pasted into this process or given later to
    ``bp-tui auth login --code``; a pasted URL's state must match it. A bare code carries no state
    and is exchanged as it is (the operator pasted it on purpose).
    """

    def __init__(
        self,
        settings: BrightpearlSettings,
        store: TokenStore,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.transport = transport
        self.timeout = timeout
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock

    def problems(self) -> list[str]:
        """Why the config cannot start a login (each names the key), or []."""
        s = self.settings
        if s.auth != "oauth":
            return [
                f'brightpearl.auth: is "{s.auth}"; '
                'set it to "oauth" to connect with Brightpearl\'s OAuth'
            ]
        missing = (
            []
            if s.account_code
            else ["brightpearl.account_code: required (the account id in the URL)"]
        )
        return missing + s.missing_for_oauth()

    def start(self) -> str:
        """A new authorize URL; its state is kept until the answer comes (or ``LOGIN_VALID_S``)."""
        state = new_state()
        s = self.settings
        try:
            self.store.save_pending(
                PendingLogin(
                    state=Secret(state),
                    account_code=s.account_code,
                    app_ref=s.app_ref,
                    redirect_uri=s.redirect_uri,
                    created_at=self.clock(),
                )
            )
        except TokenFileError as exc:
            raise LoginError(str(exc)) from None
        return authorize_url(s, state)

    def waiting(self) -> PendingLogin | None:
        """The login started for this config and not answered yet, if still fresh."""
        pending = self.store.load_pending()
        s = self.settings
        if pending is None or self.clock() - pending.created_at > LOGIN_VALID_S:
            return None
        if (pending.account_code, pending.app_ref, pending.redirect_uri) != (
            s.account_code,
            s.app_ref,
            s.redirect_uri,
        ):
            return None
        return pending

    async def finish(self, pasted: str, *, no_state_check: bool = False) -> TokenSet:
        """Check the pasted answer, exchange the code, store the tokens (0600, atomically).

        A bare code carries no ``state``, so nothing shows that it answers the login started
        here: it is refused unless ``no_state_check`` (``auth login --no-state-check``)."""
        code, state = read_answer(pasted)
        if state is None and not no_state_check:
            raise BareCodeRefused(BARE_CODE_REFUSED)
        if state is not None:
            pending = self.waiting()
            if pending is None:
                raise LoginError(
                    "no login is waiting for this answer (none was started here, it is over "
                    f"{LOGIN_VALID_S // 60} minutes old, or the config "
                    "changed): run bp-tui auth login "
                    "and open the new address"
                )
            if not hmac.compare_digest(state.encode(), str(pending.state).encode()):
                raise LoginError(
                    "the state in the pasted address does not match the login started here, so it "
                    "does not answer this login: open the address bp-tui showed last, or run "
                    "bp-tui auth login again"
                )
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as http:
            session = self._session(http)
            tokens = await session.endpoint.exchange(code)
            await session.store_login(tokens)
        self.store.clear_pending()
        return tokens

    async def status(self, *, refresh_if_due: bool = True) -> TokenSet:
        """The stored tokens, refreshed first when due; ApiAuthError when there are none usable."""
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as http:
            session = self._session(http)
            return await session.fresh() if refresh_if_due else session.tokens()

    def logout(self) -> bool:
        """Forget the stored tokens; True when there were some."""
        try:
            return self.store.clear()
        except TokenFileError as exc:
            raise LoginError(str(exc)) from None

    def _session(self, http: httpx.AsyncClient) -> OAuthSession:
        endpoint = TokenEndpoint(
            self.settings, http, backoff=self.backoff, sleep=self.sleep, clock=self.clock
        )
        return OAuthSession(self.settings, self.store, endpoint, clock=self.clock)
