"""VO_REDIS_URL: the Sentinel form, and what is refused."""

from __future__ import annotations

import pytest

from virtual_office import redis_client
from virtual_office.redis_client import RedisUrlError, parse_sentinel


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_database() -> None:
    url = "redis+sentinel://:s%40cret@10.0.0.11:26379,10.0.0.12:26379,[::1]:26380/vo/2?sentinel_password=other"
    parsed = parse_sentinel(url)
    assert parsed.sentinels == [("10.0.0.11", 26379), ("10.0.0.12", 26379), ("::1", 26380)]
    assert (parsed.service, parsed.db, parsed.username) == ("vo", 2, None)
    assert (parsed.password, parsed.sentinel_password) == ("s@cret", "other")
    assert parse_sentinel("redis+sentinel://h:26379/vo").db == 0
    assert redis_client.is_sentinel(url) and not redis_client.is_sentinel("redis://localhost:6379/0")


@pytest.mark.parametrize("url", [
    "redis+sentinel://h:26379",  # no service
    "redis+sentinel://h:26379/vo/zero",
    "redis+sentinel://h/vo",  # no port
    "redis+sentinel://h:26379/vo?timeout=3",
    "redis://h:6379/0",
])
def test_a_malformed_sentinel_url_is_refused_with_what_is_wrong(url: str) -> None:
    with pytest.raises(RedisUrlError):
        parse_sentinel(url)


async def test_the_plain_urls_build_a_client_as_before() -> None:
    client = redis_client.connect("unix:///tmp/nowhere.sock")
    assert client.connection_pool.connection_kwargs["path"] == "/tmp/nowhere.sock"
    await client.aclose()
