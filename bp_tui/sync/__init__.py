"""The sync engine: discover, hydrate, map, import, read shipments, confirm."""
