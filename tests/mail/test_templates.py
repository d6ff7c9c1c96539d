"""Every booking message renders in German and English, with its links in both parts, escaped in HTML."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import virtual_office.mail
from virtual_office.mail import KINDS, InvalidMessage, compose, render
from virtual_office.mail.templates import PLACEHOLDERS

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2027, 3, 29, 10, 15, tzinfo=BERLIN)
LINKS = {
    "confirm_url": "https://office.example/b/confirm?t=abc&x=1",
    "enter_url": "https://office.example/b/enter?t=abc&x=1",
    "cancel_url": "https://office.example/b/cancel?t=abc&x=1",
    "move_url": "https://office.example/b/move?t=abc&x=1",
    "book_url": "https://office.example/book/buergerbuero",
}
TRANSLATIONS = Path(virtual_office.mail.__file__).parent / "translations"


def context(kind: str) -> dict[str, object]:
    values: dict[str, object] = {"office": "Bürgerbüro <Süd> & Co", "start": START, "concerns": ["Personalausweis", "Ummeldung"], "number": "T-007"}
    for name in PLACEHOLDERS[kind]:
        values[name] = 30 if name == "hold_minutes" else LINKS[name]
    return values


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_message_renders_with_its_links_time_and_office(kind: str, lang: str) -> None:
    rendered = render(kind, lang, **context(kind))
    when = "Montag, 29. März 2027, 10:15 Uhr" if lang == "de" else "Monday, 29 March 2027, 10:15"
    assert rendered.subject and "\n" not in rendered.subject
    assert "Bürgerbüro <Süd> & Co" in rendered.subject
    for part in (rendered.text, rendered.html):
        assert when in part
        assert "Personalausweis, Ummeldung" in part and "T-007" in part
    assert "Bürgerbüro <Süd> & Co" in rendered.text
    assert "Bürgerbüro &lt;Süd&gt; &amp; Co" in rendered.html and "<Süd>" not in rendered.html
    for name in PLACEHOLDERS[kind]:
        if name.endswith("_url"):
            assert LINKS[name] in rendered.text
            assert f'href="{LINKS[name].replace("&", "&amp;")}"' in rendered.html
    assert f'<html lang="{lang}">' in rendered.html
    assert "{" not in rendered.text and "{" not in rendered.html  # no placeholder left unfilled


def test_the_same_message_reads_differently_in_german_and_english() -> None:
    german, english = render("opt_in", "de", **context("opt_in")), render("opt_in", "en", **context("opt_in"))
    assert german.subject.startswith("Bitte bestätigen") and english.subject.startswith("Please confirm")
    assert "30 Minuten" in german.text and "30 minutes" in english.text
    assert render("opt_in", "en-GB", **context("opt_in")).subject == english.subject
    assert render("opt_in", "fr", **context("opt_in")).subject == german.subject  # German when unsure


def test_a_missing_placeholder_or_a_time_without_zone_is_refused() -> None:
    values = context("confirmation")
    del values["cancel_url"]
    with pytest.raises(InvalidMessage, match="cancel_url"):
        render("confirmation", "de", **values)
    with pytest.raises(InvalidMessage):
        render("confirmation", "de", **{**context("confirmation"), "start": datetime(2027, 3, 29, 10, 15)})
    with pytest.raises(InvalidMessage):
        render("newsletter", "de", **context("confirmation"))


def test_compose_makes_a_message_of_the_kind_and_language() -> None:
    message = compose("reminder", "en", "erika@example.org", **context("reminder"))
    assert (message.kind, message.language, message.to) == ("reminder", "en", ("erika@example.org",))
    with pytest.raises(InvalidMessage):
        compose("reminder", "en", "not an address", **context("reminder"))


def test_german_and_english_have_the_same_texts_with_the_same_placeholders() -> None:
    german = json.loads((TRANSLATIONS / "de.json").read_text(encoding="utf-8"))
    english = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))
    assert sorted(set(german) ^ set(english)) == []
    names = re.compile(r"\{(\w+)\}")
    assert [k for k in german if set(names.findall(german[k])) != set(names.findall(english[k]))] == []
    assert len(german["weekdays"].split(",")) == len(english["weekdays"].split(",")) == 7
    assert len(german["months"].split(",")) == len(english["months"].split(",")) == 12
