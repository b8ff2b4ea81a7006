#!/bin/sh
# tests/test_remote_virtuoso.py proves remote mode (--store) against a second real engine: Virtuoso Open Source
# from Debian's packages. The tests start their own throwaway server on 127.0.0.1 from a virtuoso.ini in a
# temporary folder, so only the server binary is needed: virtuoso-opensource-7-bin (/usr/bin/virtuoso-t), the
# binary package of Debian's virtuoso-opensource source. Not virtuoso-opensource-7 itself: that one adds an
# init script that starts a packaged server listening on all interfaces (ports 8890 and 1111) with a dba
# password asked through debconf, none of which the tests use. Install it when it is missing (as root;
# idempotent); the tests are skipped without it.
set -eu
if command -v virtuoso-t >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-virtuoso: virtuoso-t is missing; as root: apt-get update && apt-get install -y --no-install-recommends virtuoso-opensource-7-bin" >&2
    echo "ensure-virtuoso: tests/test_remote_virtuoso.py will be skipped until then" >&2
    exit 0
fi
echo "ensure-virtuoso: installing Debian's virtuoso-opensource-7-bin package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null
command -v virtuoso-t >/dev/null
