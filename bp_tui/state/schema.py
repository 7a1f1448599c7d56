"""The state database's tables, and migrations between versions.

Version 1 is the first. ``open_db`` refuses a file that is not a bp-tui state database,
and one written by a newer bp-tui, instead of silently starting empty. A new file is created
with ``CREATE`` (the newest schema, directly); an older file is brought to it by running
``MIGRATIONS[v]`` for every version ``v`` after its own, each in one transaction with its version
bump, so both end with the same schema (tests/state/test_schema_migration.py compares them).

Version 2 (issue 13: what real ShipStation accounts do): a label can belong to several notes
(an order merged into another one: its label confirms every note merged into it), so a
shipment row is one label *for one note*; and ``ss_parts`` lists the ShipStation orders that
carry a note besides its own (the parts of a split order, the order it was merged into).

Version 3 (issue 14: history stays cheap): the queue's indexes, the stage counts kept by
triggers, and ``auto_vacuum = INCREMENTAL``, which an existing file takes on with one VACUUM
before the step's transaction (VACUUM_AFTER); its free space is checked first (``open_db``).

Version 4 (issue 22: alerts): ``incidents`` (one row per trigger and subject while it lasts,
at most one unresolved per key) and ``alert_messages`` (one per incident and event, claimed
with a lease by the process that sends it, marked once every URL took it).
"""

from __future__ import annotations

SCHEMA_VERSION = 4
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
INSERT INTO shipments_v2 SELECT kind, remote_id, gon_id, ss_order_id, tracking, carrier, service,
    shipped_at, created_at, voided, role, noted, void_noted FROM shipments;
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

# Version 3: history stays cheap (docs/contract.md, "The state"). The queue reads a page at a
# time, filtered, searched and sorted by SQLite on these indexes; retention finds expired notes
# and old audit rows on them; the stage counts are kept by triggers, so counting a million notes
# costs a read of eight rows. Every statement may run again (a migration stopped half-way is
# re-run).
HISTORY_V3 = """
-- deep pages in GON order walk this narrow index, not the table's wide rows
CREATE INDEX IF NOT EXISTS gons_id ON gons(gon_id);
CREATE INDEX IF NOT EXISTS gons_updated ON gons(updated_at);
CREATE INDEX IF NOT EXISTS gons_stage_updated ON gons(stage, updated_at);
CREATE INDEX IF NOT EXISTS gons_first_seen ON gons(first_seen);
CREATE INDEX IF NOT EXISTS gons_stage_first_seen ON gons(stage, first_seen);
CREATE INDEX IF NOT EXISTS gons_stage_order ON gons(stage, order_id);
-- search is by prefix, case-insensitive (LIKE 'abc%' uses a NOCASE index)
CREATE INDEX IF NOT EXISTS gons_customer ON gons(customer COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS gons_stage_customer ON gons(stage, customer COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS gons_reference ON gons(reference COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS gons_tracking ON gons(tracking COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS gons_confirmed ON gons(confirmed_at);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
-- labels with work left (the store's PENDING_SHIPMENT, word for word, so SQLite uses it): every
-- cycle and every retention batch ask for them, and they are few among a million
CREATE INDEX IF NOT EXISTS shipments_pending ON shipments(gon_id)
    WHERE role = 'new' OR (role = 'late' AND noted = 0)
    OR (voided = 1 AND role IN ('confirmed', 'late') AND void_noted = 0);
-- notes per stage, kept by the triggers below; an INSERT OR REPLACE fires the delete trigger
-- for the row it replaces only with PRAGMA recursive_triggers on, which StateStore sets
CREATE TABLE IF NOT EXISTS stage_counts (
    stage TEXT PRIMARY KEY,
    n INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS gons_count_insert AFTER INSERT ON gons BEGIN
    INSERT INTO stage_counts (stage, n) VALUES (NEW.stage, 1)
        ON CONFLICT(stage) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS gons_count_delete AFTER DELETE ON gons BEGIN
    UPDATE stage_counts SET n = n - 1 WHERE stage = OLD.stage;
END;
CREATE TRIGGER IF NOT EXISTS gons_count_update AFTER UPDATE OF stage ON gons
    WHEN OLD.stage <> NEW.stage BEGIN
    UPDATE stage_counts SET n = n - 1 WHERE stage = OLD.stage;
    INSERT INTO stage_counts (stage, n) VALUES (NEW.stage, 1)
        ON CONFLICT(stage) DO UPDATE SET n = n + 1;
END;
DELETE FROM stage_counts;
INSERT INTO stage_counts (stage, n) SELECT stage, COUNT(*) FROM gons GROUP BY stage;
"""

# Version 4: alerts. An incident is 'pending' (seen, not past its threshold: no message yet),
# then opened (opened_at; message 'opened'), then resolved (resolved_at; message 'resolved').
# The partial unique index keeps one unresolved incident per key whoever writes it.
ALERTS_V4 = """
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    trigger TEXT NOT NULL,
    subject TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    opened_at TEXT,
    resolved_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_unresolved ON incidents(key) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS incidents_resolved ON incidents(resolved_at);
-- status: pending (to send), sent, digested (went out inside a digest), test; delivered_to holds
-- hashes of the URLs that took it (never a URL: they hold secrets)
CREATE TABLE IF NOT EXISTS alert_messages (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER,
    event TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    claim_owner TEXT,
    claimed_until TEXT,
    next_try_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    delivered_to TEXT NOT NULL DEFAULT '[]',
    sent_at TEXT,
    UNIQUE (incident_id, event)
);
CREATE INDEX IF NOT EXISTS alert_messages_pending ON alert_messages(status)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS alert_messages_sent ON alert_messages(sent_at);
"""

# The newest schema, for a new file (open_db sets auto_vacuum = INCREMENTAL before it).
CREATE = CREATE_V1 + MIGRATE_V2 + HISTORY_V3 + ALERTS_V4

# version -> SQL that upgrades from version-1 to version (run in one transaction with the
# version bump, so a crash leaves the file at the old version or the new one, never between)
MIGRATIONS: dict[int, str] = {2: MIGRATE_V2, 3: HISTORY_V3, 4: ALERTS_V4}
# Before this version's step, a file without auto_vacuum = INCREMENTAL is rewritten with it (one
# VACUUM: with the step's indexes after it, it needs free space of about twice the file's size,
# checked before anything is changed), then the step runs with its version bump; a VACUUM or a
# step that fails leaves the file at the version before, and it is done again next time.
VACUUM_AFTER = 3
