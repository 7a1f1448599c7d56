"""Profiles, for the front ends: one install, several accounts, each with its own config and
state. The registry (where each profile's files are, adding, renaming and removing one) lives in
``bp_tui.state.profiles``; this is what the CLI and the dashboard use of it, and the one way they
load a profile's config (with that profile's secrets from the environment)."""

from __future__ import annotations

from pathlib import Path

from bp_tui.config import Config, load_config
from bp_tui.state.profiles import DEFAULT, PROFILE_ENV, Profile, Profiles, secret_env

__all__ = [
    "DEFAULT",
    "PROFILE_ENV",
    "Profile",
    "Profiles",
    "load_profile_config",
]


def load_profile_config(path: Path, profile: str | None) -> Config:
    """The config at ``path``, its secrets filled from the environment variables of
    ``profile`` (None: the install's own, unprefixed ones). Raises ConfigError."""
    return load_config(path, env=secret_env(profile))
