"""Where the config file and the state database live.

Order of precedence: an explicit path (command-line option), then the environment
variable, then the platform default from platformdirs.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

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
