#!/usr/bin/env bash
# Install the test dependencies into .venv (and Debian's Chromium for the browser tests), then lint, type-check
# and run the whole test suite (`bash scripts/test.sh -m "not slow"` for the fast subset); the dashboard's
# JavaScript is linted (ESLint) and unit-tested (Node's test runner) in web/. Screenshots of the dashboard land in
# test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/browser.sh || echo "could not install Chromium: the browser tests will be skipped" >&2
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check src tests benchmarks scripts  # the formatter's layout ([tool.ruff.format])
if command -v npm >/dev/null 2>&1; then
    # the dashboard's ES modules: ESLint (no implicit global, web/eslint.config.js) and the unit tests of their pure
    # parts with Node's test runner (web/test/, under a second)
    (cd web && npm run --silent lint && npm test --silent)
else
    echo "npm not found: the dashboard's lint and unit tests are skipped" >&2
fi
.venv/bin/mypy  # the type checker over src/overhead ([tool.mypy] in pyproject.toml): a type error fails the run
.venv/bin/python -m pytest -n 2 "$@"
