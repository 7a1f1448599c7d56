"""The OAuth token store (issue 15): a file of its own beside the state, 0600, replaced whole; a
refresh lock that one holder at a time gets, across processes; the login waiting for its answer."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from bp_tui.state.tokens import PendingLogin, TokenFileError, TokenSet, TokenStore


def pair(n: int = 1, **more) -> TokenSet:
    values = dict(
        access_token=f"acc+/{n}=",
        refresh_token=f"ref+/{n}=",
        expires_at=1_000_000.0 + n,
        expires_in=604800,
        api_domain="euw1.brightpearlconnect.com",
        account_code="acme",
        app_ref="acme_bptui",
        installation_instance_id="13",
        obtained_at=396_000.0,
    )
    values.update(more)
    return TokenSet(**values)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_files_sit_beside_the_state_and_never_in_the_config(tmp_path):
    store = TokenStore.beside_state(tmp_path / "data" / "state.sqlite3")
    assert store.path == tmp_path / "data" / "state.sqlite3.bp-oauth.json"
    assert store.lock_path == tmp_path / "data" / "state.sqlite3.bp-oauth.lock"
    assert store.pending_path == tmp_path / "data" / "state.sqlite3.bp-oauth-login.json"


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_a_saved_pair_loads_back_and_is_private_whatever_the_umask(tmp_path, umask):
    store = TokenStore.beside_state(tmp_path / "data" / "state.sqlite3")
    old = os.umask(umask)
    try:
        store.save(pair())
        store.save_pending(
            PendingLogin(
                state="st4te",
                account_code="acme",
                app_ref="a",
                redirect_uri="https://x/cb",
                created_at=5.0,
            )
        )
        lock = store.try_lock()
        assert lock is not None
        lock.release()
    finally:
        os.umask(old)
    assert store.load() == pair()
    assert store.load_pending().state == "st4te"
    assert {mode(store.path), mode(store.pending_path), mode(store.lock_path)} == {0o600}
    assert mode(store.path.parent) == 0o700
    assert os.listdir(store.path.parent) and not [
        n for n in os.listdir(store.path.parent) if n.endswith(".tmp")
    ]


def test_reprs_never_show_a_token(tmp_path):
    tokens = pair()
    pending = PendingLogin(
        state="st4te-value",
        account_code="acme",
        app_ref="a",
        redirect_uri="https://x/cb",
        created_at=1.0,
    )
    shown = repr(tokens) + repr(pending) + repr(TokenStore(tmp_path / "t.json"))
    assert "acc+/1=" not in shown and "ref+/1=" not in shown and "st4te-value" not in shown
    assert "euw1.brightpearlconnect.com" in shown


def test_a_replaced_file_changes_the_version_and_a_loose_one_is_made_private(tmp_path):
    store = TokenStore(tmp_path / "t.bp-oauth.json")
    assert store.load() is None and store.version() is None
    store.save(pair(1))
    first = store.version()
    store.save(pair(2))
    assert store.version() != first and store.load() == pair(2)
    os.chmod(store.path, 0o644)
    store.load()
    assert mode(store.path) == 0o600


def test_a_write_that_dies_before_the_rename_leaves_the_old_pair(tmp_path, monkeypatch):
    store = TokenStore(tmp_path / "t.bp-oauth.json")
    store.save(pair(1))

    def dies(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", dies)
    with pytest.raises(TokenFileError) as info:
        store.save(pair(2))
    assert str(store.path) in str(info.value) and "left as it was" in str(info.value)
    monkeypatch.undo()
    assert store.load() == pair(1)
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_leftover_temp_files_of_a_killed_writer_are_removed_once_stale(tmp_path):
    store = TokenStore(tmp_path / "t.bp-oauth.json")
    old = tmp_path / ".bp-oauth-dead.tmp"
    old.write_text("{}")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / ".bp-oauth-busy.tmp"
    fresh.write_text("{}")
    store.save(pair())
    assert not old.exists() and fresh.exists()


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"format": 1, "access_token": "a"}', b'"a string"', b'{"format": 99}'],
)
def test_a_damaged_file_is_refused_naming_it(tmp_path, content):
    store = TokenStore(tmp_path / "t.bp-oauth.json")
    store.path.write_bytes(content)
    with pytest.raises(TokenFileError) as info:
        store.load()
    assert str(store.path) in str(info.value) and "bp-tui auth login" in str(info.value)


def test_clear_forgets_the_tokens_and_the_waiting_login(tmp_path):
    store = TokenStore(tmp_path / "t.bp-oauth.json")
    assert store.clear() is False
    store.save(pair())
    store.save_pending(
        PendingLogin(
            state="s", account_code="acme", app_ref="a", redirect_uri="https://x/cb", created_at=1.0
        )
    )
    assert store.clear() is True
    assert store.load() is None and store.load_pending() is None


def test_the_refresh_lock_has_one_holder_in_a_process(tmp_path):
    one, two = TokenStore(tmp_path / "t.bp-oauth.json"), TokenStore(tmp_path / "t.bp-oauth.json")
    held = one.try_lock()
    assert held is not None
    assert two.try_lock() is None and one.try_lock() is None  # each call is its own holder
    held.release()
    again = two.try_lock()
    assert again is not None
    again.release()


def test_the_refresh_lock_is_held_against_another_process_and_freed_when_it_is_killed(tmp_path):
    store = TokenStore(tmp_path / "t.bp-oauth.json")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import sys, time
        from bp_tui.state.tokens import TokenStore
        lock = TokenStore({str(store.path)!r}).try_lock()
        print("held" if lock else "busy", flush=True)
        time.sleep(60)
    """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert store.try_lock() is None
        holder.kill()
        holder.wait(timeout=10)
        lock = store.try_lock()
        assert lock is not None
        lock.release()
    finally:
        holder.kill()
        holder.wait()
