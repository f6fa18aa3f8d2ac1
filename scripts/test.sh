#!/usr/bin/env bash
# Install the test dependencies into .venv, then lint and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check src tests benchmarks
.venv/bin/python -m pytest -n 2 "$@"
