#!/usr/bin/env bash
# Format the whole tree once and fix what ruff can fix, then list the lines ruff still finds too
# long (over 100 characters: long strings and comments the formatter does not split).
# Run from anywhere, after `pip install -e '.[test]'` (ruff and mypy come with the test extra).
# Exit status: 0 when `ruff check`, `ruff format --check` and `mypy` all pass, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
RUFF=${RUFF:-.venv/bin/ruff}
MYPY=${MYPY:-.venv/bin/mypy}
PATHS=(bp_tui tests bench scripts)

"$RUFF" format "${PATHS[@]}"
# Import order and the other safe fixes; a second format pass tidies what the fixes moved.
"$RUFF" check --fix --exit-zero --silent "${PATHS[@]}"
"$RUFF" format --quiet "${PATHS[@]}"

long=$("$RUFF" check --select E501 --output-format concise "${PATHS[@]}" | grep -c ': E501 ')
echo "lines over 100 characters left: ${long}"
if [ "$long" -gt 0 ]; then
    "$RUFF" check --select E501 --output-format concise "${PATHS[@]}" | grep ': E501 ' \
        | cut -d: -f1 | sort | uniq -c | sort -rn
fi

status=0
echo "== ruff check"; "$RUFF" check "${PATHS[@]}" --output-format concise || status=1
echo "== ruff format --check"; "$RUFF" format --check --quiet "${PATHS[@]}" || status=1
echo "== mypy"; "$MYPY" || status=1
exit $status
