"""Tests reach the state through the store's public methods, not its SQLite connection.

A test that opens the file with ``sqlite3.connect``, touches a ``.db`` (or ``._db``) attribute,
patches one by name, or takes the connection a ``transaction()`` yields, is about the SQL layer
itself, and its file must be in ALLOWED with the reason why; anything else reads and writes
through the store (``store.queue``, ``store.audit``, ``store.meta``, the alert ledger...).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# test file (relative to tests/) -> why it needs the connection
ALLOWED = {
    "state/test_schema_migration.py": "schema migrations: old versions built by hand, the schema, "
    "PRAGMAs (user_version, auto_vacuum, journal_mode) and the file's size after a checkpoint",
    "state/test_migration.py": "schema migrations: a version-1 file built by hand, the upgraded "
    "tables' columns (PRAGMA table_info)",
    "state/test_upgrade_space.py": "the upgrade's disk space: versions, auto_vacuum and "
    "integrity_check of a file a failed upgrade left",
    "state/test_store.py": "the state file's journal mode (PRAGMA journal_mode)",
    "state/test_queue_queries.py": "query plans (EXPLAIN QUERY PLAN of the SQL each read runs, "
    "caught with the connection's trace callback) and the stage-count triggers under raw SQL "
    "writes of every kind",
    "sync/test_retention.py": "fault injection (a delete slowed with create_function), orphan "
    "labels and integrity_check after an interrupted batch",
    "reliability/test_bad_state.py": "corrupt, foreign, newer and unmigratable files, made with "
    "plain SQLite",
    "reliability/test_header_echo.py": "every column of every table searched for leaked secrets, "
    "beyond what any read of the store returns",
    "ui/test_hangup.py": "integrity_check, orphan labels and the trigger-kept counts of a "
    "500,000-note file a killed dashboard left",
    "ui/retain_demo.py": "500,000 old notes bulk-built at SQL speed (indexes dropped, then "
    "rebuilt)",
}

CONNECTION_ATTRS = {"db", "_db"}
IN_TEXT = re.compile(r"\._?db\.\w+|sqlite3\.connect\b")  # code in a string (a subprocess script)


def uses(source: str) -> list[str]:
    """Where ``source`` reaches a SQLite connection: "line: what", in line order."""
    found: list[tuple[int, str]] = []
    tree = ast.parse(source)
    modules = {"sqlite3"} | {  # the names sqlite3 is imported as
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name == "sqlite3" and alias.asname
    }
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr in CONNECTION_ATTRS:
            found.append((line, f".{node.attr}"))
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "connect"
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            found.append((line, "sqlite3.connect"))
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            if any(alias.name == "connect" for alias in node.names):
                found.append((line, "from sqlite3 import connect"))
        elif isinstance(node, ast.Call) and _names_a_connection(node):
            found.append((line, "the connection attribute, by name"))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            call = node.context_expr
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "transaction"
            ):
                found.append((call.lineno, "the connection transaction() yields"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if IN_TEXT.search(node.value):
                found.append((line, "in a script: " + IN_TEXT.search(node.value).group()))  # type: ignore[union-attr]
    return [f"{line}: {what}" for line, what in sorted(found)]


def _names_a_connection(call: ast.Call) -> bool:
    """setattr/getattr/delattr (monkeypatch's too) of an attribute named db or _db."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return (
        name in ("setattr", "getattr", "delattr", "hasattr")
        and len(call.args) >= 2
        and isinstance(call.args[1], ast.Constant)
        and call.args[1].value in CONNECTION_ATTRS
    )


def scan() -> dict[str, list[str]]:
    """Every test file (tests/ and below) that reaches a connection: file -> where."""
    out = {}
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__).resolve():
            continue  # this file's own examples
        found = uses(path.read_text(encoding="utf-8"))
        if found:
            out[path.relative_to(TESTS).as_posix()] = found
    return out


def test_only_the_allowed_tests_reach_the_state_connection() -> None:
    found = scan()
    outside = {f: where for f, where in found.items() if f not in ALLOWED}
    assert not outside, (
        "these tests reach the state's SQLite connection; use the store's public methods "
        "(or, for a test about the SQL layer itself, add the file to ALLOWED with the reason): "
        f"{outside}"
    )
    stale = sorted(set(ALLOWED) - set(found))
    assert not stale, f"no longer reach the connection; remove them from ALLOWED: {stale}"


def test_every_allowed_file_has_a_one_line_reason() -> None:
    for name, reason in ALLOWED.items():
        assert (TESTS / name).is_file(), name
        assert reason.strip() and "\n" not in reason, name


def test_the_scan_sees_every_way_to_the_connection() -> None:
    reaching = [
        "store.db.execute('SELECT 1')",
        "rows = conn.store.db.execute('SELECT 1').fetchall()",
        "real = built.db",
        "store.queue._db.execute('SELECT 1')",
        "db = sqlite3.connect(path)",
        "from sqlite3 import connect",
        "import sqlite3 as lite\nlite.connect(path)",
        "monkeypatch.setattr(store, 'db', spy)",
        "getattr(store, 'db')",
        "with store.transaction() as db:\n    db.execute('DELETE FROM gons')",
        "SCRIPT = '''\nstore = StateStore(path)\nstore.db.execute('DELETE FROM gons')\n'''",
        "SCRIPT = 'import sqlite3; sqlite3.connect(path)'",
    ]
    for source in reaching:
        assert uses(source), source
    harmless = [
        "path = folder / 'state.db'",
        "with store.transaction():\n    store.save_gon(rec)",
        "import sqlite3\nerror = sqlite3.OperationalError('disk is full')",
        "counts = store.queue.stage_counts()",
        "setattr(store, 'dbx', 1)",
    ]
    for source in harmless:
        assert not uses(source), source
