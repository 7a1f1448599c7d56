"""bp-tui: the Brightpearl <-> ShipStation connector and its terminal dashboard."""

__version__ = "0.1.0"
