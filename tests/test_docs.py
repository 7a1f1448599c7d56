"""The repository stands on its own: no file points outside it, the README stays a short doorway,
and every relative link in the README and docs/ leads to a file that exists."""

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_BYTES = 12_288
TEXT_SUFFIXES = (".py", ".md", ".toml", ".yaml", ".yml", ".tcss")
# Built from pieces so that this file does not name them itself (the formatter joins adjacent
# literals, so they are added).
OUTSIDE = ("SPEC" + ".md", ".." + "/shared", "/work" + "/shared")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def tracked_text_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    names = [n for n in out.decode().split("\0") if n]
    picked = [n for n in names if n.endswith(TEXT_SUFFIXES) or n == ".ci/run"]
    return [ROOT / n for n in picked if (ROOT / n).is_file()]


def linked_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_no_tracked_file_refers_outside_the_repository():
    files = tracked_text_files()
    assert ROOT / "README.md" in files and ROOT / ".ci" / "run" in files
    offenders = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}: {word}" for word in OUTSIDE if word in text]
    assert offenders == []


def test_readme_is_a_short_doorway():
    size = (ROOT / "README.md").stat().st_size
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; the reference belongs in docs/"


@pytest.mark.parametrize("page", linked_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files(page: Path):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # an absolute URL (https:, mailto:) or a heading of the same page
        path = unquote(target.split("#", 1)[0])
        if not (page.parent / path).exists():
            broken.append(target)
    assert broken == [], f"{page.relative_to(ROOT)}: links to missing files: {broken}"


def test_docs_index_links_every_page():
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    pages = {p.name for p in (ROOT / "docs").glob("*.md")} - {"README.md"}
    missing = sorted(name for name in pages if f"({name})" not in index)
    assert missing == [], f"docs/README.md does not link {missing}"
