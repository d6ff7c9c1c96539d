"""Fixtures of the cluster tests: parts of examples/deploy on loopback (tests/cluster/deploy.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.deploy import Deployment, ReplicatedRedis


def _installed() -> None:
    # (A pytestmark here would not reach the test modules: a conftest's marks apply to nothing.)
    if not (shutil.which("redis-sentinel") and (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists())):
        pytest.skip("redis-sentinel and haproxy are not installed (scripts/test.sh installs them)")


@pytest.fixture
def replicated_redis(tmp_path: Path) -> Iterator[ReplicatedRedis]:
    """A Redis primary, its replica and three sentinels, from examples/deploy."""
    _installed()
    redis_set = ReplicatedRedis(tmp_path / "redis")
    try:
        redis_set.start()
        yield redis_set
    finally:
        redis_set.stop()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """HAProxy in front of three `virtual-office serve` on the replicated Redis, from examples/deploy."""
    _installed()
    whole = Deployment(tmp_path)
    try:
        whole.start()
        yield whole
    except RuntimeError:
        print(whole.logs())
        raise
    finally:
        whole.stop()
