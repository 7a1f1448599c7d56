"""Emulation of the Brightpearl public API.

``account.BrightpearlAccount`` holds the data, ``app.build_app`` serves it over ASGI and
``sandbox.BrightpearlSandbox`` is the two together. Import from those modules: this package
re-exports nothing, so no submodule imports back into a half-initialised package.
"""
