# Sourced by demo.sh and test.sh: pick the Python to install into.
# Debian's own Python refuses `pip install` outside a virtual environment (PEP 668);
# there we make one in .venv. Any other Python (pyenv, a venv already active) is used as is.
set -eu
cd "$(dirname "$0")/.."
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    # Installs the Debian packages given that are missing.
    missing=""
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
    done
    if [ -n "$missing" ]; then
        echo "installing Debian packages:$missing"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $missing
    fi
}

PYTHON=${PYTHON:-python3}
if "$PYTHON" -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) and sys.prefix == sys.base_prefix else 1)'; then
    if [ ! -x .venv/bin/python ]; then
        "$PYTHON" -m venv .venv 2>/dev/null || {
            as_root apt-get install -y -qq python3-venv
            "$PYTHON" -m venv .venv
        }
    fi
    PYTHON=.venv/bin/python
fi
