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

PAIRS = [
    (BrightpearlPort, BrightpearlClient),
    (ShipStationPort, ShipStationClient),
    (ShipStationPort, ShipStationV2Client),
]


def port_methods(port: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(port).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def port_attributes(port: type) -> set[str]:
    """The port's data members: annotated attributes and read-only properties."""
    properties = {name for name, member in vars(port).items() if isinstance(member, property)}
    return set(getattr(port, "__annotations__", {})) | properties


@pytest.mark.parametrize(
    ("port", "client"), PAIRS, ids=["brightpearl", "shipstation", "shipstation-v2"]
)
def test_client_implements_every_port_method_with_its_parameters(port, client):
    methods = port_methods(port)
    assert methods, "the port lists no methods"
    for name, wanted in methods.items():
        implementation = getattr(client, name, None)
        assert implementation is not None, f"{client.__name__} lacks {name}"
        assert inspect.iscoroutinefunction(implementation) == inspect.iscoroutinefunction(
            vars(port)[name]
        ), name
        got = inspect.signature(implementation)
        assert [(p.name, p.kind) for p in got.parameters.values()] == [
            (p.name, p.kind) for p in wanted.parameters.values()
        ], f"{client.__name__}.{name}{got} != {wanted}"
    for attribute in port_attributes(port):
        assert hasattr(client, attribute) or attribute in client.__init__.__code__.co_names, (
            attribute
        )


def test_engine_and_troubleshooting_call_only_port_methods():
    root = Path(bp_tui.__file__).parent
    allowed = {
        "bp": set(port_methods(BrightpearlPort)) | port_attributes(BrightpearlPort),
        "ss": set(port_methods(ShipStationPort)) | port_attributes(ShipStationPort),
    }
    calls = []
    for folder in ("sync", "troubleshoot", "service"):
        for path in (root / folder).rglob("*.py"):
            for side, name in re.findall(
                r"\b(?:ctx|src|self)\.(bp|ss)\.([a-z_]+)", path.read_text()
            ):
                calls.append((side, name))
                assert name in allowed[side], (
                    f"{path.name} calls {side}.{name}, which is not in the port"
                )
    assert len(calls) > 20  # the scan found the engine's calls (it can fail)


def _adapter(api: str):
    """A V1 or V2 client on its in-process sandbox (the same account model behind both)."""
    import random

    import httpx

    from bp_tui.apiclient import Backoff
    from bp_tui.config.model import ShipStationSettings
    from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
    from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox
    from tests.shipstation.factory import SleepRecorder

    sb = ShipStationV2Sandbox() if api == "v2" else ShipStationSandbox(rate_limit=10_000)
    settings = ShipStationSettings(**sb.settings("http://shipstation.sandbox"))
    backoff = Backoff(attempts=3, base=0.001, cap=0.002, rng=random.Random(1))
    transport = httpx.ASGITransport(app=sb.app)
    if api == "v2":
        return sb, ShipStationV2Client(
            settings, transport=transport, backoff=backoff, limit=10_000, sleep=SleepRecorder()
        )
    return sb, ShipStationClient(
        settings, transport=transport, backoff=backoff, sleep=SleepRecorder()
    )


@pytest.mark.parametrize("api", ["v1", "v2"])
async def test_both_adapters_do_the_same_with_the_same_drafts(api):
    """Create, create again (never doubled), update what bp-tui owns (a user's edits kept),
    cancel: the same drafts give the same results and the same account on either API."""
    from dataclasses import replace

    from bp_tui.shipstation.models import OrderUpdate
    from tests.shipstation.factory import draft

    sb, ss = _adapter(api)
    async with ss:
        made = await ss.create_orders([draft(1), draft(2)])
        assert [r.success for r in made] == [True, True] and len(sb.orders) == 2
        again = await ss.create_orders([draft(1)])
        assert again[0].success and again[0].order_id == made[0].order_id and len(sb.orders) == 2
        sb.edit_order(made[0].order_id, internalNotes="fragile")
        current = await ss.get_order(made[0].order_id)
        moved = replace(draft(1), ship_to=replace(draft(1).ship_to, street1="9 New Road"))
        (updated,) = await ss.update_orders([OrderUpdate(current, moved)])
        assert updated.success and updated.order_id == made[0].order_id
        record = sb.orders[made[0].order_id]
        assert record["shipTo"]["street1"] == "9 New Road" and record["internalNotes"] == "fragile"
        (cancelled,) = await ss.cancel_orders([await ss.get_order(made[1].order_id)])
        assert cancelled.success and sb.orders[made[1].order_id]["orderStatus"] == "cancelled"
        assert (await ss.get_order(made[1].order_id)).order_status == "cancelled"
