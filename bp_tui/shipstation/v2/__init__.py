"""The ShipStation API V2 adapter: the same ``ShipStationPort`` as the V1 client, over
``api.shipstation.com/v2`` (one ``api-key`` header, shipments instead of orders, labels instead
of V1 shipments). ``client.ShipStationV2Client`` is the adapter; the other modules are its parts.
Import from the modules: this package re-exports nothing."""
