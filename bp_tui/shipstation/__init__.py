"""ShipStation V1 API: typed models, async client and the port the sync engine uses."""
