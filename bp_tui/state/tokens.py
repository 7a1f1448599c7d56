"""Brightpearl OAuth tokens on disk: files of their own beside the state file, never config.toml.

* ``{state}.bp-oauth.json`` holds the token pair, mode 0600. It is only ever replaced whole: the
  new content goes to a private temp file in the same folder, is flushed to disk, and is renamed
  over the old one (``os.replace``). A reader sees the old pair or the new one, never a mix, and a
  process killed while writing leaves the old pair as it was.
* ``{state}.bp-oauth.lock``: an exclusive ``flock`` taken by whichever process refreshes the pair
  (the dashboard and a headless ``sync --watch`` share it). The kernel drops it when its holder
  exits, even on SIGKILL.
* ``{state}.bp-oauth.guard``: a short ``flock`` (never held across a request) under which the
  pair is replaced or removed. A refresh stores its answer only if the pair it refreshed is still
  the stored one (:meth:`TokenStore.save_if_unchanged`), so a logout (or a new login) made while
  the refresh waited for Brightpearl wins: the refreshed tokens are discarded.
* ``{state}.bp-oauth-login.json``, mode 0600: the login waiting for its answer (the ``state``
  value of the authorize URL last shown), so that ``bp-tui auth login --code URL`` run later, or
  the setup screen, can check the URL the browser was sent to.

Nothing here talks to Brightpearl: ``bp_tui.brightpearl.oauth`` does, and keeps the rule that the
new pair is stored before the new access token is used.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bp_tui.config.model import Secret
from bp_tui.errors import BpTuiError
from bp_tui.paths import LinkRefused, make_private_folder, open_private, refuse_link

TOKENS_SUFFIX = ".bp-oauth.json"
LOCK_SUFFIX = ".bp-oauth.lock"
PENDING_SUFFIX = ".bp-oauth-login.json"
GUARD_SUFFIX = ".bp-oauth.guard"
TOKEN_FILE_SUFFIXES = (TOKENS_SUFFIX, LOCK_SUFFIX, PENDING_SUFFIX, GUARD_SUFFIX)
FORMAT = 1
MIN_LIFETIME_S = 60  # an access token's lifetime is taken as at least this...
MAX_LIFETIME_S = 86_400  # ...and at most this, whatever the answer or the file says
_LAST_MOMENT = 253_402_300_799.0  # 9999-12-31T23:59:59Z: the last time a datetime can show
_TEMP_PREFIX = ".bp-oauth-"
STALE_TEMP_S = 60.0


class TokenFileError(BpTuiError):
    """A token file that cannot be read, written or trusted; the message names the file."""


@dataclass(frozen=True)
class TokenSet:
    """One grant's tokens as Brightpearl gave them, and whose they are."""

    access_token: Secret = field(repr=False)
    refresh_token: Secret = field(repr=False)
    expires_at: float  # Unix time when the access token expires
    expires_in: int  # its lifetime as granted, in seconds
    api_domain: str  # where the API is for this grant (used when integration_url is empty)
    account_code: str
    app_ref: str  # the OAuth client_id the grant belongs to
    installation_instance_id: str = ""
    obtained_at: float = 0.0  # Unix time of the answer that gave this access token
    revoked: bool = False  # a refresh was answered invalid_grant: only a new login helps
    granted_at: float = (
        0.0  # Unix time of the login that made the grant (kept by every refresh; 0: not known)
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "access_token", Secret(self.access_token))
        object.__setattr__(self, "refresh_token", Secret(self.refresh_token))
        # Lifetimes bounded whatever the source (an answer, a file written before they were):
        # a lifetime in [MIN_LIFETIME_S, MAX_LIFETIME_S], times a datetime can show.
        expires_in = lifetime(self.expires_in) or MIN_LIFETIME_S
        obtained_at, expires_at = _moment(self.obtained_at), _moment(self.expires_at)
        if obtained_at > 0 and expires_at > obtained_at + expires_in:
            expires_at = obtained_at + expires_in
        object.__setattr__(self, "expires_in", expires_in)
        object.__setattr__(self, "obtained_at", obtained_at)
        object.__setattr__(self, "expires_at", expires_at)
        object.__setattr__(self, "granted_at", _moment(self.granted_at))

    def belongs_to(self, account_code: str, app_ref: str) -> bool:
        return self.account_code == account_code and self.app_ref == app_ref

    def as_revoked(self) -> TokenSet:
        return replace(self, revoked=True)

    def to_json(self) -> dict[str, Any]:
        data = {k: (str(v) if isinstance(v, Secret) else v) for k, v in asdict(self).items()}
        return {"format": FORMAT, **data}

    @classmethod
    def from_json(cls, data: Any) -> TokenSet:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a bp-tui token file of a known format")
        text = (
            "access_token",
            "refresh_token",
            "api_domain",
            "account_code",
            "app_ref",
            "installation_instance_id",
        )
        for name in text:
            if not isinstance(data.get(name, ""), str):
                raise ValueError(f"{name} is not text")
        for name in ("expires_at", "obtained_at", "granted_at"):
            if isinstance(data.get(name, 0), bool) or not isinstance(
                data.get(name, 0), (int, float)
            ):
                raise ValueError(f"{name} is not a number")
        if not data.get("access_token") or not data.get("refresh_token"):
            raise ValueError("a token is missing")
        expires_in = data.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int):
            raise ValueError("expires_in is not a whole number")
        return cls(
            access_token=Secret(data["access_token"]),
            refresh_token=Secret(data["refresh_token"]),
            expires_at=data["expires_at"],
            expires_in=expires_in,
            api_domain=data.get("api_domain", ""),
            account_code=data.get("account_code", ""),
            app_ref=data.get("app_ref", ""),
            installation_instance_id=data.get("installation_instance_id", ""),
            obtained_at=data.get("obtained_at", 0.0),
            revoked=bool(data.get("revoked", False)),
            granted_at=data.get("granted_at", 0.0),
        )


def lifetime(value: Any) -> int | None:
    """An answer's ``expires_in`` as whole seconds in [MIN_LIFETIME_S, MAX_LIFETIME_S]: a number
    or a numeric string, however large or negative; None for anything else (NaN, text, null)."""
    if isinstance(value, str):
        try:
            value = float(value.strip()) if len(value) <= 40 else None
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return int(min(max(value, MIN_LIFETIME_S), MAX_LIFETIME_S))


def _moment(value: Any) -> float:
    """A stored Unix time that a datetime can show: 0 (long past) when it is NaN, infinite or
    beyond the year 9999."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value) if 0 <= value <= _LAST_MOMENT else 0.0


@dataclass(frozen=True)
class PendingLogin:
    """An authorize URL shown and not answered yet."""

    state: Secret = field(repr=False)
    account_code: str
    app_ref: str
    redirect_uri: str
    created_at: float  # Unix time

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", Secret(self.state))


class TokenLock:
    """The refresh lock, held until ``release`` (or the holder's death)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock_path = _beside(self.path, TOKENS_SUFFIX, LOCK_SUFFIX)
        self.pending_path = _beside(self.path, TOKENS_SUFFIX, PENDING_SUFFIX)
        self.guard_path = _beside(self.path, TOKENS_SUFFIX, GUARD_SUFFIX)

    @classmethod
    def beside_state(cls, state_path: Path) -> TokenStore:
        """The token files of the state file ``state_path`` (same folder, same name + suffix)."""
        return cls(Path(f"{state_path}{TOKENS_SUFFIX}"))

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"

    # ------------------------------------------------------------------ the pair
    def load(self) -> TokenSet | None:
        """The stored tokens; None when there are none."""
        data = self._read_json(self.path)
        if data is None:
            return None
        try:
            return TokenSet.from_json(data)
        except ValueError as exc:
            raise TokenFileError(
                f"{self.path}: not a usable token file ({exc}); run bp-tui auth login to replace it"
            ) from None

    def version(self) -> tuple[int, int, int] | None:
        """Changes whenever the file is replaced (another process refreshed or logged in)."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenFileError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def save(self, tokens: TokenSet) -> None:
        """Replace the stored pair atomically (see the module's docstring)."""
        with self._guard():
            self._write_json(self.path, tokens.to_json())
        self._remove_temp_files()

    def save_if_unchanged(self, tokens: TokenSet, version: tuple[int, int, int] | None) -> bool:
        """Replace the stored pair only if the file is still the one of ``version`` (what the
        caller read before asking Brightpearl). False, and nothing written, when it was removed
        (logged out) or replaced (a new login) meanwhile."""
        with self._guard():
            if self.version() != version or version is None:
                return False
            self._write_json(self.path, tokens.to_json())
        self._remove_temp_files()
        return True

    def clear(self) -> bool:
        """Forget the stored tokens (and any login waiting); True when there were tokens.

        Never waits for a refresh in progress: that refresh finds the pair gone and discards
        what it got (see :meth:`save_if_unchanged`)."""
        self.clear_pending()
        self._remove_temp_files()
        with self._guard():
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise TokenFileError(f"{self.path}: cannot remove: {exc.strerror or exc}") from None
        return True

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """The short lock under which the pair is replaced or removed (see the module's
        docstring)."""
        self._make_folder()
        try:
            fd = open_private(self.guard_path, os.O_RDWR | os.O_CREAT)
        except LinkRefused as exc:
            raise TokenFileError(str(exc)) from None
        except OSError as exc:
            raise TokenFileError(f"{self.guard_path}: cannot open: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    # ------------------------------------------------------------------ the refresh lock
    def try_lock(self) -> TokenLock | None:
        """The refresh lock if no other holder has it (another process, or another TokenLock of
        this one: each call opens its own file description), else None."""
        self._make_folder()
        try:
            fd = open_private(self.lock_path, os.O_RDWR | os.O_CREAT)  # never through a link
        except LinkRefused as exc:
            raise TokenFileError(str(exc)) from None
        except OSError as exc:
            raise TokenFileError(f"{self.lock_path}: cannot open: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError as exc:
            os.close(fd)
            raise TokenFileError(f"{self.lock_path}: cannot lock: {exc.strerror or exc}") from None
        return TokenLock(fd)

    # ------------------------------------------------------------------ the login waiting
    def save_pending(self, pending: PendingLogin) -> None:
        data = {
            "format": FORMAT,
            "state": str(pending.state),
            "account_code": pending.account_code,
            "app_ref": pending.app_ref,
            "redirect_uri": pending.redirect_uri,
            "created_at": pending.created_at,
        }
        self._write_json(self.pending_path, data)

    def load_pending(self) -> PendingLogin | None:
        data = self._read_json(self.pending_path)
        if data is None:
            return None
        try:
            if (
                data.get("format") != FORMAT
                or not isinstance(data.get("state"), str)
                or not data["state"]
            ):
                raise ValueError
            return PendingLogin(
                state=Secret(data["state"]),
                account_code=str(data.get("account_code", "")),
                app_ref=str(data.get("app_ref", "")),
                redirect_uri=str(data.get("redirect_uri", "")),
                created_at=float(data.get("created_at", 0.0)),
            )
        except (AttributeError, TypeError, ValueError):
            return None  # a damaged waiting login is as good as none: start a new one

    def clear_pending(self) -> None:
        try:
            os.unlink(self.pending_path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise TokenFileError(
                f"{self.pending_path}: cannot remove: {exc.strerror or exc}"
            ) from None

    # ------------------------------------------------------------------ files
    def _make_folder(self) -> None:
        try:
            make_private_folder(self.path.parent)
        except OSError as exc:
            raise TokenFileError(
                f"{self.path.parent}: cannot create: {exc.strerror or exc}"
            ) from None

    def _read_json(self, path: Path) -> Any:
        try:
            fd = open_private(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except LinkRefused as exc:
            raise TokenFileError(str(exc)) from None
        except OSError as exc:
            raise TokenFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
        try:
            info = os.fstat(fd)
            if stat.S_IMODE(info.st_mode) & 0o077:
                os.fchmod(fd, 0o600)  # ours, and it holds secrets: private again
            with os.fdopen(fd, "rb", closefd=False) as handle:
                raw = handle.read(1024 * 1024)
        except OSError as exc:
            raise TokenFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise TokenFileError(
                f"{path}: not a usable token file (not JSON); run bp-tui auth login to replace it"
            ) from None

    def _write_json(self, path: Path, data: dict[str, Any]) -> None:
        self._make_folder()
        payload = json.dumps(data, indent=1).encode("utf-8")
        try:
            refuse_link(path)
            fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".tmp", dir=path.parent)
        except LinkRefused as exc:
            raise TokenFileError(str(exc)) from None
        except OSError as exc:
            raise TokenFileError(f"{path}: cannot write: {exc.strerror or exc}") from None
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            os.close(fd)
            fd = -1
            refuse_link(path)
            os.replace(tmp, path)
            _sync_folder(path.parent)
        except BaseException as exc:
            if fd >= 0:
                os.close(fd)
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(exc, LinkRefused):
                raise TokenFileError(str(exc)) from None
            if isinstance(exc, OSError):
                raise TokenFileError(
                    f"{path}: cannot write: {exc.strerror or exc} "
                    "(the previous file was left as it was)"
                ) from None
            raise

    def _remove_temp_files(self) -> None:
        """Temp files a killed writer left behind (they may hold tokens); one younger than a
        minute may be another process's write in progress and is left alone."""
        try:
            names = os.listdir(self.path.parent)
        except OSError:
            return
        now = time.time()
        for name in names:
            if name.startswith(_TEMP_PREFIX) and name.endswith(".tmp"):
                leftover = self.path.parent / name
                try:
                    if now - os.stat(leftover).st_mtime > STALE_TEMP_S:
                        os.unlink(leftover)
                except OSError:
                    continue


def _beside(path: Path, suffix: str, other: str) -> Path:
    text = str(path)
    return Path(text[: -len(suffix)] + other) if text.endswith(suffix) else Path(text + other)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (the folder's entry), where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
