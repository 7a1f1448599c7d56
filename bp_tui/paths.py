"""Where the config file and the state database live, and how bp-tui's own files are opened.

Order of precedence: an explicit path (command-line option), then the environment
variable, then the platform default from platformdirs.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

import platformdirs

from bp_tui.errors import BpTuiError

APP_NAME = "bp-tui"
CONFIG_ENV = "BP_TUI_CONFIG"
STATE_ENV = "BP_TUI_STATE"


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_state_path() -> Path:
    return platformdirs.user_data_path(APP_NAME) / "state.sqlite3"


def resolve_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return default_config_path()


def resolve_state_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env).expanduser()
    return default_state_path()


# ---------------------------------------------------------- private files, never through a link
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class LinkRefused(BpTuiError, OSError):
    """A symbolic link (or something that is not a regular file) stands where bp-tui keeps a file.

    An ``OSError`` too, so that every caller that reports a file it cannot open reports this one,
    naming the path. bp-tui never reads or writes through it: the link's target stays untouched.
    """

    def __init__(self, path: str | os.PathLike[str], what: str = "a symbolic link") -> None:
        reason = f"is {what}"
        if what == "a symbolic link":
            reason += (
                "; bp-tui does not open its files through links (remove it, or point bp-tui at "
                "the real file)"
            )
        OSError.__init__(self, errno.ELOOP, reason, str(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def make_private_folder(folder: str | os.PathLike[str]) -> None:
    """Create ``folder`` and each missing parent with mode 0700, whatever the umask (``mkdir``'s
    mode is masked by it, so each folder created here is set to 0700 again). Folders that exist
    already are left as they are."""
    folder = Path(folder)
    missing: list[Path] = []
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate):
            if not os.path.isdir(candidate):
                # what mkdir says of it
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(candidate))
            break
        missing.append(candidate)
    for created in reversed(missing):
        try:
            os.mkdir(created, PRIVATE_FOLDER)
        except FileExistsError:
            continue  # made meanwhile by another process: its own
        os.chmod(created, PRIVATE_FOLDER)


def refuse_link(path: str | os.PathLike[str]) -> None:
    """Raise :class:`LinkRefused` when a symbolic link stands at ``path`` (nothing there is
    fine)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise LinkRefused(path)


def open_private(path: str | os.PathLike[str], flags: int, mode: int = PRIVATE_FILE) -> int:
    """``os.open`` that never follows a link at ``path`` (``O_NOFOLLOW``; a link is
    :class:`LinkRefused`) and creates files private (0600 from their first byte)."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (
            exc.errno in (errno.EEXIST, errno.EMLINK) and os.path.islink(path)
        ):
            raise LinkRefused(path) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise LinkRefused(path, "not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_private_atomically(
    path: str | os.PathLike[str], data: bytes, *, prefix: str = ".bp-tui-"
) -> None:
    """Replace ``path`` whole with ``data``: a new 0600 temp file in the same folder (created with
    ``O_CREAT|O_EXCL|O_NOFOLLOW``), flushed, then renamed over ``path``. A link at ``path`` is
    refused first; on any failure the temp file is removed and ``path`` is left as it was."""
    path = Path(path)
    refuse_link(path)
    tmp = path.with_name(f"{prefix}{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        refuse_link(path)
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
