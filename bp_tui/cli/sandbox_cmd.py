"""`bp-tui sandbox serve`: both emulated APIs over real HTTP on loopback."""

from __future__ import annotations

import argparse
import sys

from bp_tui.cli import exitcodes
from bp_tui.sandbox.faults import ECHO_KINDS, GATEWAY_KINDS, KINDS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sandbox", help="the built-in emulation of both APIs")
    sub = p.add_subparsers(dest="sandbox_command", metavar="{serve}", required=True)
    s = sub.add_parser(
        "serve", help="serve both sandbox APIs over HTTP and print the config keys for them"
    )
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8787, help="port (0 = any free port)")
    s.add_argument("--orders", type=int, default=60, help="seeded Brightpearl orders (default 60)")
    s.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    s.add_argument(
        "--bp-limit", type=int, default=200, help="Brightpearl requests per minute (real: 200)"
    )
    s.add_argument(
        "--ss-limit",
        type=int,
        default=None,
        help="ShipStation requests per minute (default: the real limit, 40 on V1, 200 on V2)",
    )
    s.add_argument(
        "--ss-api",
        choices=("v1", "v2"),
        default="v1",
        help="which ShipStation API to serve (v2: api-key header, /v2/... paths; the same account)",
    )
    s.add_argument(
        "--faults",
        type=float,
        default=0.0,
        metavar="RATE",
        help="share of requests (0-1) that misbehave: 5xx, drops, slow, throttled, malformed",
    )
    s.add_argument(
        "--fault-seed", type=int, default=0, help="seed of the fault draws (same seed, same faults)"
    )
    s.add_argument(
        "--fault-kinds",
        default="",
        metavar="K1,K2",
        help="only these kinds (default: " + ", ".join(KINDS) + "); opt-in, what proxies and "
        "broken gateways answer: " + ", ".join(GATEWAY_KINDS + ECHO_KINDS),
    )
    s.add_argument(
        "--slow-s",
        type=float,
        default=40.0,
        help="delay of a slow answer (default 40: past the client timeout)",
    )
    s.add_argument(
        "--bp-timezone",
        default="",
        metavar="ZONE",
        help="the Brightpearl account's time zone, e.g. America/Chicago or -06:00: offset-less "
        "date filters and event times are read in it (default: none, read as UTC)",
    )
    s.add_argument(
        "--auth",
        choices=("password", "oauth"),
        default="password",
        help="the Brightpearl auth mode of the printed keys (default password); with oauth, run "
        "bp-tui auth login once (the sandbox approves at once)",
    )
    s.add_argument(
        "--oauth-ttl",
        type=float,
        default=None,
        metavar="S",
        help="life of an OAuth access token in seconds (real: 604800); "
        "refresh tokens rotate and are single-use once the new pair is used",
    )
    s.add_argument(
        "--real-world",
        action="store_true",
        help="POST /_sandbox/labels also does what ShipStation users do: splits, combined orders, "
        "return labels and voids of old labels",
    )
    s.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bp_tui.sandbox.brightpearl.sandbox import BrightpearlSandbox
    from bp_tui.sandbox.server import bind, combined_app, connection_toml, control_app
    from bp_tui.sandbox.shipstation.sandbox import ShipStationSandbox
    from bp_tui.sandbox.shipstation_v2.sandbox import ShipStationV2Sandbox

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            "warning: the sandbox has well-known credentials; serve it on loopback only "
            "(bp-tui accepts plain http only to a loopback address)",
            file=sys.stderr,
        )
    try:
        bp = BrightpearlSandbox(rate_limit=args.bp_limit, timezone=args.bp_timezone or None)
    except ValueError as exc:
        print(f"error: --bp-timezone: {exc}", file=sys.stderr)
        return exitcodes.USAGE
    if args.oauth_ttl is not None:
        if args.oauth_ttl <= 0:
            print("error: --oauth-ttl: must be a number of seconds above 0", file=sys.stderr)
            return exitcodes.USAGE
        bp.oauth.access_ttl_s = args.oauth_ttl
    if args.orders:
        bp.seed(orders=args.orders, seed=args.seed)
    ss: ShipStationSandbox | ShipStationV2Sandbox
    if args.ss_api == "v2":
        ss = ShipStationV2Sandbox(rate_limit=200 if args.ss_limit is None else args.ss_limit)
    else:
        ss = ShipStationSandbox(rate_limit=40 if args.ss_limit is None else args.ss_limit)
    if args.faults:
        from bp_tui.sandbox.faults import BRIGHTPEARL, SHIPSTATION, FaultPlan, attach
        from bp_tui.sandbox.shipstation_v2.faults import SHIPSTATION_V2

        kinds = tuple(k.strip() for k in args.fault_kinds.split(",") if k.strip()) or KINDS
        try:
            attach(
                bp,
                FaultPlan(
                    rate=args.faults, seed=args.fault_seed * 2, kinds=kinds, slow_s=args.slow_s
                ),
                BRIGHTPEARL,
            )
            attach(
                ss,
                FaultPlan(
                    rate=args.faults, seed=args.fault_seed * 2 + 1, kinds=kinds, slow_s=args.slow_s
                ),
                SHIPSTATION_V2 if args.ss_api == "v2" else SHIPSTATION,
            )
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exitcodes.USAGE
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return exitcodes.USAGE
    host, port = sock.getsockname()[:2]
    base = client_base(host, port)
    print(
        f"# bp-tui sandbox on {base} ({bp.counts.get('gons', 0)} goods-out notes); Ctrl+C stops it"
    )
    if args.faults:
        print(
            f"# faults: {args.faults:.0%} of requests (seed {args.fault_seed}); "
            f"counts at {base}/_sandbox/tally"
        )
    if bp.timezone_name:
        print(f"# brightpearl time zone: {bp.timezone_name} (offset-less times are read in it)")
    if args.real_world:
        print(
            f"# real world: {base}/_sandbox/labels also splits, combines, returns "
            "and voids old labels"
        )
    if args.auth == "oauth" or args.oauth_ttl is not None:
        print(
            f"# oauth: access tokens live {bp.oauth.access_ttl_s:g} s, refresh tokens rotate; "
            f"controls at {base}/_sandbox/oauth (revoke, expire, hold)"
        )
    if args.ss_api == "v2":
        print(
            f"# shipstation: API V2 at {base}/shipstation/v2/... (api-key header); "
            f"POST {base}/_sandbox/label?shipment_id=se-N buys a label"
        )
    print(connection_toml(bp, ss, base, auth=args.auth), flush=True)
    control = control_app(bp, ss, seed=args.seed, real_world=args.real_world)
    config = uvicorn.Config(
        combined_app(bp.app, ss.app, control=control),
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return exitcodes.OK


def client_base(host: str, port: int) -> str:
    """The base URL clients use for a listener on ``host``: one on every interface (0.0.0.0) is
    reached on 127.0.0.1, the only kind of plain-http address the config accepts."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}"
