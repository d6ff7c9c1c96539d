#!/bin/sh
# Install virtual-office and run it with demo offices and the example city page.
# Extra arguments go to `virtual-office demo` (e.g. --port 8080).
. "$(dirname "$0")/env.sh"
"$PYTHON" -m pip install -q -e .
exec "$PYTHON" -m virtual_office demo "$@"
