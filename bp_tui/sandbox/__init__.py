"""In-process emulations of the Brightpearl and ShipStation APIs.

Used by the tests and ``bp-tui demo`` through ``httpx.ASGITransport``, and over real
HTTP on 127.0.0.1 by ``bp-tui sandbox serve``. Each API lives in its own subpackage.
"""
