#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the dashboard's browser tests (Playwright drives
# /usr/bin/chromium; no browser download). Without root or apt, says so and the browser tests skip.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "no /usr/bin/chromium and no root apt-get: the browser tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
