"""The support bundle: what a support person needs, with every secret removed."""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bp_tui import __version__
from bp_tui.config import masked_dict, secret_values
from bp_tui.core.records import iso, utcnow

if TYPE_CHECKING:
    from bp_tui.service.connector import Connector

REDACTED = "[redacted]"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def redact(value: Any, secrets: list[str]) -> Any:
    """Replace every occurrence of a secret in strings anywhere inside ``value``."""
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: redact(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets) for v in value]
    return value


def bundle_data(conn: "Connector") -> dict[str, Any]:
    config = masked_dict(conn.config)
    for section in config.values():
        for key, val in section.items():
            if val == "********":
                section[key] = REDACTED
    last = conn.store.last_run()
    data = {
        "generated_at": iso(utcnow()),
        "versions": {
            "bp-tui": __version__, "python": sys.version.split()[0], "platform": platform.platform(),
            "textual": _version("textual"), "httpx": _version("httpx"),
        },
        "config_path": str(conn.config_path) if conn.config_path else None,
        "state_path": str(conn.state_path),
        "config": config,
        "stages": conn.store.stage_counts(),
        "last_run": {"at": iso(last[0]), "summary": last[1]} if last else None,
        "recent_errors": [
            {"reason": reason, "count": count, "gon_ids": ids[:50]} for reason, count, ids in conn.recent_errors()
        ],
        "recent_audit": conn.store.recent_audit(500),
    }
    return redact(data, secret_values(conn.config))


def write_bundle(conn: "Connector", path: Path) -> Path:
    """Write the bundle as JSON (mode 0600) and return its path."""
    path = Path(path)
    if path.is_dir():
        path = path / f"bp-tui-support-{utcnow().strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(bundle_data(conn), indent=2, ensure_ascii=False, default=str)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
