#!/usr/bin/env bash
# Set up the project's Python environment in ./.venv (idempotent, fast when nothing changed).
#   - creates .venv with python3.11 if missing (installs Debian's venv module if needed, as root)
#   - installs uv into it, then the pinned requirements.txt and the project itself (editable)
# A stamp in .venv records the hash of requirements.txt + pyproject.toml; unchanged -> nothing to do.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
STAMP="$VENV/.safetynet-bootstrap.sha256"
say() { echo "[bootstrap] $*" >&2; }

find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

make_venv() {
    local python
    python="$(find_python)" || { say "python3.11 not found"; exit 1; }
    if ! "$python" -m venv "$VENV" 2>/dev/null; then
        # Debian ships the venv module (ensurepip) separately.
        rm -rf "$VENV"
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "installing Debian's python3-venv"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null ||
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-venv >/dev/null
        fi
        "$python" -m venv "$VENV"
    fi
}

# Headless Chromium: tests/test_anomaly_report.py renders the nightly report offline in it.
install_chromium() {
    [ -x /usr/bin/chromium ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Debian's chromium"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        say "chromium missing and cannot be installed here (needs root and apt-get): the report test will skip"
    fi
}
install_chromium

wanted="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/safetynet" ] && [ -f "$STAMP" ] &&
    [ "$(cat "$STAMP")" = "$wanted" ]; then
    exit 0
fi

[ -x "$VENV/bin/python" ] || { say "creating $VENV"; make_venv; }
if [ ! -x "$VENV/bin/uv" ]; then
    say "installing uv"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv
fi
say "installing requirements.txt"
"$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -r requirements.txt
say "installing safetynet (editable)"
"$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" --no-deps -e .
echo "$wanted" >"$STAMP"
say "done"
