"""Profiles: several Brightpearl accounts (each with its ShipStation store) in one install.

The profile ``default`` is the install as it always was: the config file and state database
that ``bp_tui.paths`` resolves (``--config``/``--state``, the environment, the platform
folders). Every other profile lives in folders of its own beside them:

    <folder of the default config>/profiles/<name>/config.toml
    <folder of the default state>/profiles/<name>/state.sqlite3

Everything a run keeps beside its state (the sync lock, the OAuth token files, ShipStation V2's
limiter and id caches) follows the state path, so it is the profile's too. A name is checked
before any path is built from it, and a profile folder that is a link is refused, so no profile
can reach another's files.

Secrets from the environment: the usual variables (``BP_TUI_SHIPSTATION_API_KEY``, ...) are the
default profile's only. A named profile reads its own, ``BP_TUI_PROFILE_<NAME>_<KEY>``, e.g.
``BP_TUI_PROFILE_NORTH_SHOP_SHIPSTATION_API_KEY`` for ``north-shop`` (see ``secret_env``), so a
variable set for one account never reaches another's store.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bp_tui.config.schema import SECRET_KEYS
from bp_tui.errors import ProfileError, SyncLocked
from bp_tui.paths import resolve_config_path, resolve_state_path
from bp_tui.state.lock import SyncLock

DEFAULT = "default"
PROFILE_ENV = "BP_TUI_PROFILE"
PROFILES_DIR = "profiles"
CONFIG_NAME = "config.toml"
STATE_NAME = "state.sqlite3"
NAME_RULE = (
    "1 to 32 characters: lower-case letters, digits, '-' and '_', starting with a letter or digit"
)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def check_name(name: str) -> str:
    """``name`` if it is a valid profile name, else ProfileError saying why."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown = (
            name.encode("unicode_escape").decode("ascii") if isinstance(name, str) else repr(name)
        )
        raise ProfileError(f"profile name {shown!r} is not allowed: {NAME_RULE}")
    return name


def shared_data_dir(state_path: Path) -> Path:
    """The install's data folder for a state file: the folder of the default profile's state, also
    for a named profile's (``<data>/profiles/<name>/state.sqlite3``). Files that several profiles
    must share live there: ShipStation V2's request window, counted per key (profiles that use the
    same ShipStation key share one window, as ShipStation counts them together)."""
    folder = state_path.parent
    if (
        folder.parent.name == PROFILES_DIR
        and _NAME.fullmatch(folder.name)
        and folder.name != DEFAULT
    ):
        return folder.parent.parent
    return folder


def env_tag(name: str) -> str:
    """The part of a profile's environment variables that names it: ``north-shop`` ->
    ``NORTH_SHOP``."""
    return check_name(name).upper().replace("-", "_")


def secret_variable(name: str, variable: str) -> str:
    """The variable that carries ``variable`` (``BP_TUI_...``) for the profile ``name``."""
    if name == DEFAULT:
        return variable
    return f"BP_TUI_PROFILE_{env_tag(name)}_{variable.removeprefix('BP_TUI_')}"


def secret_env(name: str | None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The secret overrides from the environment that apply to the profile ``name``, under the
    names the config loader reads (None or ``default``: the usual variables)."""
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for key in SECRET_KEYS:
        if key.env:
            value = environ.get(secret_variable(name or DEFAULT, key.env))
            if value:
                found[key.env] = value
    return found


@dataclass(frozen=True)
class Profile:
    """One profile: where its config and state are. The lock, tokens and caches sit beside the
    state."""

    name: str
    config_path: Path
    state_path: Path

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT

    @property
    def config_dir(self) -> Path:
        return self.config_path.parent

    @property
    def state_dir(self) -> Path:
        return self.state_path.parent

    def exists(self) -> bool:
        return self.config_path.is_file()

    def lock(self) -> SyncLock:
        return SyncLock(self.state_path)


class Profiles:
    """The profiles of one install, found from the default profile's config and state paths."""

    def __init__(self, config_path: Path | None = None, state_path: Path | None = None) -> None:
        self.default_config = config_path or resolve_config_path()
        self.default_state = state_path or resolve_state_path()

    @property
    def config_root(self) -> Path:
        return self.default_config.parent / PROFILES_DIR

    @property
    def state_root(self) -> Path:
        return self.default_state.parent / PROFILES_DIR

    def get(self, name: str) -> Profile:
        """The profile ``name`` (it need not exist yet); ProfileError for a bad name."""
        check_name(name)
        if name == DEFAULT:
            return Profile(DEFAULT, self.default_config, self.default_state)
        return Profile(
            name, self.config_root / name / CONFIG_NAME, self.state_root / name / STATE_NAME
        )

    def existing(self, name: str) -> Profile:
        """The profile ``name``, which must exist and not be reached through a link."""
        profile = self.get(name)
        if not profile.is_default:
            self._refuse_links(profile)
        if not profile.exists():
            if profile.is_default:
                raise ProfileError(
                    f"the default profile has no config yet ({profile.config_path}); "
                    "run `bp-tui` to set it up"
                )
            raise ProfileError(f"no profile {name!r} (add it with `bp-tui profiles add {name}`)")
        return profile

    def list(self) -> list[Profile]:
        """Profiles with a config file: ``default`` first (when it has one), then by name.
        Folders whose names are not profile names, and links, are left out."""
        found: list[Profile] = []
        default = self.get(DEFAULT)
        if default.exists():
            found.append(default)
        root = self.config_root
        if root.is_dir() and not root.is_symlink():
            for entry in sorted(os.scandir(root), key=lambda e: e.name):
                if entry.name == DEFAULT or not _NAME.fullmatch(entry.name) or entry.is_symlink():
                    continue
                profile = self.get(entry.name)
                try:
                    self._refuse_links(profile)
                except ProfileError:
                    continue
                if profile.exists():
                    found.append(profile)
        return found

    def _refuse_links(self, profile: Profile) -> None:
        for path in (
            self.config_root,
            self.state_root,
            profile.config_dir,
            profile.state_dir,
            profile.config_path,
            profile.state_path,
        ):
            if path.is_symlink():
                raise ProfileError(
                    f"{path} is a link; a profile's folders and files must not be links"
                )

    def _refuse_same_variables(self, name: str, besides: str = "") -> None:
        """``a-b`` and ``a_b`` would read the same environment variables: one of them only."""
        for other in self.list():
            if other.name in (name, besides) or other.is_default:
                continue
            if env_tag(other.name) == env_tag(name):
                raise ProfileError(
                    f"profile {name!r} would share its environment variables "
                    f"(BP_TUI_PROFILE_{env_tag(name)}_...) with {other.name!r}; "
                    "choose another name"
                )

    def _make_dirs(self, profile: Profile) -> None:
        for root, folder in (
            (self.config_root, profile.config_dir),
            (self.state_root, profile.state_dir),
        ):
            root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            root.mkdir(exist_ok=True, mode=0o700)
            folder.mkdir(exist_ok=True, mode=0o700)
        self._refuse_links(profile)

    def add(self, name: str, config_text: str = "") -> Profile:
        """Create the profile's folders and its config file (0600 from its first byte)."""
        profile = self.get(name)
        if profile.is_default:
            raise ProfileError(
                "the default profile is the install's own config; it cannot be added"
            )
        self._refuse_links(profile)
        if profile.exists():
            raise ProfileError(f"profile {name!r} already exists ({profile.config_path})")
        self._refuse_same_variables(name)
        self._make_dirs(profile)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(profile.config_path, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(config_text)
        return profile

    def rename(self, old: str, new: str) -> Profile:
        """Move a profile's folders to a new name, each by one rename; refused while its sync
        lock is held (the lock is held here meanwhile, so no sync starts during the move)."""
        source = self.existing(old)
        target = self.get(new)
        if source.is_default or target.is_default:
            raise ProfileError(
                "the default profile keeps its name (its files are the install's own)"
            )
        self._refuse_links(target)
        self._refuse_same_variables(new, besides=old)
        for path in (target.config_dir, target.state_dir):
            if os.path.lexists(path):
                raise ProfileError(f"profile {new!r} already exists ({path}); choose another name")
        lock = source.lock()
        if source.state_dir.is_dir():
            try:
                lock.acquire()
            except OSError as exc:
                reason = exc.strerror or exc
                raise ProfileError(
                    f"{source.state_dir}: cannot take the sync lock: {reason}"
                ) from None
            except SyncLocked as exc:
                raise ProfileError(
                    f"profile {old!r} is in use ({exc}); stop its sync first"
                ) from None
        try:
            os.rename(source.config_dir, target.config_dir)
            if source.state_dir.is_dir():
                try:
                    os.rename(source.state_dir, target.state_dir)
                except OSError:
                    os.rename(
                        target.config_dir, source.config_dir
                    )  # put the config back: all or nothing
                    raise
        finally:
            if lock.held:  # the lock file moved with its folder
                moved = target.lock() if target.state_dir.is_dir() else lock
                lock.path, lock.guard_path = moved.path, moved.guard_path
                lock.release()
        return target

    def remove(self, name: str, *, delete_state: bool = False) -> Profile:
        """Delete a profile's config folder; its state folder too only with ``delete_state``.
        Refused while its sync lock is held."""
        profile = self.existing(name)
        if profile.is_default:
            raise ProfileError(
                "the default profile cannot be removed (its files are the install's own)"
            )
        lock = profile.lock()
        if profile.state_dir.is_dir():
            try:
                lock.acquire()
            except SyncLocked as exc:
                raise ProfileError(
                    f"profile {name!r} is in use ({exc}); stop its sync first"
                ) from None
        try:
            shutil.rmtree(profile.config_dir)
            if delete_state and profile.state_dir.is_dir():
                lock.release()
                _remove_tree(profile.state_dir)
        finally:
            lock.release()
        return profile


def _remove_tree(folder: Path) -> None:
    mode = os.lstat(folder).st_mode
    if not stat.S_ISDIR(mode):
        raise ProfileError(f"{folder} is not a folder; left as it is")
    shutil.rmtree(folder)


def list_profiles(config_path: Path | None = None, state_path: Path | None = None) -> list[Profile]:
    """Every profile of the install (``default`` first when it has a config)."""
    return Profiles(config_path, state_path).list()
