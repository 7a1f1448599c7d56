"""Read, validate, mask and write the config file.

Reading uses ``tomllib``; writing uses ``tomli-w`` through a temp file and a rename, with
mode 0600. A file that does not parse or validate is refused with ``file: key: reason``
lines and is never overwritten.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from bp_tui.config.model import MASK, Config, Secret
from bp_tui.config.schema import BY_DOTTED, MAX_ID, SECRET_KEYS, SECTIONS, Key, keys_of
from bp_tui.errors import ConfigError

REQUIRED = ("brightpearl.account_code",)
_ACCOUNT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate ``path``; apply secret overrides from ``env`` (default os.environ)."""
    env = os.environ if env is None else env
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found (run `bp-tui` to create it, or pass --config)"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: TOML syntax: {exc}"]) from None
    config = config_from_dict(data, source=str(path))
    apply_env(config, env)
    return config


def config_from_dict(data: Mapping[str, Any], source: str = "config") -> Config:
    """Validate a parsed TOML document and build a Config, or raise ConfigError."""
    problems: list[str] = []
    config = Config()
    for section, body in data.items():
        if section not in SECTIONS:
            problems.append(f"{source}: {section}: unknown section{_suggest(section, SECTIONS)}")
            continue
        if not isinstance(body, dict):
            problems.append(f"{source}: {section}: must be a [{section}] table, not {_type_name(body)}")
            continue
        names = [k.name for k in keys_of(section)]
        for name, value in body.items():
            key = BY_DOTTED.get(f"{section}.{name}")
            if key is None:
                problems.append(f"{source}: {section}.{name}: unknown key{_suggest(name, names)}")
                continue
            reason = check_value(key, value)
            if reason:
                problems.append(f"{source}: {key.dotted}: {reason}")
                continue
            config.set(key.dotted, list(value) if isinstance(value, list) else value)
    for dotted in REQUIRED:
        section, name = dotted.split(".")
        body = data.get(section)
        if isinstance(body, dict) and name in body:
            continue
        problems.append(f"{source}: {dotted}: missing required value")
    if problems:
        raise ConfigError(problems)
    return config


def check_value(key: Key, value: Any) -> str | None:
    """Return why ``value`` is not acceptable for ``key``, or None.

    The reason never repeats the value of a secret key, whatever its type.
    """
    reason = _check_value(key, value)
    if reason and key.secret:
        return reason.replace(_show(value), "(value hidden)")
    return reason


def _check_value(key: Key, value: Any) -> str | None:
    if key.kind is bool:
        if not isinstance(value, bool):
            return f"must be true or false, not {_type_name(value)} {_show(value)}"
        return None
    if key.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {_type_name(value)} {_show(value)}"
        if key.minimum is not None and value < key.minimum:
            return f"must be at least {key.minimum}, not {value}"
        if key.maximum is not None and value > key.maximum:
            return f"must be at most {key.maximum}, not {_show(value)}"
        return None
    if key.kind is list:
        if not isinstance(value, list):
            return f"must be a list of ids like [1, 2], not {_type_name(value)} {_show(value)}"
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int) or item <= 0 or item > MAX_ID:
                return f"must be a list of positive whole-number ids, but contains {_show(item)}"
        return None
    if not isinstance(value, str):
        return f"must be a string, not {_type_name(value)} {_show(value)}"
    if key.choices and value not in key.choices:
        return f"{_show(value)} is not one of {', '.join(key.choices)}"
    if key.dotted == "brightpearl.account_code" and value and not _ACCOUNT_CODE.match(value):
        return f"{_show(value)} is not an account code (letters, digits, - and _ only)"
    if key.dotted in ("brightpearl.integration_url", "shipstation.base_url") and value:
        if not re.match(r"^https?://[^/\s]+", value):
            return f"{_show(value)} is not an http(s) URL"
    if key.dotted == "brightpearl.datacenter" and value and not re.match(r"^[a-z0-9-]{2,20}$", value):
        return f"{_show(value)} is not a data center code like euw1 or use1"
    return None


def apply_env(config: Config, env: Mapping[str, str]) -> None:
    """Let environment variables override secrets, remembering the file's own values."""
    for key in SECRET_KEYS:
        value = env.get(key.env or "")
        if value:
            config.env_overridden[key.dotted] = Secret(config.get(key.dotted))
            config.set(key.dotted, value)


def to_toml_dict(config: Config) -> dict[str, dict[str, Any]]:
    """The document to write: secrets that came from the environment keep the file's value."""
    doc = config.as_dict()
    for dotted, file_value in config.env_overridden.items():
        section, name = dotted.split(".")
        doc[section][name] = file_value
    return doc


def save_config(config: Config, path: Path) -> None:
    """Write atomically with mode 0600. Refuses to replace a file that does not load."""
    if path.exists():
        try:
            config_from_dict(tomllib.loads(path.read_text("utf-8")), source=str(path))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, ConfigError) as exc:
            detail = exc.problems[0] if isinstance(exc, ConfigError) else f"{path}: {exc}"
            raise ConfigError(
                [f"{path}: refusing to overwrite a config file that does not load ({detail}); "
                 "fix or move it first"]
            ) from None
    # Validate what we are about to write, so we never produce a file we would refuse.
    doc = to_toml_dict(config)
    config_from_dict(doc, source=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = tomli_w.dumps(doc).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    os.chmod(path, 0o600)


def masked_dict(config: Config) -> dict[str, dict[str, Any]]:
    """The config as a dict with every secret replaced by a mask (or "" when unset)."""
    doc = config.as_dict()
    for key in SECRET_KEYS:
        if doc[key.section][key.name]:
            doc[key.section][key.name] = MASK
    doc["brightpearl"]["integration_url"] = config.brightpearl.api_base
    return doc


def masked_toml(config: Config) -> str:
    """TOML text for ``config show``: secrets masked, env-provided secrets annotated."""
    text = tomli_w.dumps(masked_dict(config))
    lines = []
    for line in text.splitlines():
        for key in SECRET_KEYS:
            if key.dotted in config.env_overridden and line.startswith(f"{key.name} = ") and _in_section(lines, key.section):
                line = f"{line}  # from {key.env}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def secret_values(config: Config) -> list[str]:
    """Every non-empty secret, for redaction and for tests that look for leaks."""
    return [Secret(config.get(k.dotted)) for k in SECRET_KEYS if config.get(k.dotted)]


def _in_section(previous: list[str], section: str) -> bool:
    for line in reversed(previous):
        if line.startswith("["):
            return line.strip() == f"[{section}]"
    return False


def _suggest(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean", int: "a number", float: "a number", str: "a string",
        list: "a list", dict: "a table",
    }.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{shown}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return str(value)
