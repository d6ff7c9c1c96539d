"""Translations: German first, English too. Strings live in translations/<lang>.json.

A text that shows a count is an object of plural forms instead of a string::

    "console.js.waiting": {"zero": "Niemand wartet", "one": "1 Person wartet", "other": "{n} Personen warten"}

The value ``n`` picks the form: ``one`` and ``other`` are CLDR's categories, which for German
and English are the same rule (``one`` for exactly 1, as in 1 but not 21 or 1.5; ``other`` for
everything else); ``zero``, where a language has it, is the sentence for exactly 0. The page
scripts choose with the same rule (``VO.plural`` in static/shared.js); a language with other
plural rules needs its rule in both places.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from starlette.requests import Request

LANGUAGES = ("de", "en")
DEFAULT = "de"
_DIR = Path(__file__).with_name("translations")
PLURAL_FORMS = ("zero", "one", "other")
"""The forms a plural text may have; ``other`` it always has."""

Text = str | dict[str, str]
"""A catalog entry: a string, or a text's plural forms by :data:`PLURAL_FORMS`."""


@cache
def catalog(lang: str) -> dict[str, Text]:
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def plural_category(n: object) -> str:
    """CLDR's plural category of ``n`` in German and English: ``one`` for exactly 1, else ``other``."""
    is_number = isinstance(n, int | float) and not isinstance(n, bool)
    return "one" if is_number and n == 1 else "other"


def plural(forms: Mapping[str, str], n: object) -> str:
    """The form of a plural text for ``n``: ``zero`` for 0 if there is one, else by :func:`plural_category`."""
    is_number = isinstance(n, int | float) and not isinstance(n, bool)
    if is_number and n == 0 and "zero" in forms:
        return forms["zero"]
    return forms.get(plural_category(n), forms["other"])


def language(value: object) -> str:
    """A supported language from a tag like 'en-GB'; German when unsure."""
    if isinstance(value, str):
        tag = value.strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def preferred(accept_language: str | None) -> str:
    """The first supported language of an Accept-Language header."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def translate(lang: str, key: str, **values: object) -> str:
    """The text of ``key`` with its ``{placeholders}`` filled; a plural text in the form for ``values["n"]``."""
    text = catalog(language(lang)).get(key) or catalog(DEFAULT).get(key) or key
    if not isinstance(text, str):
        text = plural(text, values.get("n"))
    return text.format(**values) if values else text


def request_language(request: Request) -> str:
    """The language a request asks for: ``?lang=``, else its Accept-Language."""
    asked = request.query_params.get("lang")
    return language(asked) if asked else preferred(request.headers.get("accept-language"))


def script_strings(lang: str, *prefixes: str) -> dict[str, Text]:
    """The strings a page's script shows: every key under ``prefixes``, with the prefix taken off.

    German fills in what a language lacks, so a script never shows a bare key. Plural texts go
    as they are, their forms for the script to choose (``VO.translator`` in static/shared.js).
    """
    texts, fallback = catalog(lang), catalog(DEFAULT)
    strings: dict[str, Text] = {}
    for key in fallback:
        for prefix in prefixes:
            if key.startswith(prefix):
                strings[key.removeprefix(prefix)] = texts.get(key) or fallback[key]
    return strings
