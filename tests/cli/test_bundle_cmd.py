"""`bp-tui bundle [PATH] [--force]` writes new files only (issue 12): never the config, the state or
its companions, never through a symbolic link, never over an existing file unless --force and that
file is a previous bundle; a missing folder is reported and nothing is created."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from bp_tui.cli import main
from bp_tui.state import StateStore
from bp_tui.troubleshoot import bundle as bundle_mod
from bp_tui.troubleshoot.bundle import MARKER, BundleError, Target, is_bundle, publish

CONFIG = '[brightpearl]\naccount_code = "acme"\npassword = "pw-bundle-secret"\n'


@pytest.fixture
def paths(tmp_path):
    config = Path(os.environ["BP_TUI_CONFIG"])
    state = Path(os.environ["BP_TUI_STATE"])
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG)
    config.chmod(0o600)
    out = tmp_path / "out"
    out.mkdir()
    return config, state, out


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["bundle", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_folder_gets_a_new_private_bundle_each_time(paths, capsys):
    _, _, out = paths
    code, stdout, err = run(capsys, str(out))
    assert code == 0, err
    first = Path(stdout.strip())
    assert (
        first.parent == out and first.name.startswith("bp-tui-support-") and first.suffix == ".json"
    )
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    data = json.loads(first.read_text())
    assert data[MARKER] == 1 and "pw-bundle-secret" not in first.read_text()
    code, stdout, _ = run(capsys, str(out))  # the same second: a second name, the first file kept
    assert code == 0 and Path(stdout.strip()) != first
    assert first.read_text() and len(listing(out)) == 2


def test_a_new_file_name_is_written_with_mode_0600_whatever_the_umask(paths, capsys):
    _, _, out = paths
    old = os.umask(0)
    try:
        code, stdout, err = run(capsys, str(out / "support.json"))
    finally:
        os.umask(old)
    assert code == 0, err
    assert Path(stdout.strip()) == out / "support.json"
    assert stat.S_IMODE((out / "support.json").stat().st_mode) == 0o600
    assert listing(out) == ["support.json"]  # no temp file left


@pytest.mark.parametrize("arg", ["missing/", "missing/bundle.json", "missing/deeper/"])
def test_a_missing_folder_creates_nothing(paths, capsys, arg):
    _, state, out = paths
    code, stdout, err = run(capsys, f"{out}/{arg}")
    assert code == 2 and stdout == ""
    assert "no such folder" in err and "create it first" in err and "Traceback" not in err
    assert listing(out) == []  # neither a folder nor a file named "missing"
    assert not state.exists()  # refused before anything was opened


def test_an_existing_file_is_never_replaced_without_force(paths, capsys):
    _, _, out = paths
    victim = out / "notes.txt"
    victim.write_text("precious")
    victim.chmod(0o644)
    code, _, err = run(capsys, str(victim))
    assert code == 2 and "already exists" in err and "--force" in err
    assert victim.read_text() == "precious" and stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_force_replaces_only_a_previous_bundle(paths, capsys):
    _, _, out = paths
    victim = out / "notes.json"
    victim.write_text(json.dumps({"generated_at": "x", "versions": {}}))  # looks alike, no marker
    code, _, err = run(capsys, "--force", str(victim))
    assert code == 2 and "not a bp-tui support bundle" in err
    assert json.loads(victim.read_text()) == {"generated_at": "x", "versions": {}}

    code, stdout, _ = run(capsys, str(out / "previous.json"))
    previous = Path(stdout.strip())
    previous.chmod(0o644)
    inode = previous.stat().st_ino
    previous.write_text(
        previous.read_text().replace('"generated_at"', '"old": true, "generated_at"', 1)
    )
    code, stdout, err = run(capsys, "--force", str(previous))
    assert code == 0, err
    assert Path(stdout.strip()) == previous
    assert "old" not in json.loads(previous.read_text())  # the new bundle
    assert stat.S_IMODE(previous.stat().st_mode) == 0o600  # not the old file's mode
    assert previous.stat().st_ino != inode  # a new file renamed in, not the old one rewritten
    assert listing(out) == ["notes.json", "previous.json"]


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_symbolic_link_is_refused_even_with_force(paths, capsys, force):
    config, _, out = paths
    # a link to a previous bundle (which --force could replace), to the config, and a dangling one
    code, stdout, _ = run(capsys, str(out / "real.json"))
    real = Path(stdout.strip())
    before = real.read_bytes()
    for name, target in (
        ("to-bundle.json", real),
        ("to-config.json", config),
        ("dangling.json", out / "nowhere"),
    ):
        link = out / name
        link.symlink_to(target)
        code, _, err = run(capsys, *force, str(link))
        assert code == 2 and ("symbolic link" in err or "config file" in err), err
        assert link.is_symlink() and os.readlink(link) == str(target)
    assert real.read_bytes() == before and config.read_text() == CONFIG
    assert not (out / "nowhere").exists()


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_the_config_and_the_state_files_are_refused(paths, capsys, force):
    config, state, out = paths
    store = StateStore(state)  # a live state: database, -wal and -shm exist
    store.meta.set_watermark("mark", "kept")
    try:
        spelled = [
            str(config),
            str(config.parent / ".." / config.parent.name / config.name),
            str(state),
            f"{state}-wal",
            f"{state}-shm",
            f"{state}-journal",
            f"{state}.lock",
            f"{state}.lock-guard",
        ]
        for target in spelled:
            before = Path(target).read_bytes() if Path(target).exists() else None
            code, stdout, err = run(capsys, *force, target)
            assert code == 2 and stdout == "", (target, err)
            assert "this is bp-tui's" in err and "somewhere else" in err, err
            assert (Path(target).read_bytes() if Path(target).exists() else None) == before
        assert store.meta.watermark("mark") == "kept"
    finally:
        store.close()
    reopened = StateStore(state)
    assert reopened.meta.watermark("mark") == "kept"
    reopened.close()


def test_a_hard_link_to_the_config_is_refused(paths, capsys):
    config, _, out = paths
    alias = out / "alias.json"
    os.link(config, alias)
    code, _, err = run(capsys, "--force", str(alias))
    assert code == 2 and "config file" in err
    assert config.read_text() == CONFIG


def test_something_that_is_not_a_file_is_refused(paths, capsys):
    _, _, out = paths
    fifo = out / "pipe"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "--force", str(fifo))
    assert code == 2 and "not a regular file" in err


def test_a_full_disk_is_one_line_naming_the_file_and_exit_2(paths, capsys, monkeypatch):
    _, _, out = paths
    real_write = os.write

    def full(fd, data):
        if fd > 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    main(["bundle", str(out / "warm-up.json")])  # the state exists before the disk "fills"
    capsys.readouterr()
    monkeypatch.setattr(bundle_mod.os, "write", full)
    code, stdout, err = run(capsys, str(out / "b.json"))
    monkeypatch.undo()
    assert code == 2 and stdout == ""
    assert (
        err.strip()
        == f"error: {out / 'b.json'}: cannot write the support bundle: No space left on device"
    )
    assert listing(out) == ["warm-up.json"]  # neither the bundle nor a temp file


def test_the_name_is_taken_without_ever_replacing_a_file_that_appeared_meanwhile(tmp_path):
    """Between the check and the write another file may appear: the link fails, nothing is
    replaced."""
    late = tmp_path / "late.json"
    late.write_text("someone else's")
    with pytest.raises(BundleError, match="already exists"):
        publish(Target(tmp_path, "late.json"), b"{}")
    assert late.read_text() == "someone else's" and listing(tmp_path) == ["late.json"]


def test_without_hard_links_the_name_is_still_reserved_exclusively(tmp_path, monkeypatch):
    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(bundle_mod.os, "link", no_links)
    (tmp_path / "taken.json").write_text("someone else's")
    with pytest.raises(BundleError, match="already exists"):
        publish(Target(tmp_path, "taken.json"), b"{}")
    assert (tmp_path / "taken.json").read_text() == "someone else's"
    written = publish(Target(tmp_path, "new.json"), b'{"x": 1}')
    assert written.read_bytes() == b'{"x": 1}' and stat.S_IMODE(written.stat().st_mode) == 0o600
    assert listing(tmp_path) == ["new.json", "taken.json"]


def test_a_bundle_is_recognised_by_its_marker_only(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({MARKER: 1, "anything": []}))
    assert is_bundle(good)
    for name, text in (
        ("list.json", "[1]"),
        ("other.json", '{"bp_tui_support_bundle": 2}'),
        ("broken.json", "{"),
        ("binary.json", "\x00\x01"),
    ):
        (tmp_path / name).write_text(text)
        assert not is_bundle(tmp_path / name), name
    (tmp_path / "link.json").symlink_to(good)
    assert not is_bundle(tmp_path / "link.json")
