#!/usr/bin/env bash
# A separate venv for the anchor libraries whose pins clash with overhead's (TAT-C 3.6.0).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x venv/bin/python ]; then
    python3 -m venv venv
fi
venv/bin/python -m pip install --quiet --upgrade pip
venv/bin/python -m pip install --quiet "tatc==3.6.0"
