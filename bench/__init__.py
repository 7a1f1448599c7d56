"""bp-tui benchmarks: API economy, time under real rate limits, engine cost, dashboard latency.

Run ``python -m bench`` (``--quick`` for a tiny smoke run); see bench/README.md.
"""
