#!/usr/bin/env bash
# Set up (first time) and run the whole test suite (CPU torch; real-browser tests in headless chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
exec .venv/bin/python -m pytest -q -p no:cacheprovider --timeout=900 "$@"
