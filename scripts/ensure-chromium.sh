#!/bin/sh
# The browser test drives Debian's Chromium (/usr/bin/chromium) with Playwright. Install it from
# Debian's packages when it is missing; never `playwright install`, which downloads a browser build.
set -eu
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-chromium: $CHROMIUM is missing; as root: apt-get update && apt-get install -y chromium" >&2
    echo "ensure-chromium: tests/test_browser.py will be skipped until then" >&2
    exit 0
fi
echo "ensure-chromium: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
test -x "$CHROMIUM"
