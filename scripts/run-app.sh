#!/usr/bin/env bash
# Set up (first run only) and launch the web app on the bundled local model, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/socratic app "$@"
