"""The state database and its -wal and -shm files are 0600 from the first byte, whatever the
umask, and an older state left looser is tightened on open (issue 12)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from bp_tui.errors import StateError
from bp_tui.state import StateStore


def modes(path: Path) -> dict[str, int]:
    return {
        suffix: stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode) for suffix in ("", "-wal", "-shm")
    }


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o000])
def test_a_new_state_and_its_companions_are_0600_while_the_connection_is_open(tmp_path, umask):
    path = tmp_path / "data" / "state.sqlite3"
    old = os.umask(umask)
    try:
        store = StateStore(path)
        try:
            store.meta.set_watermark("first", "write")
            assert modes(path) == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
            assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # a folder we created
        finally:
            store.close()
    finally:
        os.umask(old)


def test_a_second_connection_on_the_open_state_sees_the_same_private_files(tmp_path):
    path = tmp_path / "state.sqlite3"
    first = StateStore(path)
    second = StateStore(path)
    try:
        second.meta.set_watermark("a", "b")
        assert modes(path) == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
    finally:
        second.close()
        first.close()


def test_an_existing_state_left_open_to_others_is_tightened_on_open(tmp_path):
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    holder = StateStore(path)  # another process keeps -wal and -shm in place
    holder.meta.set_watermark("x", "y")
    try:
        for suffix in ("", "-wal", "-shm"):
            os.chmod(f"{path}{suffix}", 0o644)
        store = StateStore(path)
        try:
            assert modes(path) == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
            assert store.meta.watermark("x") == "y"
        finally:
            store.close()
    finally:
        holder.close()


def test_a_state_folder_that_cannot_be_made_is_a_state_error_naming_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StateError) as info:
        StateStore(blocker / "state.sqlite3")
    assert str(info.value).startswith(f"{blocker}: cannot open the state database: ")


def test_a_full_disk_when_creating_the_state_is_a_state_error(tmp_path, monkeypatch):
    real_open = os.open

    def full(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", full)
    path = tmp_path / "state.sqlite3"
    with pytest.raises(
        StateError, match=f"^{path}: cannot open the state database: No space left on device$"
    ):
        StateStore(path)
