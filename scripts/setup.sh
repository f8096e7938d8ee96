#!/usr/bin/env bash
# Create .venv and install scGRN Studio. Usage: scripts/setup.sh [app|test]
#  - On a machine without an NVIDIA GPU (and always for tests/CI) torch is pinned to the CPU build
#    through constraints.txt; on a GPU machine the app install resolves torch to a CUDA build.
#  - "test" also installs the test extras and Debian's chromium for the real-browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
pin=(-c constraints.txt)
if [ "$mode" = "app" ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  pin=()   # GPU machine: let pip pick a CUDA build of torch
fi
extras=""
[ "$mode" = "test" ] && extras="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check "${pin[@]}" -e ".${extras}"
if [ "$mode" = "test" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian chromium for the browser tests…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "warning: chromium could not be installed; browser tests will be skipped"
  else
    echo "note: chromium is not installed; browser tests will be skipped (apt-get install chromium)"
  fi
fi
