"""The engine talks to two ports; the clients implement them completely (same methods, same
parameters), and the engine and troubleshooting call nothing that is not in a port."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import bp_tui
from bp_tui.brightpearl.client import BrightpearlClient
from bp_tui.brightpearl.port import BrightpearlPort
from bp_tui.shipstation.client import ShipStationClient
from bp_tui.shipstation.port import ShipStationPort
from bp_tui.shipstation.v2.client import ShipStationV2Client

PAIRS = [(BrightpearlPort, BrightpearlClient), (ShipStationPort, ShipStationClient),
         (ShipStationPort, ShipStationV2Client)]


def port_methods(port: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(port).items()
            if inspect.isfunction(member) and not name.startswith("_")}


@pytest.mark.parametrize(("port", "client"), PAIRS, ids=["brightpearl", "shipstation", "shipstation-v2"])
def test_client_implements_every_port_method_with_its_parameters(port, client):
    methods = port_methods(port)
    assert methods, "the port lists no methods"
    for name, wanted in methods.items():
        implementation = getattr(client, name, None)
        assert implementation is not None, f"{client.__name__} lacks {name}"
        assert inspect.iscoroutinefunction(implementation) == inspect.iscoroutinefunction(vars(port)[name]), name
        got = inspect.signature(implementation)
        assert [(p.name, p.kind) for p in got.parameters.values()] == \
               [(p.name, p.kind) for p in wanted.parameters.values()], f"{client.__name__}.{name}{got} != {wanted}"
    for attribute in getattr(port, "__annotations__", {}):
        assert hasattr(client, attribute) or attribute in client.__init__.__code__.co_names, attribute


def test_engine_and_troubleshooting_call_only_port_methods():
    root = Path(bp_tui.__file__).parent
    allowed = {"bp": set(port_methods(BrightpearlPort)) | set(BrightpearlPort.__annotations__),
               "ss": set(port_methods(ShipStationPort)) | set(ShipStationPort.__annotations__)}
    calls = []
    for folder in ("sync", "troubleshoot", "service"):
        for path in (root / folder).rglob("*.py"):
            for side, name in re.findall(r"\b(?:ctx|src|self)\.(bp|ss)\.([a-z_]+)", path.read_text()):
                calls.append((side, name))
                assert name in allowed[side], f"{path.name} calls {side}.{name}, which is not in the port"
    assert len(calls) > 20  # the scan found the engine's calls (it can fail)
