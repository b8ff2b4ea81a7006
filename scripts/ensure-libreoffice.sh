#!/bin/sh
# tests/test_tables.py opens the export's spreadsheet tables in a real spreadsheet engine: LibreOffice
# headless, from Debian's packages (the calc package without a GUI is the smallest that converts CSV to
# .xlsx). Install it when it is missing; the test fails, not skips, without it.
set -eu
if command -v soffice >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-libreoffice: soffice is missing; as root: apt-get update && apt-get install -y --no-install-recommends libreoffice-calc-nogui" >&2
    echo "ensure-libreoffice: tests/test_tables.py will fail until then" >&2
    exit 0
fi
echo "ensure-libreoffice: installing Debian's libreoffice-calc-nogui package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null
command -v soffice >/dev/null
