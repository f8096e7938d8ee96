#!/usr/bin/env bash
# Set up (first time) and launch the app on the bundled sample data: http://localhost:${PORT:-8501}
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
exec .venv/bin/streamlit run app.py --server.port "${PORT:-8501}" "$@"
