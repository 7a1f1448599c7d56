"""Domain types of bp-tui: stages, shipment roles, intent keys, reasons, records and the plain
data shapes that cross the service seam. A leaf: it imports nothing else of the project."""
