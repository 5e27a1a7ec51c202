#!/usr/bin/env bash
# Set up (first run only) and run the test suite. Extra arguments go to pytest.
# PostgreSQL tests run when TUTOR_TEST_POSTGRES_URL is set; browser tests when /usr/bin/chromium exists
# (.ci/run installs and starts both).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "test,hf"
exec .venv/bin/python -m pytest "$@"
