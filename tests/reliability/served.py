"""`bp-tui sandbox serve` and `bp-tui sync` as real processes, for the kill and lock tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import tomli_w

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


class Served:
    def __init__(
        self,
        tmp_path: Path,
        *,
        orders: int = 12,
        seed: int = 1,
        extra: list[str] | None = None,
        interval_s: int = 10,
    ) -> None:
        self.proc = subprocess.Popen(
            [
                EXE,
                "sandbox",
                "serve",
                "--port",
                "0",
                "--orders",
                str(orders),
                "--seed",
                str(seed),
                "--bp-limit",
                "100000",
                "--ss-limit",
                "100000",
                *(extra or []),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines = []
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            lines.append(line)
            if line.startswith("store_id"):
                break
        text = "".join(lines)
        self.base = text.split(" on ", 1)[1].split(" ", 1)[0]
        keys = tomllib.loads("".join(line for line in lines if not line.startswith("#")))
        keys["sync"] = {"interval_seconds": interval_s}
        self.config = tmp_path / "config.toml"
        self.config.write_text(tomli_w.dumps(keys))
        self.config.chmod(0o600)
        self.state = tmp_path / "state.sqlite3"

    def control(self, method: str, path: str) -> dict:
        req = urllib.request.Request(self.base + "/_sandbox" + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def tally(self) -> dict:
        return self.control("GET", "/tally")

    def label(self, count: int) -> list[dict]:
        return self.control("POST", f"/labels?count={count}")["labels"]

    def args(self, *more: str) -> list[str]:
        return [EXE, "--config", str(self.config), "--state", str(self.state), *more]

    def start_sync(self, *more: str) -> subprocess.Popen:
        return subprocess.Popen(
            self.args("sync", *more), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def run(self, *more: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(self.args(*more), capture_output=True, text=True, timeout=timeout)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_for_line(proc: subprocess.Popen, words: tuple[str, ...], timeout: float = 15.0) -> str:
    """Read the process's progress on stderr until a line starting with one of ``words``."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith(words):
            return line
    raise AssertionError(f"no progress line {words} from the sync process")
