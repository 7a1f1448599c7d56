"""Exit codes shared by sync, doctor and diagnose (docs/contract.md)."""

OK = 0
PARTIAL = 1  # finished, but some items failed (each recorded with its reason)
USAGE = 2  # configuration or usage error; the message names the key
UNREACHABLE = 3  # cannot reach or authenticate to an API
