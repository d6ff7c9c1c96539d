"""VO_SMTP_URL: scheme, host, port, and user and password percent-decoded."""

from __future__ import annotations

import pytest

from virtual_office.mail import MailError, parse_smtp_url


def test_smtp_and_smtps_urls() -> None:
    server = parse_smtp_url("smtp://termine%40musterstadt.de:p%40ss%20word@mail.musterstadt.de")
    assert (server.host, server.port, server.implicit_tls) == ("mail.musterstadt.de", 587, False)
    assert (server.username, server.password) == ("termine@musterstadt.de", "p@ss word")
    assert "p@ss" not in repr(server)
    server = parse_smtp_url("smtps://mail.musterstadt.de")
    assert (server.port, server.implicit_tls, server.username) == (465, True, None)
    assert parse_smtp_url("smtp://127.0.0.1:2525").port == 2525


@pytest.mark.parametrize("url", ["", "mail.example", "http://mail.example", "smtp://", "smtp://mail.example:x", "smtp://mail.example/x", "smtp://mail.example?tls=1"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(MailError):
        parse_smtp_url(url)
