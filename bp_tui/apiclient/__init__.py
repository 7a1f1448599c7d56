"""Pieces shared by the two API clients: rate-limit pacing and retry backoff."""

from bp_tui.apiclient.backoff import Backoff
from bp_tui.apiclient.pacing import RateGate

__all__ = ["Backoff", "RateGate"]
