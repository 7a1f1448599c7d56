"""A state file that is corrupt, not ours, or from another bp-tui version is refused with a
clear message, never silently replaced by an empty one."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys

import pytest

from bp_tui.errors import StateError
from bp_tui.state import StateStore
from bp_tui.state.schema import APP_ID, SCHEMA_VERSION

EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")


def real_state(path):
    store = StateStore(path)
    store.meta.set_watermark("shipments", "2024-01-01T00:00:00+00:00")
    store.close()


def corrupt(path):
    real_state(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the header survives, the schema page does not
    path.write_bytes(bytes(data))


def garbage(path):
    path.write_bytes(b"this is not a database at all\n" * 200)


def foreign(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()


def newer(path):
    real_state(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()


def unmigratable(path):
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA application_id={APP_ID}")
    db.execute("PRAGMA user_version=0")
    db.execute("CREATE TABLE gons (gon_id INTEGER)")
    db.commit()
    db.close()


CASES = [
    ("corrupt", corrupt, "state database is damaged"),
    ("garbage", garbage, "not a usable state database"),
    ("foreign", foreign, "not a bp-tui state database"),
    ("newer", newer, "written by a newer bp-tui"),
    ("unmigratable", unmigratable, "cannot be migrated"),
]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name, make, words", CASES, ids=[c[0] for c in CASES])
def test_bad_state_file_is_refused_and_left_alone(tmp_path, name, make, words):
    path = tmp_path / "state.sqlite3"
    make(path)
    before = digest(path)
    with pytest.raises(StateError) as info:
        StateStore(path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert digest(path) == before


@pytest.mark.parametrize("name, make, words", CASES[:4], ids=[c[0] for c in CASES[:4]])
def test_sync_refuses_a_bad_state_file_with_exit_2(tmp_path, name, make, words):
    from .served import Served

    served = Served(tmp_path, orders=3)
    try:
        make(served.state)
        before = digest(served.state)
        result = served.run("sync", "--once")
        assert result.returncode == 2, result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr
        assert digest(served.state) == before
        assert served.tally()["orders"] == 0  # nothing was sent as if from an empty state
    finally:
        served.close()
