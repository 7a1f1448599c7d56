"""Profiles: names, where each profile's files are, and that none reaches another's."""

from __future__ import annotations

import os

import pytest

from bp_tui.config import config_from_dict
from bp_tui.errors import ProfileError
from bp_tui.paths import resolve_config_path, resolve_state_path
from bp_tui.shipstation.v2.cache import cache_path
from bp_tui.shipstation.v2.client import ShipStationV2Client
from bp_tui.state.lock import SyncLock
from bp_tui.state.profiles import DEFAULT, Profiles, check_name, list_profiles
from bp_tui.state.tokens import TokenStore


@pytest.mark.parametrize("name", ["a", "acme", "brand-2", "x_y", "0", "a" * 32])
def test_good_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "A",
        "Acme",
        "-a",
        "_a",
        "a" * 33,
        "..",
        ".",
        "a/b",
        "../a",
        "a b",
        "a\x00",
        "a\n",
        "é",
        "a.b",
        "/abs",
        "a\\b",
    ],
)
def test_bad_names_are_refused_with_the_rule(name):
    with pytest.raises(ProfileError) as err:
        check_name(name)
    assert "lower-case letters, digits" in str(err.value)
    assert "\n" not in str(err.value) and "\x00" not in str(err.value)


def test_default_is_the_install_as_it_was():
    profiles = Profiles()
    default = profiles.get(DEFAULT)
    assert default.config_path == resolve_config_path()
    assert default.state_path == resolve_state_path()
    assert profiles.list() == []  # no config yet: no profile, nothing created
    assert not resolve_config_path().parent.exists()


def test_each_profile_has_its_own_files(tmp_path):
    profiles = Profiles()
    one, two = profiles.add("one"), profiles.add("two")
    assert one.config_path == resolve_config_path().parent / "profiles" / "one" / "config.toml"
    assert one.state_path == resolve_state_path().parent / "profiles" / "one" / "state.sqlite3"
    for a, b in ((one, two), (one, profiles.get(DEFAULT)), (two, profiles.get(DEFAULT))):
        assert a.config_path != b.config_path and a.state_dir != b.state_dir
        assert SyncLock(a.state_path).path != SyncLock(b.state_path).path
        assert (
            TokenStore.beside_state(a.state_path).path != TokenStore.beside_state(b.state_path).path
        )
        # ShipStation V2's id cache is the profile's; its request window is the key's (see below)
        assert cache_path(a.state_path) != cache_path(b.state_path)
    assert oct(os.stat(one.config_path).st_mode & 0o777) == "0o600"
    assert oct(os.stat(one.state_dir).st_mode & 0o777) == "0o700"
    assert [p.name for p in list_profiles()] == ["one", "two"]


def test_list_puts_default_first_and_skips_strangers(tmp_path):
    profiles = Profiles()
    profiles.get(DEFAULT).config_path.parent.mkdir(parents=True)
    profiles.get(DEFAULT).config_path.write_text("")
    profiles.add("zed")
    (profiles.config_root / "Not-A-Name").mkdir()
    (profiles.config_root / "Not-A-Name" / "config.toml").write_text("")
    (profiles.config_root / "empty").mkdir()  # no config file: not a profile
    os.symlink(profiles.get("zed").config_dir, profiles.config_root / "linked")
    assert [p.name for p in profiles.list()] == ["default", "zed"]


def test_a_linked_profile_folder_is_refused(tmp_path):
    profiles = Profiles()
    profiles.add("real")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config.toml").write_text("")
    os.symlink(elsewhere, profiles.config_root / "sneaky")
    with pytest.raises(ProfileError, match="is a link"):
        profiles.existing("sneaky")
    with pytest.raises(ProfileError, match="is a link"):
        profiles.add("sneaky")


def test_add_refuses_default_and_existing():
    profiles = Profiles()
    with pytest.raises(ProfileError, match="default"):
        profiles.add(DEFAULT)
    profiles.add("acme")
    with pytest.raises(ProfileError, match="already exists"):
        profiles.add("acme")


def test_rename_moves_config_state_and_everything_beside_it():
    profiles = Profiles()
    old = profiles.add("old")
    old.config_path.write_text("# mine\n")
    old.state_path.write_bytes(b"state")
    TokenStore.beside_state(old.state_path).path.write_text("{}")
    new = profiles.rename("old", "new")
    assert new.config_path.read_text() == "# mine\n"
    assert new.state_path.read_bytes() == b"state"
    assert TokenStore.beside_state(new.state_path).path.exists()
    assert not old.config_dir.exists() and not old.state_dir.exists()
    assert [p.name for p in profiles.list()] == ["new"]
    SyncLock(new.state_path).acquire()  # the lock was let go


def test_rename_is_refused_while_the_profile_syncs_and_nothing_moves():
    profiles = Profiles()
    busy = profiles.add("busy")
    lock = SyncLock(busy.state_path)
    lock.acquire()
    try:
        with pytest.raises(ProfileError, match="in use"):
            profiles.rename("busy", "other")
        with pytest.raises(ProfileError, match="in use"):
            profiles.remove("busy")
    finally:
        lock.release()
    assert busy.exists() and not profiles.get("other").config_dir.exists()


def test_rename_refuses_a_taken_or_bad_name_and_the_default():
    profiles = Profiles()
    profiles.add("a")
    profiles.add("b")
    with pytest.raises(ProfileError, match="already exists"):
        profiles.rename("a", "b")
    with pytest.raises(ProfileError, match="not allowed"):
        profiles.rename("a", "../b")
    with pytest.raises(ProfileError, match="default"):
        profiles.rename("a", DEFAULT)
    with pytest.raises(ProfileError, match="no profile"):
        profiles.rename("missing", "c")


def test_remove_keeps_the_state_unless_told():
    profiles = Profiles()
    kept = profiles.add("kept")
    kept.state_path.write_bytes(b"state")
    profiles.remove("kept")
    assert not kept.config_dir.exists() and kept.state_path.read_bytes() == b"state"
    gone = profiles.add("gone")
    gone.state_path.write_bytes(b"state")
    profiles.remove("gone", delete_state=True)
    assert not gone.config_dir.exists() and not gone.state_dir.exists()
    with pytest.raises(ProfileError, match="default"):
        profiles.get(DEFAULT).config_path.write_text("")
        profiles.remove(DEFAULT)


def test_secrets_from_the_environment_reach_only_their_own_profile():
    from bp_tui.state.profiles import secret_env, secret_variable

    environ = {
        "BP_TUI_SHIPSTATION_API_KEY": "default-key",
        "BP_TUI_PROFILE_NORTH_SHOP_SHIPSTATION_API_KEY": "north-key",
        "BP_TUI_PROFILE_NORTH_SHOP_BRIGHTPEARL_TOKEN": "north-token",
    }
    assert secret_env(None, environ) == {"BP_TUI_SHIPSTATION_API_KEY": "default-key"}
    assert secret_env(DEFAULT, environ) == secret_env(None, environ)
    assert secret_env("north-shop", environ) == {
        "BP_TUI_SHIPSTATION_API_KEY": "north-key",
        "BP_TUI_BRIGHTPEARL_TOKEN": "north-token",
    }
    assert secret_env("south", environ) == {}  # the default's key is not the south store's
    assert (
        secret_variable("north-shop", "BP_TUI_SHIPSTATION_API_KEY")
        == "BP_TUI_PROFILE_NORTH_SHOP_SHIPSTATION_API_KEY"
    )


def test_two_names_that_would_share_variables_are_refused():
    profiles = Profiles()
    profiles.add("a-b")
    with pytest.raises(ProfileError, match="share its environment variables"):
        profiles.add("a_b")
    profiles.add("c")
    with pytest.raises(ProfileError, match="share its environment variables"):
        profiles.rename("c", "a_b")
    profiles.rename("a-b", "a_b")  # the same profile may take the other spelling


async def test_shipstation_v2_windows_are_per_key_across_profiles():
    """ShipStation counts V2 requests per key: profiles with the same key share one window file
    (in the install's data folder), profiles with different keys have their own."""
    profiles = Profiles()
    one, two, three = profiles.add("one"), profiles.add("two"), profiles.add("three")
    default = profiles.get(DEFAULT)

    async def gate_path(profile, key):  # type: ignore[no-untyped-def]
        doc = {
            "brightpearl": {"account_code": "acme"},
            "shipstation": {"api_version": "v2", "api_key": key},
        }
        client = ShipStationV2Client(
            config_from_dict(doc).shipstation, state_path=profile.state_path
        )
        await client.aclose()
        return client.gate.path

    shared = await gate_path(one, "same-key")
    assert shared.parent == resolve_state_path().parent
    assert await gate_path(two, "same-key") == shared == await gate_path(default, "same-key")
    assert await gate_path(three, "other-key") != shared
