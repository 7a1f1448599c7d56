"""An in-process emulation of the ShipStation API V2, faithful to reference/shipstation-v2.md.

V1 and V2 are two APIs over one ShipStation account: V1 ``orderId`` 12345678 is V2
``shipment_id`` ``se-12345678``, a V1 shipment (label) ``shipmentId`` n is V2 ``label_id``
``se-n``, ``orderKey`` is ``external_shipment_id`` (ShipStation's migration guide). So the V2
sandbox is a second face on the V1 sandbox's account (``ShipStationAccount``): the same orders,
labels and fulfillments, read and written through V2's shapes and rules. Test hooks
(``create_label``, ``void_label``, ``split_order``...) work whichever API the client uses, and an
install switching from V1 to V2 finds its orders where they were.

``face.V2Face`` holds what only V2 has (its key, rate limit, packages, ship-from); ``shapes``
translates; ``app.build_v2_app`` serves it; ``sandbox.ShipStationV2Sandbox`` is an account with
its V2 app. Import from the modules: this package re-exports nothing.
"""
