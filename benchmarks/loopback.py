"""Benchmarks that start servers and browsers run inside a network namespace of their own."""

from __future__ import annotations

import os
import subprocess
import sys

_INSIDE = "VO_LOOPBACK_NETNS"


def in_loopback_namespace(timeout: float | None = None) -> None:
    """Re-execute the running script in a fresh namespace that has only loopback, unless already there.

    Every packet the benchmark sends then stays on this machine. Needs `unshare`,
    as root or with user namespaces. Exits with the inner run's status.
    """
    if os.environ.get(_INSIDE) == "1":
        return
    command = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--",
               "sh", "-c", 'ip link set lo up && "$@"', "sh", sys.executable, *sys.argv]
    if os.geteuid() != 0:
        command[1:1] = ["--user", "--map-root-user"]
    sys.exit(subprocess.call(command, env=dict(os.environ, **{_INSIDE: "1"}), timeout=timeout))
