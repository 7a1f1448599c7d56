"""Known problems and their fixes, for the troubleshooting screen.

The first row is ShipStation's own troubleshooting table for Brightpearl ("Los pedidos no se
importan a ShipStation" -> the order needs a goods-out note in the Printed state); the others
come from the connection requirements of the same help article and from how bp-tui works.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownProblem:
    title: str
    how_to_tell: str
    check: str  # the check we run, in words
    fix: str
    check_ids: tuple[str, ...] = ()  # doctor check ids that test for it


KNOWN_PROBLEMS: tuple[KnownProblem, ...] = (
    KnownProblem(
        "Orders are not importing into ShipStation",
        "The order's goods-out note stays in stage '· waiting' in the queue, with the reason "
        "'not printed' (or not picked/packed, per import_when).",
        "Why isn't this order importing? (diagnose the order or GON id): reads the GON's "
        "printed/picked/packed flags and compares them with import_when.",
        "Make sure the order has a goods-out note in the Printed state in Brightpearl (print it), "
        "then sync. If you import on picked or packed, set import_when in Connection setup.",
        ("config",),
    ),
    KnownProblem(
        "Nothing answers at the API address",
        "Test connection shows '✗' on 'Brightpearl reachable' or 'ShipStation reachable' with "
        "'nothing answers at …' (HTTP 404, or no answer at all).",
        "Calls each API at the configured address; a 404 or no connection means the address is "
        "wrong (or the network is down), not the credentials.",
        "Check the base URL: brightpearl.integration_url (or the data center and account code it "
        "is made from) and shipstation.base_url (V1 https://ssapi.shipstation.com, V2 "
        "https://api.shipstation.com), and this machine's network access.",
        ("bp_reach", "ss_reach"),
    ),
    KnownProblem(
        "Brightpearl rejects the login",
        "Test connection shows '✗' on the Brightpearl authentication check; syncs stop with "
        "'HTTP 401'.",
        "Authenticates with the configured mode (oauth, staff token, or the legacy password and "
        "account token).",
        "Check app ref and developer ref (oauth), or app ref and token, or username and password, "
        "in Connection setup. For the legacy modes, doctor prints how to move to oauth or "
        "staff_token.",
        ("bp_auth", "bp_account"),
    ),
    KnownProblem(
        "Brightpearl access was revoked (OAuth)",
        "Syncs and doctor stop with 'Brightpearl access was revoked: run bp-tui auth login (or "
        "Setup -> Connect)'; the token refresh check fails with invalid_grant.",
        "Refreshes the stored OAuth token (doctor: 'Brightpearl token refresh works').",
        "The grant is gone (the app was turned off, the staff member removed, or the grant "
        "withdrawn). Turn the app on in Brightpearl's App Store if it is off, then run bp-tui auth "
        "login, or Setup (F3) -> Connect to Brightpearl, and approve again.",
        ("bp_oauth_token", "bp_oauth_refresh"),
    ),
    KnownProblem(
        "Wrong OAuth client secret",
        "Connect (or bp-tui auth login) ends with 'invalid_client'; the token refresh check fails "
        "with 'Brightpearl refused the app's client id or secret'.",
        "Exchanges the code, or refreshes the token, with app_ref as the client id and "
        "client_secret.",
        "Copy the client secret again from the app's page in your Brightpearl developer account "
        "(brightpearl.client_secret, or BP_TUI_BRIGHTPEARL_CLIENT_SECRET); app_ref must be that "
        "app's reference. Then connect again.",
        ("bp_oauth_refresh",),
    ),
    KnownProblem(
        "OAuth state mismatch when pasting the address",
        "Pasting the address the browser was sent to says 'the state in the pasted address does "
        "not match the login started here'.",
        "Compares the state in the pasted address with the one bp-tui put in the address it showed "
        "(a shown address is good for 15 minutes).",
        "The address came from an older or another login (or was altered). Show the address again "
        "(Setup -> Connect, or bp-tui auth login), open that one, approve, and paste the address "
        "that browser lands on.",
    ),
    KnownProblem(
        "ShipStation rejects the API key",
        "Test connection shows '✗' on the ShipStation authentication check (HTTP 401 or 403).",
        "Calls ShipStation with the key and secret (API V1) or the key alone (API V2); the "
        "'ShipStation reachable' row names the API version in use.",
        "Copy the key again from ShipStation Settings > Account > API Settings: V1 keys come with "
        "a secret, V2 keys alone, and neither works on the other's API. Test connection (ctrl+t) "
        "detects which API a key belongs to and sets api_version.",
        ("ss_auth",),
    ),
    KnownProblem(
        "Orders from one channel or warehouse never import",
        "Their GONs are printed but do not appear in the queue at all.",
        "Compares the GON's channel and warehouse with channel_ids and warehouse_ids.",
        "Add the channel or warehouse id in Connection setup, or leave the list empty for all.",
        ("bp_channels", "bp_warehouses", "bp_lookups"),
    ),
    KnownProblem(
        "Imported orders are not in the expected store",
        "The queue shows '→ imported' but the order is missing from the store in ShipStation.",
        "Checks that store_id names an existing ShipStation store.",
        "Pick the store in Connection setup (store_id); 0 means the account's default manual "
        "store.",
        ("ss_store",),
    ),
    KnownProblem(
        "Labels are not written back to Brightpearl",
        "The queue shows '▲ shipped' for a long time, or the reason names the shipped event.",
        "Checks shipped_action, the staff contact used for the shipped event, and the order "
        "status.",
        "Set staff_contact_id (the staff member who owns the shipped event) and, for the *_status "
        "actions, shipped_status_id.",
        ("bp_staff", "bp_status"),
    ),
    KnownProblem(
        "A label was voided or replaced after confirmation",
        "The GON shows '! attention' in the queue.",
        "Compares ShipStation's labels with what was written back.",
        "Brightpearl cannot change a shipped note; check the order note bp-tui added and fix the "
        "tracking by hand if needed.",
    ),
    KnownProblem(
        "An order was split into several shipments in ShipStation",
        "The GON stays '→ imported' with 'split into 2 in ShipStation: 1 of 2 labelled'; the "
        "detail (Enter) lists every part with its status and tracking.",
        "Every sync reads the ShipStation orders changed since the last one; a part has the same "
        "orderKey and the original order as its parent. The GON is confirmed once every part has a "
        "label or is cancelled.",
        "Create a label for every part (or cancel the parts you will not ship); the GON gets every "
        "part's tracking number. Changes made in Brightpearl afterwards are not sent to the parts: "
        "make them in ShipStation.",
    ),
    KnownProblem(
        "Orders were combined (merged) in ShipStation",
        "A GON shows 'merged into order N in ShipStation' and no ShipStation order of its own.",
        "Reads the combined order's list of merged orders; its label confirms every GON merged "
        "into it.",
        "Create the label on the combined order: each GON gets the tracking, the shipped event and "
        "a note on its own order. bp-tui never re-sends a merged order (that would create it "
        "again); make later changes, or cancel a deleted GON's items, in ShipStation.",
    ),
    KnownProblem(
        "A return label was created for an order",
        "The GON's reason says 'return label … ignored'; nothing else changes.",
        "Labels marked as return labels are kept but never written back or counted as a "
        "replacement.",
        "Nothing to do: returns are not shipments; handle the return in Brightpearl as usual.",
    ),
    KnownProblem(
        "A label was voided weeks after it was bought",
        "A GON confirmed long ago moves to '! attention' saying the label was voided after "
        "confirmation.",
        "Every sync also reads the labels voided since the last one (by void date), however old "
        "they are.",
        "Brightpearl cannot un-ship the note; check the order note bp-tui added, and ship again or "
        "correct the tracking by hand.",
    ),
    KnownProblem(
        "Syncs are slow or report throttling",
        "The header shows few API requests left on one side; the log shows HTTP 429.",
        "Reads the rate-limit headers of both APIs (the budget in the queue header).",
        "Wait for the window to reset, or raise sync.interval_seconds so cycles overlap less with "
        "other integrations sharing the same API limits.",
        ("bp_budget", "ss_budget"),
    ),
    KnownProblem(
        "Shipments are missed or dates look shifted",
        "Orders show the wrong order date in ShipStation, or labels made around midnight are not "
        "confirmed.",
        "Compares this machine's clock with the API servers' Date header.",
        "Set the machine's clock (NTP). ShipStation reads dates without an offset as Pacific time.",
        ("clock",),
    ),
)
