"""The environment behind `bp-tui demo`: both sandboxes in-process, seeded, real rate limits.

Everything it writes (config, state) goes into the temporary folder it is given.
"""

from __future__ import annotations

from pathlib import Path

from bp_tui.sandbox.environment import SandboxEnvironment, build_environment

DEMO_ORDERS = 120


def build_demo(tmpdir: Path, *, orders: int = DEMO_ORDERS, seed: int = 1) -> SandboxEnvironment:
    """A seeded account; labels appear in the sandbox ShipStation when ``tick()`` is awaited."""
    return build_environment(Path(tmpdir), orders=orders, seed=seed)
