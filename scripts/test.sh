#!/usr/bin/env bash
# Set up (first run only), check the project's style and types, then run the test suite. Extra arguments go to
# pytest. Any ruff finding, any file ruff would reformat or any mypy error fails the run before pytest starts.
# PostgreSQL tests run when TUTOR_TEST_POSTGRES_URL is set; browser tests when /usr/bin/chromium exists
# (.ci/run installs and starts both).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "test,hf"
echo "== ruff check" >&2
.venv/bin/ruff check .
echo "== ruff format --check" >&2
.venv/bin/ruff format --check .
# mypy's targets and its pending per-module exceptions are in pyproject.toml ([tool.mypy]).
echo "== mypy" >&2
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
