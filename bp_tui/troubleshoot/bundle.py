"""The support bundle: what a support person needs, with every secret removed.

It is written as a new file only: a temp file created with ``O_EXCL`` and mode 0600 in the
target folder, then linked to its final name, which fails instead of replacing anything.
The config file, the state database (with its ``-wal``, ``-shm`` and lock) and symbolic links
are refused; an existing file is replaced only with ``force`` and only when it is itself a
bp-tui support bundle (recognised by the marker key in its JSON); a missing folder is
reported, never created.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import secrets as _random
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bp_tui import __version__
from bp_tui.config import MASK, Config, masked_dict
from bp_tui.core.records import iso, utcnow
from bp_tui.errors import BpTuiError, scrub_secrets
from bp_tui.state import StateStore
from bp_tui.state.alerts import AlertLedger
from bp_tui.state.tokens import TOKEN_FILE_SUFFIXES

REDACTED = "[redacted]"
MARKER = "bp_tui_support_bundle"  # first key of every bundle; its value is the bundle format
FORMAT = 1
MAX_RECOGNISED_BYTES = 64 * 1024 * 1024  # a bigger file is not one of our bundles
_NO_HARD_LINKS = {
    errno.EPERM,
    errno.EOPNOTSUPP,
    errno.ENOTSUP,
    errno.ENOSYS,
    errno.EMLINK,
    errno.EXDEV,
}


class BundleError(BpTuiError):
    """The bundle cannot be written where asked (a usage error) or the disk refused it."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def redact(value: Any, secrets: list[str]) -> Any:
    """Replace every occurrence of a secret (of any length) in strings anywhere inside ``value``."""
    if isinstance(value, str):
        return scrub_secrets(value, secrets, REDACTED)
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets) for v in value]
    return value


@dataclass(frozen=True)
class BundleSources:
    """What a bundle reads, passed in by the service (this package never reaches into it)."""

    config: Config
    store: StateStore
    config_path: Path | None
    state_path: Path
    secrets: list[str]  # every secret the bundle's text could quote: masked
    recent_errors: list[tuple[str, int, list[int]]]  # (reason, count, GON ids), most first


def bundle_data(src: BundleSources) -> dict[str, Any]:
    config = masked_dict(src.config)
    for section in config.values():
        for key, val in section.items():
            if val == MASK:
                section[key] = REDACTED
    last = src.store.meta.last_run()
    data = {
        MARKER: FORMAT,
        "generated_at": iso(utcnow()),
        "versions": {
            "bp-tui": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "textual": _version("textual"),
            "httpx": _version("httpx"),
        },
        "config_path": str(src.config_path) if src.config_path else None,
        "state_path": str(src.state_path),
        "config": config,
        "stages": src.store.queue.stage_counts(),
        "last_run": {"at": iso(last[0]), "summary": last[1]} if last else None,
        "recent_errors": [
            {"reason": reason, "count": count, "gon_ids": ids[:50]}
            for reason, count, ids in src.recent_errors
        ],
        "recent_audit": [
            {
                "at": iso(a.at),
                "api": a.api,
                "action": a.action,
                "gon_id": a.gon_id,
                "order_id": a.order_id,
                "result": a.result,
                "detail": a.detail,
            }
            for a in src.store.audit.recent(500)
        ],
        "incidents": [
            {
                "trigger": i.trigger,
                "subject": i.subject,
                "title": i.title,
                "body": i.body,
                "first_seen": iso(i.first_seen),
                "opened_at": iso(i.opened_at),
                "resolved_at": iso(i.resolved_at),
                "opened_message": i.opened_message,
                "resolved_message": i.resolved_message,
                "last_error": i.last_error,
            }
            for i in AlertLedger(src.store).incidents(recent=50)
        ],
    }
    return redact(data, src.secrets)


@dataclass(frozen=True)
class Target:
    """Where a bundle goes: ``folder``, and a ``name`` in it (None: a new dated name)."""

    folder: Path
    name: str | None
    replace: bool = False  # force, and the file there is a previous support bundle

    @property
    def path(self) -> Path | None:
        return None if self.name is None else self.folder / self.name


def protected_paths(config_path: Path | None, state_path: Path | None) -> dict[Path, str]:
    """Files a bundle must never be written to (the config, the state and its companions),
    each with what it is."""
    out: dict[Path, str] = {}
    if config_path is not None:
        out[Path(config_path)] = "config file"
    if state_path is not None:
        out[Path(state_path)] = "state database"
        for suffix in ("-wal", "-shm", "-journal", ".lock", ".lock-guard"):
            out[Path(f"{state_path}{suffix}")] = f"state database's {suffix.lstrip('-.')} file"
        for suffix in TOKEN_FILE_SUFFIXES:
            out[Path(f"{state_path}{suffix}")] = "Brightpearl token file"
    return out


def resolve_target(
    path: str | os.PathLike[str],
    *,
    protected: Mapping[Path, str] | None = None,
    force: bool = False,
) -> Target:
    """Check where a bundle would be written, before anything is: raises BundleError when the
    place is refused. A folder (existing, or a path ending in ``/``) gets a new dated file."""
    text = os.fspath(path)
    if not text:
        raise BundleError("no path given for the support bundle")
    given = Path(text)
    wants_folder = text.endswith(os.sep) or bool(os.altsep and text.endswith(os.altsep))
    if given.is_dir():
        return Target(given, None)
    if wants_folder:
        if os.path.lexists(given):
            raise BundleError(f"{text}: not a folder")
        raise BundleError(
            f"{text}: no such folder; create it first (bp-tui bundle creates no folder)"
        )
    folder = given.parent
    if not folder.is_dir():
        raise BundleError(
            f"{folder}: no such folder; create it first (bp-tui bundle creates no folder)"
        )
    for own, what in (protected or {}).items():
        if _same_file(given, own):
            raise BundleError(f"{text}: this is bp-tui's {what}; write the bundle somewhere else")
    try:
        info = os.lstat(given)
    except FileNotFoundError:
        return Target(folder, given.name)
    except OSError as exc:
        raise BundleError(f"{text}: cannot check: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise BundleError(
            f"{text}: is a symbolic link; bp-tui writes the bundle to a new file only, "
            "never through a link"
        )
    if not stat.S_ISREG(info.st_mode):
        raise BundleError(
            f"{text}: exists and is not a regular file; choose a new file name or a folder"
        )
    if not force:
        raise BundleError(
            f"{text}: already exists; bp-tui writes the bundle to a new file only "
            "(give a folder or a new name; --force replaces a previous support bundle)"
        )
    if not is_bundle(given):
        raise BundleError(
            f"{text}: already exists and is not a bp-tui support bundle; "
            "--force replaces only a previous bundle"
        )
    return Target(folder, given.name, replace=True)


def is_bundle(path: Path) -> bool:
    """True when ``path`` is a regular file (not a link) holding a bp-tui support bundle."""
    try:
        fd = os.open(
            path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RECOGNISED_BYTES:
            return False
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = json.loads(handle.read(MAX_RECOGNISED_BYTES + 1))
    except (OSError, ValueError):
        return False
    finally:
        os.close(fd)
    return isinstance(data, dict) and data.get(MARKER) == FORMAT


def write_bundle(src: BundleSources, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write the bundle as JSON to a new file (mode 0600) and return its path.

    ``path`` is a folder (a new dated file goes in it) or a file name that does not exist yet;
    with ``force``, a file name that holds a previous bp-tui bundle is replaced. Raises
    BundleError for a refused place or a disk error.
    """
    target = resolve_target(
        path, protected=protected_paths(src.config_path, src.state_path), force=force
    )
    payload = json.dumps(bundle_data(src), indent=2, ensure_ascii=False, default=str).encode(
        "utf-8"
    )
    return publish(target, payload)


def publish(target: Target, payload: bytes) -> Path:
    """Write ``payload`` to a private temp file in the target folder, then give it its name
    without ever replacing a file (unless ``target.replace``, where the check was done)."""
    where = target.path or target.folder
    tmp = target.folder / f".bp-tui-bundle-{_random.token_hex(8)}.tmp"
    try:
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
    except OSError as exc:
        raise BundleError(
            f"{where}: cannot write the support bundle: {exc.strerror or exc}"
        ) from None
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if target.replace:
            assert target.path is not None
            os.replace(
                tmp, target.path
            )  # replaces the directory entry: a link put there is not followed
            return target.path
        names = [target.name] if target.name is not None else _dated_names()
        for name in names:
            final = target.folder / name
            try:
                _link_new(tmp, final)
            except FileExistsError:
                if target.name is not None:
                    raise BundleError(
                        f"{final}: already exists; bp-tui writes the bundle to a new file only"
                    ) from None
                continue
            return final
        raise BundleError(f"{target.folder}: no free name for a new support bundle")
    except OSError as exc:
        raise BundleError(
            f"{where}: cannot write the support bundle: {exc.strerror or exc}"
        ) from None
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _link_new(tmp: Path, final: Path) -> None:
    """Give ``tmp`` the name ``final``, failing with FileExistsError if ``final`` exists."""
    try:
        os.link(tmp, final)
        return
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
    # A file system without hard links: reserve the name with O_EXCL, then rename onto our own
    # empty reservation (a rename never follows a link that may have been put there meanwhile).
    os.close(
        os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    )
    os.replace(tmp, final)


def _dated_names() -> list[str]:
    base = f"bp-tui-support-{utcnow().strftime('%Y%m%d-%H%M%S')}"
    return [f"{base}.json"] + [f"{base}-{n}.json" for n in range(2, 100)]


def _same_file(candidate: Path, own: Path) -> bool:
    if os.path.realpath(candidate) == os.path.realpath(own):
        return True
    try:
        return os.path.samefile(candidate, own)
    except OSError:
        return False
