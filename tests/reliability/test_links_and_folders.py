"""No file is opened through a link: a symbolic link at any file bp-tui writes in its state or
config folder is refused with a message naming it, and the link's target is left untouched (not
written, truncated or created). Folders bp-tui creates are 0700 whatever the umask (issue 23)."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w

from bp_tui.config import save_config
from bp_tui.config.store import config_from_dict
from bp_tui.errors import ConfigError, StateError
from bp_tui.paths import LinkRefused, make_private_folder
from bp_tui.shipstation.v2.cache import IdCache, cache_path
from bp_tui.shipstation.v2.limiter import SharedWindowGate, limiter_path
from bp_tui.state import StateStore, SyncLock
from bp_tui.state.tokens import PendingLogin, TokenFileError, TokenSet, TokenStore

PRECIOUS = b"precious: not bp-tui's\n"
EXE = os.path.join(os.path.dirname(sys.executable), "bp-tui")

CONFIG = {
    "brightpearl": {
        "account_code": "demo",
        "integration_url": "https://127.0.0.1:1/",
        "username": "ops@demo.example",
        "password": "pw-link-test",
        "staff_contact_id": 203,
    },
    "shipstation": {
        "api_key": "key-link-test",
        "api_secret": "secret-link-test",
        "base_url": "https://127.0.0.1:1/",
    },
}


def tokens() -> TokenSet:
    return TokenSet(
        access_token="a" * 44,
        refresh_token="r" * 44,
        expires_at=time.time() + 3600,
        expires_in=3600,
        api_domain="127.0.0.1",
        account_code="demo",
        app_ref="app",
    )


def open_state(folder: Path) -> None:
    StateStore(folder / "state.sqlite3").close()


def lock(folder: Path) -> None:
    SyncLock(folder / "state.sqlite3").acquire()


def save_tokens(folder: Path) -> None:
    TokenStore.beside_state(folder / "state.sqlite3").save(tokens())


def load_tokens(folder: Path) -> None:
    TokenStore.beside_state(folder / "state.sqlite3").load()


def token_lock(folder: Path) -> None:
    TokenStore.beside_state(folder / "state.sqlite3").try_lock()


def pending(folder: Path) -> None:
    TokenStore.beside_state(folder / "state.sqlite3").save_pending(
        PendingLogin(
            state="s" * 32,
            account_code="demo",
            app_ref="app",
            redirect_uri="https://x/",
            created_at=1.0,
        )
    )


def rate_limit(folder: Path) -> None:
    asyncio.run(SharedWindowGate(limiter_path(folder, "key-link-test")).acquire())


def id_cache(folder: Path) -> None:
    IdCache(cache_path(folder / "state.sqlite3")).close()


def write_config(folder: Path) -> None:
    save_config(config_from_dict(CONFIG), folder / "config.toml")


# (file name in the folder, what writes it, the error it raises)
CASES: list[tuple[str, Callable[[Path], None], type[Exception]]] = [
    ("state.sqlite3", open_state, StateError),
    ("state.sqlite3-wal", open_state, StateError),
    ("state.sqlite3-shm", open_state, StateError),
    ("state.sqlite3-journal", open_state, StateError),
    ("state.sqlite3.lock", lock, LinkRefused),
    ("state.sqlite3.lock-guard", lock, LinkRefused),
    ("state.sqlite3.bp-oauth.json", save_tokens, TokenFileError),
    ("state.sqlite3.bp-oauth.json", load_tokens, TokenFileError),
    ("state.sqlite3.bp-oauth.lock", token_lock, TokenFileError),
    ("state.sqlite3.bp-oauth.guard", save_tokens, TokenFileError),
    ("state.sqlite3.bp-oauth-login.json", pending, TokenFileError),
    (limiter_path(Path("."), "key-link-test").name, rate_limit, LinkRefused),
    ("state.sqlite3.shipstation-v2", id_cache, LinkRefused),
    ("state.sqlite3.shipstation-v2-wal", id_cache, LinkRefused),
    ("config.toml", write_config, ConfigError),
]


def test_the_cases_name_the_real_files():
    store = TokenStore.beside_state(Path("state.sqlite3"))
    assert {
        store.path.name,
        store.lock_path.name,
        store.pending_path.name,
        store.guard_path.name,
    } <= {name for name, _, _ in CASES}


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
@pytest.mark.parametrize(
    ("name", "write", "error"), CASES, ids=[f"{n}-{w.__name__}" for n, w, _ in CASES]
)
def test_a_link_at_a_file_bp_tui_writes_is_refused_and_its_target_left_alone(
    tmp_path, name, write, error, dangling
):
    folder = tmp_path / "data"
    folder.mkdir()
    if name.startswith("state.sqlite3") and name != "state.sqlite3":
        open_state(folder)  # the state exists: its companions are what is tested
    target = tmp_path / "elsewhere" / "victim"
    target.parent.mkdir()
    if not dangling:
        target.write_bytes(PRECIOUS)
        target.chmod(0o644)
    link = folder / name
    if link.exists() or os.path.lexists(link):
        link.unlink()
    link.symlink_to(target)
    with pytest.raises(error) as info:
        write(folder)
    message = str(info.value)
    assert str(link) in message and "symbolic link" in message, message
    if dangling:
        assert not os.path.lexists(target), "the link's target was created"
    else:
        assert target.read_bytes() == PRECIOUS
        assert stat.S_IMODE(target.stat().st_mode) == 0o644  # its mode not touched either
    assert os.path.islink(link)  # the link itself is left for the person to look at


def test_the_cli_names_the_link_and_exits_as_for_other_state_errors(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(tomli_w.dumps(CONFIG))
    config.chmod(0o600)
    state = tmp_path / "state.sqlite3"
    open_state(tmp_path)
    target = tmp_path / "victim"
    target.write_bytes(PRECIOUS)
    Path(f"{state}.lock").symlink_to(target)
    result = subprocess.run(
        [EXE, "--config", str(config), "--state", str(state), "sync", "--once"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result
    assert f"{state}.lock: is a symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert target.read_bytes() == PRECIOUS
    Path(f"{state}.lock").unlink()
    Path(f"{state}-wal").unlink(missing_ok=True)
    Path(f"{state}-wal").symlink_to(target)
    result = subprocess.run(
        [EXE, "--config", str(config), "--state", str(state), "state", "stats"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and f"{state}-wal: " in result.stderr, result
    assert "symbolic link" in result.stderr
    assert target.read_bytes() == PRECIOUS


def test_every_folder_bp_tui_creates_is_0700_under_umask_000(tmp_path):
    old = os.umask(0)
    try:
        data = tmp_path / "a" / "b" / "data"
        open_state(data)
        save_tokens(tmp_path / "t1" / "t2")
        token_lock(tmp_path / "l1" / "l2")
        lock(tmp_path / "s1" / "s2")
        rate_limit(tmp_path / "r1" / "r2")
        id_cache(tmp_path / "c1" / "c2")
        write_config(tmp_path / "k1" / "k2")
        make_private_folder(tmp_path / "m1" / "m2" / "m3")
    finally:
        os.umask(old)
    created = [p for p in tmp_path.rglob("*") if p.is_dir()]
    assert len(created) == 18, created
    loose = {
        str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in created
        if stat.S_IMODE(p.stat().st_mode) != 0o700
    }
    assert loose == {}
    files = {
        str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in tmp_path.rglob("*")
        if p.is_file() and stat.S_IMODE(p.stat().st_mode) != 0o600
    }
    assert files == {}


def test_an_existing_folder_is_left_as_it_is(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    make_private_folder(shared / "mine")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "mine").stat().st_mode) == 0o700
