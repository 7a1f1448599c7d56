"""A faithful in-process emulation of the ShipStation V1 API.

``account.ShipStationAccount`` holds the data, ``app.build_app`` serves it over ASGI and
``sandbox.ShipStationSandbox`` is the two together. Import from those modules: this package
re-exports nothing, so no submodule imports back into a half-initialised package.
"""
