#!/usr/bin/env bash
# Quick start: install into .venv and run the main job on the bundled sample catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/overhead report "$@"
