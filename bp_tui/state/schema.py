"""The state database's tables, and migrations between versions.

Version 1 is the first. ``open_db`` refuses a file that is not a bp-tui state database,
and one written by a newer bp-tui, instead of silently starting empty. A new file is created
at version 1 and brought up to date by the same migrations an older file goes through.

Version 2 (issue 13: what real ShipStation accounts do): a label can belong to several notes
(an order merged into another one: its label confirms every note merged into it), so a
shipment row is one label *for one note*; and ``ss_parts`` lists the ShipStation orders that
carry a note besides its own (the parts of a split order, the order it was merged into).
"""

from __future__ import annotations

SCHEMA_VERSION = 2
APP_ID = 0x62707475  # "bptu": PRAGMA application_id marks our files

CREATE_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- One row per goods-out note we have seen.
CREATE TABLE gons (
    gon_id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    stage TEXT NOT NULL,
    gon_state TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '',
    customer TEXT NOT NULL DEFAULT '',
    warehouse_id INTEGER,
    channel_id INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    ss_order_key TEXT,
    ss_order_id INTEGER,
    ss_order_number TEXT NOT NULL DEFAULT '',
    ss_payload TEXT,
    tracking TEXT NOT NULL DEFAULT '',
    confirmed_at TEXT,
    first_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX gons_stage ON gons(stage);
CREATE INDEX gons_order ON gons(order_id);
CREATE INDEX gons_ss_order ON gons(ss_order_id);
-- Labels (kind 'shipment') and marked-shipped records (kind 'fulfillment') of our orders.
CREATE TABLE shipments (
    kind TEXT NOT NULL,
    remote_id INTEGER NOT NULL,
    gon_id INTEGER NOT NULL,
    ss_order_id INTEGER NOT NULL,
    tracking TEXT NOT NULL DEFAULT '',
    carrier TEXT NOT NULL DEFAULT '',
    service TEXT NOT NULL DEFAULT '',
    shipped_at TEXT,
    created_at TEXT,
    voided INTEGER NOT NULL DEFAULT 0,
    role TEXT NOT NULL DEFAULT 'new',
    noted INTEGER NOT NULL DEFAULT 0,
    void_noted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, remote_id)
);
CREATE INDEX shipments_gon ON shipments(gon_id);
-- Every write to either API: a row with result 'intent' before, the outcome after.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    api TEXT NOT NULL,
    action TEXT NOT NULL,
    gon_id INTEGER,
    order_id INTEGER,
    key TEXT,
    result TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_gon ON audit(gon_id);
CREATE INDEX audit_open ON audit(result) WHERE result = 'intent';
CREATE INDEX audit_key ON audit(key);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    mode TEXT NOT NULL,
    pid INTEGER NOT NULL,
    summary TEXT
);
CREATE TABLE watermarks (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE products (
    product_id INTEGER PRIMARY KEY,
    weight REAL,
    stock_tracked INTEGER NOT NULL DEFAULT 1,
    fetched_at TEXT NOT NULL
);
"""

MIGRATE_V2 = """
CREATE TABLE shipments_v2 (
    kind TEXT NOT NULL,
    remote_id INTEGER NOT NULL,
    gon_id INTEGER NOT NULL,
    ss_order_id INTEGER NOT NULL,
    tracking TEXT NOT NULL DEFAULT '',
    carrier TEXT NOT NULL DEFAULT '',
    service TEXT NOT NULL DEFAULT '',
    shipped_at TEXT,
    created_at TEXT,
    voided INTEGER NOT NULL DEFAULT 0,
    role TEXT NOT NULL DEFAULT 'new',
    noted INTEGER NOT NULL DEFAULT 0,
    void_noted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, remote_id, gon_id)
);
INSERT INTO shipments_v2 SELECT kind, remote_id, gon_id, ss_order_id, tracking, carrier, service, shipped_at,
    created_at, voided, role, noted, void_noted FROM shipments;
DROP TABLE shipments;
ALTER TABLE shipments_v2 RENAME TO shipments;
CREATE INDEX shipments_gon ON shipments(gon_id);
-- ShipStation orders that carry a note besides its own order: 'split' = a part of the note's
-- split order (the original one included), 'merged' = the order the note's order was merged into.
CREATE TABLE ss_parts (
    gon_id INTEGER NOT NULL,
    ss_order_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    order_number TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    seen_at TEXT NOT NULL,
    PRIMARY KEY (gon_id, ss_order_id)
);
CREATE INDEX ss_parts_order ON ss_parts(ss_order_id);
"""

# version -> SQL that upgrades from version-1 to version (run in one transaction with the
# version bump, so a crash leaves the file at the old version or the new one, never between)
MIGRATIONS: dict[int, str] = {2: MIGRATE_V2}
