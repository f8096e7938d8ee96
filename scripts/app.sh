#!/usr/bin/env bash
# Set up (first time) and launch the app on the bundled sample data: http://localhost:${PORT:-8501}
# The server listens on localhost only. To share it on a network (explicit opt-in, password required):
#   SCGRN_PASSWORD='a long passphrase' bash scripts/app.sh --share      (or SCGRN_SHARE=1)
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
for a in "$@"; do
  if [ "$a" = "--share" ]; then export SCGRN_SHARE=1; else args+=("$a"); fi
done
share_args=()
case "${SCGRN_SHARE:-}" in
  1|true|yes|on)
    if [ -z "${SCGRN_PASSWORD:-}${SCGRN_PASSWORD_HASH:-}" ]; then
      echo "Sharing needs a password: SCGRN_PASSWORD='...' bash scripts/app.sh --share" >&2
      exit 2
    fi
    export SCGRN_SHARE=1
    share_args=(--server.address 0.0.0.0 --client.showErrorDetails none)
    echo "Sharing on the network (password required, error details hidden)." >&2
    ;;
esac
bash scripts/setup.sh app
exec .venv/bin/streamlit run app.py --server.port "${PORT:-8501}" "${share_args[@]}" "${args[@]}"
