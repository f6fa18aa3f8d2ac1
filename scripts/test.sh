#!/usr/bin/env bash
# Install the test dependencies into .venv (and Debian's Chromium for the browser tests), then lint and run
# the whole test suite. Screenshots of the dashboard land in test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/browser.sh || echo "could not install Chromium: the browser tests will be skipped" >&2
.venv/bin/ruff check src tests benchmarks
.venv/bin/python -m pytest -n 2 "$@"
