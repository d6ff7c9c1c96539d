#!/bin/sh
# Install everything the tests need and run the whole suite.
# The suite runs in a fresh network namespace that has only loopback, so no test
# (WebRTC and Chromium included) can send a packet anywhere else.
# The whole run also checks style (ruff) and types (mypy, configured in pyproject.toml).
# Extra arguments go to pytest (e.g. tests/queue -x).
. "$(dirname "$0")/env.sh"
# firefox-esr: the browser tests run in Firefox too; xvfb: its screen sharing needs a display;
# zbar-tools: a QR decoder reads the GiroCodes back (tests/payments);
# haproxy, redis-sentinel: the cluster test runs examples/deploy (tests/cluster).
apt_install redis-server chromium firefox-esr xvfb fonts-liberation iproute2 util-linux coturn nftables zbar-tools haproxy redis-sentinel
# Node.js runs axe-core's installer; any Node will do, Debian's only if there is none.
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
"$PYTHON" -m pip install -q -e '.[test]'
if [ -f tests/browser/package.json ]; then
    (cd tests/browser && npm install --no-audit --no-fund --silent)
fi
userns=""
[ "$(id -u)" = 0 ] || userns="--user --map-root-user"
in_namespace() {
    # `sh` stays PID 1 in the namespace (no exec) so that it reaps Chromium's helpers.
    timeout -k 10 4800 unshare $userns --net --pid --fork --kill-child --mount-proc -- \
        sh -c 'ip link set lo up && "$@"' sh "$PYTHON" -m pytest "$@"
}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    in_namespace "$@"   # paths given: run just those
else
    # Playwright's synchronous API keeps an event loop of its own running for the
    # whole session, which the asyncio tests cannot share: two runs, browser last.
    status=0
    # Lint and types first (seconds; they change nothing), then the tests whatever they said.
    "$PYTHON" -m ruff check virtual_office tests benchmarks || status=$?
    "$PYTHON" -m mypy || status=$?
    in_namespace --ignore=tests/browser "$@" || status=$?
    in_namespace tests/browser "$@" || status=$?
    exit $status
fi
