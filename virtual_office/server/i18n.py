"""Translations: German first, English too. Strings live in translations/<lang>.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request

LANGUAGES = ("de", "en")
DEFAULT = "de"
_DIR = Path(__file__).with_name("translations")


@cache
def catalog(lang: str) -> dict[str, str]:
    return json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))


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
    text = catalog(language(lang)).get(key) or catalog(DEFAULT).get(key) or key
    return text.format(**values) if values else text


def request_language(request: Request) -> str:
    """The language a request asks for: ``?lang=``, else its Accept-Language."""
    asked = request.query_params.get("lang")
    return language(asked) if asked else preferred(request.headers.get("accept-language"))


def script_strings(lang: str, *prefixes: str) -> dict[str, str]:
    """The strings a page's script shows: every key under ``prefixes``, with the prefix taken off.

    German fills in what a language lacks, so a script never shows a bare key.
    """
    texts, fallback = catalog(lang), catalog(DEFAULT)
    strings: dict[str, str] = {}
    for key in fallback:
        for prefix in prefixes:
            if key.startswith(prefix):
                strings[key.removeprefix(prefix)] = texts.get(key) or fallback[key]
    return strings
