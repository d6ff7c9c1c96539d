"""The messages' texts: a text and an HTML part from Jinja2 templates, German or English.

Each kind of message is ``templates/<kind>.txt`` and ``<kind>.html`` on a shared layout; its
subject and sentences are in ``translations/<lang>.json``. The HTML part is autoescaped, the
text part is not (it is no markup). A placeholder the caller forgot is an error, not a blank.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from virtual_office.mail.errors import InvalidMessage
from virtual_office.mail.message import Attachment, Message

LANGUAGES = ("de", "en")
DEFAULT = "de"
KINDS = ("opt_in", "confirmation", "reminder", "cancelled_by_citizen", "cancelled_by_office")
"""The booking's messages; each needs ``office`` and ``start`` (an aware datetime in the office's zone)."""
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "opt_in": ("confirm_url", "hold_minutes"),
    "confirmation": ("enter_url", "cancel_url", "move_url"),
    "reminder": ("enter_url", "cancel_url"),
    "cancelled_by_citizen": ("book_url",),
    "cancelled_by_office": ("book_url",),
}
"""What each kind needs besides ``office`` and ``start``; ``concerns`` and ``number`` are optional everywhere,
and so is the office's ``reason`` for cancelling."""

_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def _catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((_DIR / "translations" / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def language(value: object) -> str:
    """A supported language from a tag like ``en-GB``; German when unsure."""
    tag = value.strip().lower()[:2] if isinstance(value, str) else ""
    return tag if tag in LANGUAGES else DEFAULT


def translate(lang: str, key: str, **values: object) -> str:
    text = _catalog(lang).get(key) or _catalog(DEFAULT)[key]
    return text.format(**values) if values else text


def format_when(moment: datetime, lang: str) -> str:
    """``Dienstag, 15. Dezember 2026, 10:15 Uhr`` / ``Tuesday, 15 December 2026, 10:15`` in the moment's own zone."""
    if moment.tzinfo is None:
        raise InvalidMessage("a time in a message needs its time zone")
    weekdays = translate(lang, "weekdays").split(",")
    months = translate(lang, "months").split(",")
    return translate(lang, "datetime", weekday=weekdays[moment.weekday()], day=moment.day,
                     month=months[moment.month - 1], year=moment.year, time=moment.strftime("%H:%M"))


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_DIR / "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(kind: str, lang: str, **context: Any) -> Rendered:
    """The subject, text and HTML of one kind of message; InvalidMessage if a placeholder is missing."""
    if kind not in KINDS:
        raise InvalidMessage(f"unknown kind of message {kind!r}")
    missing = [name for name in ("office", "start", *PLACEHOLDERS[kind]) if name not in context]
    if missing:
        raise InvalidMessage(f"{kind}: missing {', '.join(missing)}")
    lang = language(lang)
    values = {"concerns": (), "number": None, "reason": "", **context, "lang": lang}
    subject = translate(lang, f"{kind}.subject", office=context["office"], date=format_when(context["start"], lang))
    env = _environment()
    globals_ = {"t": lambda key, **v: translate(lang, key, **v), "when": lambda moment: format_when(moment, lang), "subject": subject}
    try:
        text = env.get_template(f"{kind}.txt").render(**values, **globals_)
        html = env.get_template(f"{kind}.html").render(**values, **globals_)
    except jinja2.UndefinedError as exc:
        raise InvalidMessage(f"{kind}: {exc.message}") from exc
    return Rendered(subject=subject, text=text, html=html)


def compose(kind: str, lang: str, to: str | Sequence[str], *, attachments: Sequence[Attachment] = (), **context: Any) -> Message:
    """A message of ``kind`` to ``to``, rendered in ``lang``, ready for :meth:`Outbox.enqueue`."""
    rendered = render(kind, lang, **context)
    return Message(
        to=(to,) if isinstance(to, str) else tuple(to),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        kind=kind,
        language=language(lang),
        attachments=tuple(attachments),
    )
