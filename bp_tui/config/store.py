"""Read, validate, mask and write the config file.

Reading uses ``tomllib``; writing uses ``tomli-w`` through a temp file and a rename, with
mode 0600. A file that does not parse or validate is refused with ``file: key: reason``
lines and is never overwritten.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import shlex
import stat
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from bp_tui.config.model import MASK, Config, Secret
from bp_tui.config.schema import BY_DOTTED, MAX_ID, SECRET_KEYS, SECTIONS, Key, keys_of
from bp_tui.errors import ConfigError, ConfigWriteError, inert
from bp_tui.paths import LinkRefused, make_private_folder, open_private, refuse_link

REQUIRED = ("brightpearl.account_code",)
_ACCOUNT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_HEADER_VALUE = re.compile(
    r"[\x21-\x7e]*"
)  # visible ASCII: what an HTTP header value can carry as is
# whitespace (any kind, including no-break and zero-width spaces) and control characters
_NOT_IN_URL = re.compile(
    r"[\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
)
LOOPBACK_NAMES = ("localhost",)


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate ``path``; apply secret overrides from ``env`` (default os.environ)."""
    env = os.environ if env is None else env
    try:
        raw = _read_private(path)
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: file not found (run `bp-tui` to create it, or pass --config)"]
        ) from None
    except LinkRefused as exc:
        raise ConfigError([str(exc)]) from None
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
            problems.append(
                f"{source}: {section}: must be a [{section}] table, not {_type_name(body)}"
            )
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
    if key.dotted == "alerts.urls" and value:
        return apprise_urls_problem(value)
    if key.url and value:
        return url_problem(value)
    if key.header and not _HEADER_VALUE.fullmatch(value):
        return (
            "must be printable ASCII without spaces, as it is sent in an HTTP header "
            "(look for a pasted line break, space or typographic character)"
        )
    if (
        key.dotted == "brightpearl.datacenter"
        and value
        and not re.match(r"^[a-z0-9-]{2,20}$", value)
    ):
        return f"{_show(value)} is not a data center code like euw1 or use1"
    return None


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable API address, or None.

    Accepted: ``https://host...``, or ``http://`` to a loopback host (127.0.0.0/8, ::1,
    localhost: the sandbox and local tests). Refused: anything else over http, user info
    (``user:password@``), whitespace and control characters. The reason never repeats the URL's
    user info, which may hold a password.
    """
    if not re.match(r"^https?://", value):
        shown = "the value" if "@" in value else _show(value)
        return f"{shown} is not an http(s) URL (it must start with https://)"
    if _NOT_IN_URL.search(value):
        return "contains whitespace or a control character (a pasted line break?); a URL has none"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return "is not a valid URL (check the host and the port)"
    if "@" in parts.netloc:
        return (
            "must not hold a user name or password (user:password@host); "
            "credentials go in their own keys"
        )
    host = parts.hostname or ""
    if not host:
        return "has no host name"
    if parts.scheme == "http" and not is_loopback(host):
        return (
            f"must use https: http is accepted only for a loopback address "
            f"(127.0.0.1, ::1, localhost), not for {_show(host)}"
        )
    return None


_APPRISE_URL = re.compile(r"^[a-z][a-z0-9+.-]{0,31}://\S+$", re.IGNORECASE)


def split_alert_urls(value: str) -> list[str]:
    """The Apprise URLs of ``alerts.urls``: separated by spaces, commas or line breaks."""
    return [u for u in re.split(r"[\s,]+", value) if u]


def apprise_urls_problem(value: str) -> str | None:
    """Why ``alerts.urls`` is not a list of Apprise URLs, or None. Never repeats a URL (they
    hold tokens); names the position of the one that is wrong."""
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", value):
        return "contains a control character; Apprise URLs are separated by spaces or commas"
    for n, url in enumerate(split_alert_urls(value), 1):
        if not _APPRISE_URL.match(url):
            return (
                f"URL {n} is not an Apprise URL (it must look like slack://..., mailtos://... or "
                "json://...; see https://github.com/caronc/apprise/wiki)"
            )
    return None


def is_loopback(host: str) -> bool:
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def apply_env(config: Config, env: Mapping[str, str]) -> None:
    """Let environment variables override secrets, remembering the file's own values.

    An environment value is checked like the file's own (a token must fit in a header) and
    refused as ``VARIABLE (environment): key: reason``.
    """
    problems: list[str] = []
    for key in SECRET_KEYS:
        value = env.get(key.env or "")
        if value:
            reason = check_value(key, value)
            if reason:
                problems.append(f"{key.env} (environment): {key.dotted}: {reason}")
                continue
            config.env_overridden[key.dotted] = Secret(config.get(key.dotted))
            config.set(key.dotted, value)
    if problems:
        raise ConfigError(problems)


def to_toml_dict(config: Config) -> dict[str, dict[str, Any]]:
    """The document to write: secrets that came from the environment keep the file's value."""
    doc = config.as_dict()
    for dotted, file_value in config.env_overridden.items():
        section, name = dotted.split(".")
        doc[section][name] = file_value
    return doc


def save_config(config: Config, path: Path) -> None:
    """Write atomically with mode 0600. Refuses to replace a file that does not load.

    A failure of the disk (full, read-only, no permission) is a ConfigError naming the file
    and the cause; the previous file is then left as it was.
    """
    try:
        existing = _read_private(path) if os.path.lexists(path) else None
    except LinkRefused as exc:
        raise ConfigError([str(exc)]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {_os_reason(exc)}"]) from None
    if existing is not None:
        try:
            config_from_dict(tomllib.loads(existing.decode("utf-8")), source=str(path))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, ConfigError) as exc:
            detail = exc.problems[0] if isinstance(exc, ConfigError) else f"{path}: {exc}"
            raise ConfigError(
                [
                    f"{path}: refusing to overwrite a config file that does not load ({detail}); "
                    "fix or move it first"
                ]
            ) from None
    # Validate what we are about to write, so we never produce a file we would refuse.
    doc = to_toml_dict(config)
    config_from_dict(doc, source=str(path))
    payload = tomli_w.dumps(doc).encode("utf-8")
    try:
        make_private_folder(path.parent)
        fd, tmp = tempfile.mkstemp(
            prefix=".config-", suffix=".tmp", dir=path.parent
        )  # O_EXCL|O_NOFOLLOW
    except OSError as exc:
        raise ConfigWriteError([f"{path}: cannot write: {_os_reason(exc)}"], exc) from None
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        refuse_link(path)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, LinkRefused):
            raise ConfigWriteError([str(exc)], exc) from None
        if isinstance(exc, OSError):
            raise ConfigWriteError(
                [f"{path}: cannot write: {_os_reason(exc)} (the file was left as it was)"], exc
            ) from None
        raise
    try:
        fd = open_private(path, os.O_RDONLY)  # the file just renamed, never a link put there since
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ConfigError(
            [f"{path}: written, but cannot make it private (mode 0600): {_os_reason(exc)}"]
        ) from None


def _read_private(path: Path) -> bytes:
    """The config file's bytes, never read through a link (:class:`LinkRefused`)."""
    fd = open_private(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def permission_warning(path: Path) -> str | None:
    """A one-line warning when the config file (which holds secrets) is readable or writable by
    the group or others, naming the file and the fix; None when it is private or absent.

    The CLI prints it on stderr; the dashboard can show it as a notification.
    """
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    if not mode & 0o066:
        return None
    who = " and ".join(w for w, bits in (("group", 0o060), ("others", 0o006)) if mode & bits)
    return (
        f"warning: {inert(str(path))}: readable or writable by "
        f"{who} (mode {mode:04o}) and it holds "
        f"secrets; fix: chmod 600 {inert(shlex.quote(str(path)))}"
    )


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


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
    lines: list[str] = []
    for line in text.splitlines():
        for key in SECRET_KEYS:
            if (
                key.dotted in config.env_overridden
                and line.startswith(f"{key.name} = ")
                and _in_section(lines, key.section)
            ):
                line = f"{line}  # from {key.env}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def secret_values(config: Config) -> list[str]:
    """Every non-empty secret, for redaction and for tests that look for leaks. A secret that
    holds URLs (alerts) is given whole and as the parts of each URL that carry its secret (user,
    password, path, query); the scheme and host alone, which displays show, are not secret."""
    out: list[str] = []
    for key in SECRET_KEYS:
        value = config.get(key.dotted)
        if not value:
            continue
        out.append(Secret(value))
        if "://" in str(value):
            out.extend(Secret(part) for part in _url_secrets(str(value)))
    return out


def _url_secrets(value: str) -> list[str]:
    parts: list[str] = []
    for url in re.split(r"[\s,]+", value):
        if "://" not in url:
            continue
        parsed = urlsplit(url)
        parts += [
            url,
            parsed.username or "",
            parsed.password or "",
            parsed.path.strip("/"),
            parsed.query,
        ]
        parts += [segment for segment in parsed.path.split("/") if len(segment) >= 6]
    return [p for p in parts if p]


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
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{inert(shown)}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return str(value)
