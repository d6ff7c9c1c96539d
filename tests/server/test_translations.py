"""German and English say the same things: every text exists in both, with the same placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import virtual_office.server

TRANSLATIONS = Path(virtual_office.server.__file__).parent / "translations"


def texts(lang: str) -> dict[str, str]:
    return json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))


def test_german_and_english_have_the_same_texts_with_the_same_placeholders() -> None:
    german, english = texts("de"), texts("en")
    assert sorted(set(german) ^ set(english)) == []
    placeholders = re.compile(r"\{(\w+)\}")
    differ = [key for key in german if set(placeholders.findall(german[key])) != set(placeholders.findall(english[key]))]
    assert differ == []
    assert [key for key, text in {**german, **english}.items() if not text.strip()] == []
