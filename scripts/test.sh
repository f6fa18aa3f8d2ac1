#!/usr/bin/env bash
# Install the test dependencies into .venv (and Debian's Chromium for the browser tests), then lint, type-check
# and run the whole test suite (`bash scripts/test.sh -m "not slow"` for the fast subset). Screenshots of the
# dashboard land in test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/browser.sh || echo "could not install Chromium: the browser tests will be skipped" >&2
.venv/bin/ruff check src tests benchmarks
.venv/bin/mypy  # the type checker over src/overhead ([tool.mypy] in pyproject.toml): a type error fails the run
.venv/bin/python -m pytest -n 2 "$@"
