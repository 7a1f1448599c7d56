"""What the front ends need around a connection that may not be open yet: saving the connection
settings, the Brightpearl OAuth login's vocabulary and the support bundle's target check. The
dashboard and the CLI reach these through here, never the config writer, the clients or the
troubleshooting package themselves."""

from __future__ import annotations

import os
from pathlib import Path

from bp_tui.brightpearl.oauth import LOGIN_VALID_S, BareCodeRefused, BrightpearlLogin, LoginError
from bp_tui.config import Config, save_config
from bp_tui.state.tokens import TokenSet
from bp_tui.troubleshoot.bundle import BundleError, protected_paths, resolve_target

__all__ = [
    "LOGIN_VALID_S",
    "BareCodeRefused",
    "BrightpearlLogin",
    "BundleError",
    "LoginError",
    "TokenSet",
    "check_bundle_target",
    "save_settings",
]


def save_settings(config: Config, path: Path) -> None:
    """Write ``config`` to ``path`` (0600, replacing the file in one step). Raises what the
    config writer raises: ConfigWriteError, ConfigError, OSError."""
    save_config(config, path)


def check_bundle_target(
    path: str | os.PathLike[str],
    *,
    config_path: Path | None,
    state_path: Path | None,
    force: bool = False,
) -> None:
    """Raise BundleError when a support bundle may not be written to ``path`` (the config, the
    state and its companions are never overwritten); checked before anything is opened."""
    resolve_target(path, protected=protected_paths(config_path, state_path), force=force)
