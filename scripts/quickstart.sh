#!/usr/bin/env bash
# Quick start: install everything (Python into .venv, the dashboard's npm packages) and start the service
# with the bundled sample catalogue loaded; open the printed URL. Options go to `overhead serve`
# (e.g. --port 8080, --host 0.0.0.0, --db postgresql+psycopg://USER@HOST/DB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/overhead serve "$@"
