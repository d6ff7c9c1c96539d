"""German and English say the same things: every text exists in both, with the same placeholders,
and a text that shows a count has its real plural forms, chosen alike by the server and the pages' scripts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import virtual_office.server
from virtual_office.server.i18n import PLURAL_FORMS, plural, plural_category, script_strings, translate

TRANSLATIONS = Path(virtual_office.server.__file__).parent / "translations"
SHARED_JS = Path(virtual_office.server.__file__).parent / "static" / "shared.js"
PLACEHOLDERS = re.compile(r"\{(\w+)\}")
COUNTS = (0, 1, 2, 5, 21)
"""0, 1 and more; 21 because German and English say "21 Personen", "21 people" (no "one" for 21)."""

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")


def texts(lang: str) -> dict[str, str | dict[str, str]]:
    return json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))


def forms(text: str | dict[str, str]) -> dict[str, str]:
    """A text's forms: a plain text has just one, ``other``."""
    return {"other": text} if isinstance(text, str) else text


def test_german_and_english_have_the_same_texts_with_the_same_placeholders() -> None:
    german, english = texts("de"), texts("en")
    assert sorted(set(german) ^ set(english)) == []
    # a plural text is one in both languages, with the same forms, each with the same placeholders
    differ = [key for key in german if isinstance(german[key], str) != isinstance(english[key], str)
              or {form: set(PLACEHOLDERS.findall(text)) for form, text in forms(german[key]).items()}
              != {form: set(PLACEHOLDERS.findall(text)) for form, text in forms(english[key]).items()}]
    assert differ == []
    empty = [key for key, text in [*german.items(), *english.items()] if not all(form.strip() for form in forms(text).values())]
    assert empty == []


def test_plural_texts_have_known_forms_and_count_with_n() -> None:
    for lang in ("de", "en"):
        for key, text in texts(lang).items():
            if isinstance(text, str):
                continue
            assert set(text) <= set(PLURAL_FORMS) and "other" in text, (lang, key)
            assert "n" in PLACEHOLDERS.findall(text["other"]), (lang, key)  # the count is {n}


# Every plural text, both languages: the exact words for each count in COUNTS, with the other values it needs.
PLURALS: dict[str, tuple[dict[str, object], dict[str, tuple[str, ...]]]] = {
    "console.js.waiting": ({}, {
        "de": ("Niemand wartet", "1 Person wartet", "2 Personen warten", "5 Personen warten", "21 Personen warten"),
        "en": ("Nobody waiting", "1 person waiting", "2 people waiting", "5 people waiting", "21 people waiting"),
    }),
    "citizen.js.ahead": ({}, {
        "de": ("niemand", "1 Person", "2 Personen", "5 Personen", "21 Personen"),
        "en": ("nobody", "1 person", "2 people", "5 people", "21 people"),
    }),
    "citizen.js.estimate.about": ({}, {
        "de": ("etwa 0 Minuten", "etwa 1 Minute", "etwa 2 Minuten", "etwa 5 Minuten", "etwa 21 Minuten"),
        "en": ("about 0 minutes", "about 1 minute", "about 2 minutes", "about 5 minutes", "about 21 minutes"),
    }),
    "citizen.js.estimate.up_to": ({}, {
        "de": ("bis zu 0 Minuten", "bis zu 1 Minute", "bis zu 2 Minuten", "bis zu 5 Minuten", "bis zu 21 Minuten"),
        "en": ("up to 0 minutes", "up to 1 minute", "up to 2 minutes", "up to 5 minutes", "up to 21 minutes"),
    }),
    "citizen.js.called.seconds": ({}, {
        "de": ("Noch 0 Sekunden", "Noch 1 Sekunde", "Noch 2 Sekunden", "Noch 5 Sekunden", "Noch 21 Sekunden"),
        "en": ("0 seconds left", "1 second left", "2 seconds left", "5 seconds left", "21 seconds left"),
    }),
    "admin.delete.waiting": ({}, {
        "de": ("Achtung: 0 Personen sind gerade im Warteraum oder im Gespräch.",
               "Achtung: 1 Person ist gerade im Warteraum oder im Gespräch.",
               "Achtung: 2 Personen sind gerade im Warteraum oder im Gespräch.",
               "Achtung: 5 Personen sind gerade im Warteraum oder im Gespräch.",
               "Achtung: 21 Personen sind gerade im Warteraum oder im Gespräch."),
        "en": ("Note: 0 people are in the waiting room or in a visit right now.",
               "Note: 1 person is in the waiting room or in a visit right now.",
               "Note: 2 people are in the waiting room or in a visit right now.",
               "Note: 5 people are in the waiting room or in a visit right now.",
               "Note: 21 people are in the waiting room or in a visit right now."),
    }),
    "admin.stats.days": ({}, {
        "de": ("letzte 0 Tage", "letzter Tag", "letzte 2 Tage", "letzte 5 Tage", "letzte 21 Tage"),
        "en": ("last 0 days", "last day", "last 2 days", "last 5 days", "last 21 days"),
    }),
    "admin.stats.chart": ({"office": "Kfz"}, {
        "de": ("Gespräche pro Tag: Kfz, letzte 0 Tage", "Gespräche pro Tag: Kfz, letzter Tag", "Gespräche pro Tag: Kfz, letzte 2 Tage",
               "Gespräche pro Tag: Kfz, letzte 5 Tage", "Gespräche pro Tag: Kfz, letzte 21 Tage"),
        "en": ("Visits a day: Kfz, last 0 days", "Visits a day: Kfz, last day", "Visits a day: Kfz, last 2 days",
               "Visits a day: Kfz, last 5 days", "Visits a day: Kfz, last 21 days"),
    }),
    "admin.stats.chart.desc": ({}, {
        "de": ("Noch keine Gespräche. Die Zahlen stehen auch in der Tabelle.",
               "Insgesamt 1 Gespräch. Die Zahlen stehen auch in der Tabelle.",
               "Insgesamt 2 Gespräche. Die Zahlen stehen auch in der Tabelle.",
               "Insgesamt 5 Gespräche. Die Zahlen stehen auch in der Tabelle.",
               "Insgesamt 21 Gespräche. Die Zahlen stehen auch in der Tabelle."),
        "en": ("No visits yet. The numbers are also in the table.",
               "1 visit in all. The numbers are also in the table.",
               "2 visits in all. The numbers are also in the table.",
               "5 visits in all. The numbers are also in the table.",
               "21 visits in all. The numbers are also in the table."),
    }),
    "admin.clerk.password.hint": ({}, {
        "de": ("Mindestens 0 Zeichen.", "Mindestens 1 Zeichen.", "Mindestens 2 Zeichen.", "Mindestens 5 Zeichen.", "Mindestens 21 Zeichen."),
        "en": ("At least 0 characters.", "At least 1 character.", "At least 2 characters.", "At least 5 characters.",
               "At least 21 characters."),
    }),
    "admin.clerk.new_password.hint": ({}, {
        "de": tuple(f"Leer lassen, um das Passwort zu behalten. Sonst mindestens {n} Zeichen." for n in COUNTS),
        "en": ("Leave empty to keep the password. Otherwise at least 0 characters.",
               "Leave empty to keep the password. Otherwise at least 1 character.",
               "Leave empty to keep the password. Otherwise at least 2 characters.",
               "Leave empty to keep the password. Otherwise at least 5 characters.",
               "Leave empty to keep the password. Otherwise at least 21 characters."),
    }),
    "login.error.paused": ({}, {
        "de": tuple(f"Zu viele Fehlversuche: Anmeldungen aus diesem Browser sind für {n} {'Minute' if n == 1 else 'Minuten'} pausiert. "
                    "An einem Gerät, an dem Sie sich schon einmal angemeldet haben, können Sie sich weiter anmelden." for n in COUNTS),
        "en": tuple(f"Too many failed attempts: logins from this browser are paused for {n} {'minute' if n == 1 else 'minutes'}. "
                    "On a device where you have logged in before, you can still log in." for n in COUNTS),
    }),
    "admin.clerk.error.password": ({}, {
        "de": tuple(f"Das Passwort braucht mindestens {n} Zeichen." for n in COUNTS),
        "en": ("The password needs at least 0 characters.", "The password needs at least 1 character.",
               "The password needs at least 2 characters.", "The password needs at least 5 characters.",
               "The password needs at least 21 characters."),
    }),
    "login.ended.idle": ({}, {
        "de": tuple(f"Sie wurden nach {n} {'Minute' if n == 1 else 'Minuten'} ohne Aktivität abgemeldet. Bitte melden Sie sich "
                    "wieder an; danach geht es dort weiter, wo Sie waren." for n in COUNTS),
        "en": tuple(f"You were logged out after {n} {'minute' if n == 1 else 'minutes'} without activity. Please log in again; "
                    "you will then be back where you were." for n in COUNTS),
    }),
    "account.second_factor.enrolled": ({}, {
        "de": tuple(f"Der zweite Faktor ist eingerichtet. Sie haben noch {n} unbenutzte{'n' if n == 1 else ''} "
                    f"{'Wiederherstellungscode' if n == 1 else 'Wiederherstellungscodes'}." for n in COUNTS),
        "en": tuple(f"The second factor is set up. You have {n} unused {'recovery code' if n == 1 else 'recovery codes'} left."
                    for n in COUNTS),
    }),
    "exchange.error.too_many": ({}, {
        "de": ("Es wurden schon 0 Dateien ausgetauscht; mehr sind in einem Gespräch nicht möglich.",
               "Es wurde schon 1 Datei ausgetauscht; mehr sind in einem Gespräch nicht möglich.",
               "Es wurden schon 2 Dateien ausgetauscht; mehr sind in einem Gespräch nicht möglich.",
               "Es wurden schon 5 Dateien ausgetauscht; mehr sind in einem Gespräch nicht möglich.",
               "Es wurden schon 21 Dateien ausgetauscht; mehr sind in einem Gespräch nicht möglich."),
        "en": ("0 files have already been exchanged; a visit cannot take more.",
               "1 file has already been exchanged; a visit cannot take more.",
               "2 files have already been exchanged; a visit cannot take more.",
               "5 files have already been exchanged; a visit cannot take more.",
               "21 files have already been exchanged; a visit cannot take more."),
    }),
    "booking.minutes": ({}, {
        "de": tuple(f"{n} {'Minute' if n == 1 else 'Minuten'}" for n in COUNTS),
        "en": tuple(f"{n} {'minute' if n == 1 else 'minutes'}" for n in COUNTS),
    }),
    "booking.js.free": ({}, {
        "de": tuple(f"{n} {'Zeit' if n == 1 else 'Zeiten'} frei" for n in COUNTS),
        "en": tuple(f"{n} {'time' if n == 1 else 'times'} free" for n in COUNTS),
    }),
    "booking.js.days_found": ({}, {
        "de": tuple(f"{n} {'Tag' if n == 1 else 'Tage'} mit freien Zeiten." for n in COUNTS),
        "en": tuple(f"{n} {'day' if n == 1 else 'days'} with free times." for n in COUNTS),
    }),
    "booking.js.done_text": ({"email": "erika@example.org", "time": "10:45"}, {
        "de": tuple("Bitte bestätigen Sie Ihren Termin über den Link in der E-Mail an erika@example.org. Wir halten ihn bis "
                    f"10:45 Uhr ({n} {'Minute' if n == 1 else 'Minuten'}) für Sie frei." for n in COUNTS),
        "en": tuple("Please confirm your appointment through the link in the e-mail to erika@example.org. We keep it for you "
                    f"until 10:45 ({n} {'minute' if n == 1 else 'minutes'})." for n in COUNTS),
    }),
}

CASES = [(lang, key, n, dict(values, n=n), expected[lang][i])
         for key, (values, expected) in PLURALS.items() for lang in ("de", "en") for i, n in enumerate(COUNTS)]


def test_every_plural_text_is_tested() -> None:
    for lang in ("de", "en"):
        assert sorted(key for key, text in texts(lang).items() if not isinstance(text, str)) == sorted(PLURALS)


@pytest.mark.parametrize(("lang", "key", "n", "values", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_server_says_each_count_right(lang: str, key: str, n: int, values: dict[str, object], expected: str) -> None:
    assert translate(lang, key, **values) == expected


def run_shared_js(script: str, data: object) -> object:
    """Runs ``script`` under node with shared.js loaded (``VO``) and ``data`` from stdin; its output is its ``out``."""
    program = (f"global.window = {{}}; require({str(SHARED_JS)!r}); const VO = window.VO;"
               " const data = JSON.parse(require('fs').readFileSync(0, 'utf8')); let out;"
               f" {script}; process.stdout.write(JSON.stringify(out));")
    result = subprocess.run(["node", "-e", program], input=json.dumps(data), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_node
def test_page_scripts_say_each_count_right() -> None:
    # the pages get their texts from script_strings(), plural forms and all; VO.translator picks the form
    strings = {lang: script_strings(lang, "") for lang in ("de", "en")}
    said = run_shared_js("out = data.cases.map(c => VO.translator(data.strings[c[0]])(c[1], c[2]))",
                         {"strings": strings, "cases": [[lang, key, values] for lang, key, _, values, _ in CASES]})
    assert said == [expected for *_, expected in CASES]


@needs_node
def test_server_and_page_scripts_choose_forms_by_the_same_rule() -> None:
    counts: list[object] = [0, 1, 2, 3, 5, 11, 21, 101, 1000, -1, 0.5, 1.5, 2.5, "1", None]
    with_zero, without_zero = {"zero": "z", "one": "o", "other": "x"}, {"one": "o", "other": "x"}
    python = [[plural(with_zero, n), plural(without_zero, n), plural_category(n)] for n in counts]
    script = run_shared_js("out = data.map(n => [VO.plural({zero: 'z', one: 'o', other: 'x'}, n), VO.plural({one: 'o', other: 'x'}, n)])", counts)
    assert [row[:2] for row in python] == script
    assert [row[2] for row in python] == ["other", "one", *["other"] * 13]
    assert [row[0] for row in python][:3] == ["z", "o", "x"]


def test_script_strings_keep_the_plural_forms() -> None:
    strings = script_strings("en", "citizen.js.")
    assert strings["called.seconds"] == {"one": "1 second left", "other": "{n} seconds left"}
    assert strings["ahead"] == {"zero": "nobody", "one": "1 person", "other": "{n} people"}
    assert isinstance(strings["joined"], str)
