"""Without a mail server: the demo writes .eml files and lists them; `serve` says mail is not configured."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
import redis.asyncio

from tests.mail.test_delivery import CITIZEN, confirmation
from virtual_office.mail import MailDirectory, Mailer, MailNotConfigured
from virtual_office.settings import Settings, SettingsError


async def test_the_demo_writes_each_message_as_an_eml_file_and_lists_it(redis_client: redis.asyncio.Redis, tmp_path: Path) -> None:
    mailer = Mailer.open(redis_client, smtp_url=None, mail_from="", directory=tmp_path / "mail")
    assert mailer.configured and mailer.directory is not None
    await mailer.send(confirmation(), key="booking:b-1:confirmation")
    await mailer.send(confirmation(), key="booking:b-1:confirmation")
    delivery = mailer.delivery()
    assert delivery is not None
    assert await delivery.deliver_due() == 1

    [stored] = mailer.directory.list()
    assert stored.to == CITIZEN and stored.kind == "confirmation" and stored.subject.startswith("Ihr Termin bei Bürgerbüro")
    assert stored.date is not None
    mail = email.message_from_bytes(mailer.directory.read(stored.name), policy=email.policy.default)
    assert [part.get_content_type() for part in mail.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"]
    assert "Demo" in str(mail["From"])
    assert [p.name for p in (tmp_path / "mail").iterdir()] == [stored.name]  # no half-written file left
    # the outbox forgot the content as after any sending
    assert (await mailer.outbox.status()).sent == 1


@pytest.mark.parametrize("name", ["../secret_key", "x/../../y.eml", ".hidden.eml", "mail.txt"])
def test_only_listed_files_are_read(tmp_path: Path, name: str) -> None:
    (tmp_path / "secret_key").write_text("s")
    with pytest.raises(FileNotFoundError):
        MailDirectory(tmp_path / "mail").read(name)


def test_an_empty_or_missing_mail_directory_lists_nothing(tmp_path: Path) -> None:
    assert MailDirectory(tmp_path / "nothing-yet").list() == []


async def test_serve_without_smtp_refuses_to_queue_mail(redis_client: redis.asyncio.Redis) -> None:
    mailer = Mailer.open(redis_client, smtp_url=None, mail_from="")
    assert not mailer.configured and mailer.delivery() is None
    with pytest.raises(MailNotConfigured, match="VO_SMTP_URL"):
        mailer.require()
    with pytest.raises(MailNotConfigured):
        await mailer.send(confirmation(), key="booking:b-1:confirmation")
    assert await redis_client.keys("*") == []


def test_mail_settings_are_checked_at_start() -> None:
    env = {"VO_SMTP_URL": "smtps://u%40x:p%3Aw@mail.example:2465", "VO_MAIL_FROM": "Stadt <termine@musterstadt.example>"}
    settings = Settings.from_env(env)
    assert settings.smtp_url == env["VO_SMTP_URL"] and settings.mail_from == env["VO_MAIL_FROM"]
    for bad, message in (
        ({"VO_SMTP_URL": "smtp://mail.example"}, "VO_MAIL_FROM"),
        ({**env, "VO_MAIL_FROM": "Stadt"}, "VO_MAIL_FROM"),
        ({**env, "VO_SMTP_URL": "https://mail.example"}, "VO_SMTP_URL"),
        ({**env, "VO_SMTP_URL": "smtp://u:secret@mail.example:port"}, "VO_SMTP_URL"),
        ({**env, "VO_SMTP_URL": "smtp://mail.example/path"}, "VO_SMTP_URL"),
    ):
        with pytest.raises(SettingsError, match=message) as caught:
            Settings.from_env(bad)
        assert "secret" not in str(caught.value)
    assert Settings.from_env({}).smtp_url is None
