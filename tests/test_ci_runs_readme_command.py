from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fenced_after(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    after = text.split(marker, 1)[1]
    block = after.split("```sh\n", 1)[1].split("```", 1)[0]
    return block.strip()


def test_ci_runs_exactly_the_readme_test_command():
    command = fenced_after("<!-- test-command -->")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert command in ci


def test_readme_demo_command_runs_demo():
    assert fenced_after("<!-- demo-command -->").endswith("bp-tui demo")
