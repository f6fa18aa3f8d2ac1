#!/usr/bin/env bash
# Create .venv (if needed) and install overhead into it, with the test extras when given "test"; install the
# dashboard's front-end packages (web/package-lock.json) with npm.
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
extras=""
[ "${1:-}" = "test" ] && extras="[test]"
# the pinned versions CI passed with (constraints.txt; CONTRIBUTING.md says how to refresh them)
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".${extras}"
.venv/bin/python -m overhead.warmup  # compile the numba kernels once (cached on disk): fast first answers
# byte-compile the package too: an editable install has no .pyc, and with PYTHONDONTWRITEBYTECODE set (as on this
# project's machines) every command would compile 40 modules from source (50 ms); stale files are recompiled
.venv/bin/python -m compileall -q src/overhead
if command -v npm >/dev/null 2>&1; then
    if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
        (cd web && npm ci --no-audit --no-fund --loglevel=error)
    fi
else
    echo "npm not found: the REST API works, the dashboard's map and globe need Node.js and npm (apt install npm)" >&2
fi
